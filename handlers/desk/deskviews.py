"""Looking at cases from the work desk: `/case NUMBER` (masked, with its history) and `/cases`
(a unit's open cases). Unit staff see only their unit's cases; dispatchers and supervisors all."""

from __future__ import annotations

from handlers.context import CoreDeps
from handlers.conversation.messages import Outbound
from handlers.conversation.turn import Turn
from handlers.desk.cards import Cards
from handlers.errors import UserError
from handlers.policy.lifecycle import CaseState
from handlers.validation import is_case_number, mask_personal_data
from storage.casequeries import cases_in_states
from storage.cases import get_case
from storage.models import CaseEvent, StaffMember
from storage.staff import UNIT_ROLES

# Actor kinds with a label; another module's new kind is shown as it is stored, not a crash.
_ACTOR_KINDS = frozenset({"resident", "system", "staff", "dispatcher", "supervisor"})
_OPEN_AT_UNIT = (
    CaseState.DISPATCHED.value,
    CaseState.ACCEPTED.value,
    CaseState.REOPENED.value,
)
# States in which the unit's next step is to sign (签收), so /cases shows the sign deadline.
_AWAITING_SIGNATURE = (CaseState.DISPATCHED.value, CaseState.REOPENED.value)


class DeskViews:
    def __init__(self, deps: CoreDeps) -> None:
        self.t = deps.texts
        self.cards = Cards(deps.texts, deps.zone)

    async def show_case(self, turn: Turn, member: StaffMember, argument: str) -> None:
        number = argument.strip().upper()
        if not number:
            raise UserError("desk.case_usage")
        if not is_case_number(number):
            raise UserError("status.bad_number")
        case = await get_case(session=turn.session, number=number, with_events=True)
        unit_role = member.role in UNIT_ROLES
        # Another unit's case gets the same answer as a missing one.
        if case is None or (unit_role and case.unit_name != member.unit_name):
            raise UserError("desk.case_not_found")
        if unit_role:
            card = self.cards.staff_card(case, now=turn.now)
        elif member.role == "dispatcher" and case.state == CaseState.PENDING_DISPATCH:
            card = self.cards.dispatcher_card(case)
        else:
            # A look, not a hand on the case: no card buttons for the centre.
            card = self.cards.staff_card(case, now=turn.now)
            card = Outbound(card.text, photos=card.photos)
        history = [self.t("super.history")] + [self._event_line(e) for e in case.events]
        turn.replies.append(card)
        turn.say("\n".join(history))

    async def unit_cases(self, turn: Turn, member: StaffMember) -> None:
        cases = await cases_in_states(
            session=turn.session, states=_OPEN_AT_UNIT, unit=member.unit_name
        )
        if not cases:
            turn.say(self.t("staff.cases_empty"))
            return
        lines = [self.t("staff.cases_header")]
        for c in cases:
            awaiting_signature = c.state in _AWAITING_SIGNATURE
            lines.append(
                self.t(
                    "staff.cases_line.sign" if awaiting_signature else "staff.cases_line",
                    number=c.number,
                    state=self.t(f"state.{c.state}"),
                    deadline=self.cards.local(
                        c.sign_deadline if awaiting_signature else c.handle_deadline
                    ),
                )
            )
        turn.say("\n".join(lines))

    def _event_line(self, event: CaseEvent) -> str:
        kind = event.actor_kind
        actor = self.t(f"actor.{kind}") if kind in _ACTOR_KINDS else kind
        note = mask_personal_data(event.note) if event.note else ""
        action = event.action
        key = f"event.{action}"
        if self.t.has(key):
            # Most events name their unit in `data`; dispatch and reopen events in the note.
            unit = (event.data or {}).get("unit") or note
            action = self.t(key, unit=unit, note=note)
            # "承办单位回复：{note}" or "已派单至 {unit}" already shows it: do not repeat it.
            if note and note in action:
                note = ""
        return self.t(
            "super.event",
            time=self.cards.local(event.at),
            actor=actor,
            action=action,
            note=note,
        ).rstrip()
