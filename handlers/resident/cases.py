"""What a resident can do to a case already filed: add information (补充, relayed to the unit)
and withdraw it (撤销) before the unit signs for it.

Only the resident who filed a case may touch it; for anyone else it does not exist.
"""

from __future__ import annotations

import logging
from typing import Any

from handlers.cases import notify
from handlers.cases.events import Refused, move, record
from handlers.context import CoreDeps
from handlers.conversation import payloads as p
from handlers.conversation.messages import Button, Outbound
from handlers.conversation.turn import Turn
from handlers.errors import UserError
from handlers.policy.lifecycle import OPEN_STATES, CaseState
from handlers.validation import clean_text, is_case_number, mask_personal_data
from storage.cases import get_case, get_case_for_update, open_cases_of_resident
from storage.drafts import delete_draft, save_draft
from storage.models import Case
from storage.residents import get_resident

log = logging.getLogger(__name__)

# Draft steps for a resident's message about a case already filed; the intake dialog's own steps
# never start with this prefix, so the core can tell the two apart.
PENDING_PREFIX = "case:"
PENDING_ADD = "case:add"  # 补充 pressed: the next text is added to the case
PENDING_TRIAGE = "case:triage"  # free text while cases are open: add it, or start a new one?
TRIAGE_ACTIONS = frozenset({"ta", "tn"})

_WITHDRAWABLE = {CaseState.PENDING_DISPATCH.value, CaseState.DISPATCHED.value}
# The unit hears of added information while it holds the case.
_AT_UNIT = {CaseState.DISPATCHED.value, CaseState.ACCEPTED.value, CaseState.REOPENED.value}


