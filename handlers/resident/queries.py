"""What a resident can look up: their cases (/mycases) and one case's progress (/status)."""

from __future__ import annotations

from handlers.context import CoreDeps
from handlers.conversation.turn import Turn
from handlers.errors import UserError
from handlers.validation import is_case_number
from storage.cases import cases_of_resident, get_case
from storage.models import Case, CaseEvent
from storage.residents import get_resident

# Events a resident is shown in /status; internal ones (e.g. notes between staff) are not.
_RESIDENT_VISIBLE = {
    "submitted",
    "dispatched",
    "pending_dispatch",
    "assigned",
    "returned",
    "signed",
    "replied",
    "extension_approved",
    "resolved",
    "info_added",
    "withdrawn",
}


class ResidentQueries:
    def __init__(self, deps: CoreDeps) -> None:
        self.deps = deps
        self.t = deps.texts

    async def my_cases(self, turn: Turn) -> None:
        inbound = turn.inbound
        resident = await get_resident(
            session=turn.session, channel=inbound.channel, external_id=inbound.user_id
        )
        cases = (
            await cases_of_resident(session=turn.session, resident_id=resident.id)
            if resident is not None
            else []
        )
        if not cases:
            turn.say(self.t("mycases.empty"))
            return
        lines = [self.t("mycases.header")]
        lines += [
            self.t(
                "mycases.line",
                number=case.number,
                type=self.t(f"type.{case.request_type}"),
                state=self.t(f"state.{case.state}"),
                date=self._local(case.created_at, "%m-%d"),
            )
            for case in cases
        ]
        turn.say("\n".join(lines))

    async def status(self, turn: Turn, argument: str) -> None:
        number = argument.strip().upper()
        if not number:
            raise UserError("status.usage")
        if not is_case_number(number):
            raise UserError("status.bad_number")
        case = await self._own_case(turn, number)
        t = self.t
        lines = [
            t(
                "status.card",
                number=case.number,
                type=t(f"type.{case.request_type}"),
                state=t(f"state.{case.state}"),
                category=case.subcategory or case.category or t("summary.no_category"),
                unit=case.unit_name or t("summary.dispatcher"),
                created=self._local(case.created_at, "%Y-%m-%d %H:%M"),
            ),
            t("status.history"),
        ]
        lines += [self._event_line(e) for e in case.events if e.action in _RESIDENT_VISIBLE]
        turn.say("\n".join(lines))

    async def _own_case(self, turn: Turn, number: str) -> Case:
        """The case if this resident filed it; the same answer for 'absent' and 'not yours'."""
        inbound = turn.inbound
        case = await get_case(session=turn.session, number=number, with_events=True)
        if case is None:
            raise UserError("status.not_found")
        resident = await get_resident(
            session=turn.session, channel=inbound.channel, external_id=inbound.user_id
        )
        if resident is None or case.resident_id != resident.id:
            raise UserError("status.not_found")
        return case

    def _event_line(self, event: CaseEvent) -> str:
        # Work-desk events carry the unit in their data; the note is the reply or result text.
        unit = (event.data or {}).get("unit") or event.note or ""
        action = self.t(f"event.{event.action}", unit=unit, note=event.note or "")
        return self.t("status.event", time=self._local(event.at, "%m-%d %H:%M"), action=action)

    def _local(self, moment: object, fmt: str) -> str:
        from datetime import datetime

        assert isinstance(moment, datetime)
        return moment.astimezone(self.deps.zone).strftime(fmt)
