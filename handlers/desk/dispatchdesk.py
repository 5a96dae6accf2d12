"""The dispatcher (派单员): the queue of cases no unit holds, a menu of every unit, assignment.

An assignment the router did not suggest first is a correction: it is kept as a labelled example
for retraining (design.md §4).
"""

from __future__ import annotations

import logging

from handlers.cases import commands as cmd
from handlers.cases.commands import Actor, CommandContext
from handlers.context import CoreDeps
from handlers.conversation import payloads as p
from handlers.conversation.turn import Turn
from handlers.desk.cards import Cards
from handlers.errors import Refused
from handlers.policy.lifecycle import CaseState
from storage.casequeries import cases_in_states
from storage.models import Case, StaffMember
from storage.units import active_units

log = logging.getLogger(__name__)

_QUEUE_SHOWN = 10


class DispatchDesk:
    def __init__(self, deps: CoreDeps) -> None:
        self.deps = deps
        self.t = deps.texts
        self.cards = Cards(deps.texts, deps.zone)

    async def queue(self, turn: Turn) -> None:
        """/queue: the oldest cases awaiting dispatch, each as a card."""
        cases = await cases_in_states(
            session=turn.session, states=[CaseState.PENDING_DISPATCH.value], limit=_QUEUE_SHOWN
        )
        if not cases:
            turn.say(self.t("dispatch.queue_empty"))
        for case in cases:
            turn.replies.append(self.cards.dispatcher_card(case))

    async def press(self, turn: Turn, member: StaffMember, payload: p.Payload) -> None:
        """d:m:<case>:<version>:<page> shows a menu page; d:as:<case>:<version>:<unit> assigns."""
        if member.role != "dispatcher":
            raise Refused(f"dispatcher button pressed by {member.role}")
        case = await self._case(turn, payload)
        if payload.action == "m" and len(payload.fields) == 3:
            await self._menu(turn, case, payload.fields[2])
        elif payload.action == "as" and len(payload.fields) == 3:
            await self._assign(turn, member, case, payload.fields[2])
        else:
            raise Refused("unknown dispatcher action")

    async def _case(self, turn: Turn, payload: p.Payload) -> Case:
        """The case a menu button names, if it still waits for dispatch at the version shown."""
        case = await turn.session.get(Case, payload.int_field(0) or 0)
        if case is None:
            raise Refused("no such case")
        if case.version != payload.int_field(1):
            raise Refused(f"stale card, case is v{case.version}", key="desk.stale")
        if case.state != CaseState.PENDING_DISPATCH.value:
            raise Refused(f"state {case.state} is not waiting for dispatch")
        return case

    async def _menu(self, turn: Turn, case: Case, page: str) -> None:
        kind = "subdistrict" if page == "s" else "department"
        if page != "s" and not (page.startswith("d") and page[1:].isdigit()):
            raise Refused(f"bad menu page {page!r}")
        names = [u.name for u in await active_units(session=turn.session) if u.kind == kind]
        turn.replies.append(self.cards.unit_menu(case, page, names))

    async def _assign(self, turn: Turn, member: StaffMember, case: Case, key: str) -> None:
        units = [u.name for u in await active_units(session=turn.session)]
        matches = [name for name in units if p.unit_key(name) == key]
        if len(matches) != 1:
            raise Refused(f"unit key {key!r} matches {len(matches)} units")
        ctx = CommandContext(turn.session, self.deps, turn.now)
        await cmd.assign(
            ctx, Actor.of_staff(member), case.id, version=case.version, unit=matches[0]
        )
        turn.say(self.t("dispatch.assigned", number=case.number, unit=matches[0]))