class ResidentCases:
    def __init__(self, deps: CoreDeps) -> None:
        self.deps = deps
        self.t = deps.texts

    async def add_command(self, turn: Turn, argument: str) -> None:
        """/add NUMBER text"""
        number, _, text = argument.strip().partition(" ")
        number = number.upper()
        if not number or not text.strip():
            raise UserError("resident.add_usage")
        if not is_case_number(number):
            raise UserError("status.bad_number")
        info = clean_text(text, min_chars=1, max_chars=self.deps.policy.max_description_chars)
        case = await self._own_case(turn, await get_case(session=turn.session, number=number))
        await self._add_info(turn, case, info)

    async def withdraw_command(self, turn: Turn, argument: str) -> None:
        """/withdraw NUMBER"""
        number = argument.strip().upper()
        if not number:
            raise UserError("resident.withdraw_usage")
        if not is_case_number(number):
            raise UserError("status.bad_number")
        case = await self._own_case(turn, await get_case(session=turn.session, number=number))
        locked = await get_case_for_update(session=turn.session, case_id=case.id)
        assert locked is not None
        await self._withdraw(turn, locked)

    async def press(self, turn: Turn, payload: p.Payload, *, draft_open: bool) -> None:
        """r:add:<case_id> asks for the information; r:wd:<case_id>:<version> withdraws.

        With an intake draft open, 补充 only explains /add, so the draft is not overwritten.
        """
        try:
            await self._press(turn, payload, draft_open=draft_open)
        except Refused as refusal:
            inbound = turn.inbound
            log.warning(
                "refused %s/%s %r: %s",
                inbound.channel,
                inbound.user_id,
                inbound.choice,
                refusal.reason,
            )
            raise

    async def _press(self, turn: Turn, payload: p.Payload, *, draft_open: bool) -> None:
        case_id = payload.int_field(0)
        case = await get_case_for_update(session=turn.session, case_id=case_id) if case_id else None
        if payload.action == "add":
            case = await self._own_case(turn, case)
            if draft_open:
                turn.say(self.t("resident.add_prompt", number=case.number))
                return
            await self._save_pending(turn, PENDING_ADD, {"case_id": case.id})
            turn.say(self.t("resident.add_ask", number=case.number))
        elif payload.action == "wd":
            case = await self._own_case(turn, case)
            if payload.int_field(1) != case.version:
                raise Refused("stale withdraw button", key="desk.stale")
            await self._withdraw(turn, case)
        else:
            raise Refused("unknown resident action")

    async def triage(self, turn: Turn, text: str) -> bool:
        """Free text with no draft open: if the resident has open cases, ask whether it adds to
        one of them (the current state is shown at once: often the question *is* 'any news?')
        or starts a new case. False when there is nothing open (the caller starts an intake)."""
        inbound = turn.inbound
        resident = await get_resident(
            session=turn.session, channel=inbound.channel, external_id=inbound.user_id
        )
        if resident is None:
            return False
        cases = await open_cases_of_resident(
            session=turn.session,
            resident_id=resident.id,
            open_states=[state.value for state in OPEN_STATES],
        )
        if not cases:
            return False
        await self._save_pending(
            turn, PENDING_TRIAGE, {"text": text, "cases": [case.id for case in cases]}
        )
        lines = [
            self.t(
                "resident.triage_line",
                number=case.number,
                state=self.t(f"state.{case.state}"),
                unit=case.unit_name or self.t("summary.dispatcher"),
            )
            for case in cases
        ]
        rows = [
            (Button(self.t("btn.add_to", number=case.number), p.build(p.RESIDENT, "ta", case.id)),)
            for case in cases
        ]
        rows.append((Button(self.t("btn.new_case"), p.build(p.RESIDENT, "tn")),))
        turn.say(self.t("resident.triage", cases="\n".join(lines)), rows)
        return True

    async def resume_pending(self, turn: Turn, step: str, data: dict[str, Any]) -> str | None:
        """Go on with a pending message about a case. Returns the text to start a new intake
        with when the resident chose 新的诉求, else None."""
        inbound = turn.inbound
        if step == PENDING_ADD:
            if inbound.text is None:
                raise UserError("err.expected_text")
            info = clean_text(
                inbound.text, min_chars=1, max_chars=self.deps.policy.max_description_chars
            )
            await self._add_to(turn, data.get("case_id"), info)
            return None
        payload = p.parse(inbound.choice or "")
        if payload is None or payload.action not in TRIAGE_ACTIONS:
            raise UserError("resident.triage_choose")
        stored = str(data.get("text", ""))
        await delete_draft(session=turn.session, channel=inbound.channel, user_id=inbound.user_id)
        if payload.action == "tn":
            return stored
        case_id = payload.int_field(0)
        if case_id not in data.get("cases", []):
            raise Refused("triage button for a case that was not offered")
        await self._add_to(turn, case_id, stored)
        return None

    async def _add_to(self, turn: Turn, case_id: object, info: str) -> None:
        inbound = turn.inbound
        locked = (
            await get_case_for_update(session=turn.session, case_id=case_id)
            if isinstance(case_id, int)
            else None
        )
        case = await self._own_case(turn, locked)
        await delete_draft(session=turn.session, channel=inbound.channel, user_id=inbound.user_id)
        await self._add_info(turn, case, info)

    async def _save_pending(self, turn: Turn, step: str, data: dict[str, Any]) -> None:
        inbound = turn.inbound
        await save_draft(
            session=turn.session,
            channel=inbound.channel,
            user_id=inbound.user_id,
            step=step,
            data=data,
            now=turn.now,
        )

    async def _own_case(self, turn: Turn, case: Case | None) -> Case:
        """The case if this resident filed it; the same answer for 'absent' and 'not yours'."""
        inbound = turn.inbound
        resident = await get_resident(
            session=turn.session, channel=inbound.channel, external_id=inbound.user_id
        )
        if case is None or resident is None or case.resident_id != resident.id:
            log.info("resident %s/%s asked for a case not theirs", inbound.channel, inbound.user_id)
            raise UserError("status.not_found")
        return case

    async def _add_info(self, turn: Turn, case: Case, info: str) -> None:
        if case.state not in OPEN_STATES:
            raise UserError("resident.not_open")
        event = await record(
            session=turn.session,
            case=case,
            now=turn.now,
            actor=("resident", turn.inbound.user_id),
            action="info_added",
            note=info,
        )
        if case.state in _AT_UNIT and case.unit_name:
            # Relayed by the bot: the unit sees the words, never who wrote them.
            await notify.push(
                session=turn.session,
                case=case,
                kind=notify.INFO,
                stamp=notify.event_stamp(event.id),
                recipients=await notify.unit_recipients(session=turn.session, unit=case.unit_name),
                message=Outbound(
                    self.t("staff.info_added", number=case.number, text=mask_personal_data(info))
                ),
                now=turn.now,
            )
        turn.say(self.t("resident.info_added"))

    async def _withdraw(self, turn: Turn, case: Case) -> None:
        if case.state not in _WITHDRAWABLE:
            raise UserError(
                "resident.cannot_withdraw" if case.state in OPEN_STATES else "resident.not_open"
            )
        unit = case.unit_name
        await move(
            session=turn.session,
            case=case,
            to_state=CaseState.CANCELLED,
            now=turn.now,
            actor=("resident", turn.inbound.user_id),
            action="withdrawn",
            data={"unit": unit},
        )
        case.sign_deadline = case.handle_deadline = case.return_deadline = None
        if unit is not None:
            await notify.push(
                session=turn.session,
                case=case,
                kind=notify.WITHDRAWN,
                stamp=notify.version_stamp(case),
                recipients=await notify.unit_recipients(session=turn.session, unit=unit),
                message=Outbound(self.t("staff.withdrawn", number=case.number)),
                now=turn.now,
            )
        turn.say(self.t("resident.withdrawn", number=case.number))
