"""What a resident can do to a case already filed, in chat: add information (补充, relayed to
the unit) and withdraw it (撤销) before the unit signs for it. The case commands do the work and
check that the case is the resident's own; for anyone else it does not exist.
"""

from __future__ import annotations

import logging
from typing import Any

from handlers.cases import commands as cmd
from handlers.cases.commands import Actor, CommandContext, Refusal, RefusalCode
from handlers.context import CoreDeps
from handlers.conversation import payloads as p
from handlers.conversation.dialogs import CASE, clear_dialog, save_dialog
from handlers.conversation.messages import Button
from handlers.conversation.turn import Turn
from handlers.errors import Refused, UserError
from handlers.policy.lifecycle import OPEN_STATES, CaseState
from handlers.validation import clean_text, is_case_number
from storage.cases import get_case, open_cases_of_resident
from storage.models import Case
from storage.residents import get_resident

log = logging.getLogger(__name__)

# Steps of the CASE dialog: a resident's message about a case already filed.
ADD = "add"  # 补充 pressed: the next text is added to the case
TRIAGE = "triage"  # free text while cases are open: add it, or start a new one?
TRIAGE_ACTIONS = frozenset({"ta", "tn"})


class ResidentCases:
    def __init__(self, deps: CoreDeps) -> None:
        self.deps = deps
        self.t = deps.texts

    async def _actor(self, turn: Turn) -> Actor:
        inbound = turn.inbound
        resident = await get_resident(
            session=turn.session, channel=inbound.channel, external_id=inbound.user_id
        )
        if resident is None:
            raise UserError("status.not_found")
        return Actor.of_resident(resident.id)

    async def _case_id(self, turn: Turn, number: str) -> int:
        case = await get_case(session=turn.session, number=number)
        if case is None:
            raise UserError("status.not_found")
        return case.id

    async def add_command(self, turn: Turn, argument: str) -> None:
        """/add NUMBER text"""
        number, _, text = argument.strip().partition(" ")
        number = number.upper()
        if not number or not text.strip():
            raise UserError("resident.add_usage")
        if not is_case_number(number):
            raise UserError("status.bad_number")
        info = clean_text(text, min_chars=1, max_chars=self.deps.policy.max_description_chars)
        await self._add_info(turn, await self._case_id(turn, number), info)

    async def withdraw_command(self, turn: Turn, argument: str) -> None:
        """/withdraw NUMBER"""
        number = argument.strip().upper()
        if not number:
            raise UserError("resident.withdraw_usage")
        if not is_case_number(number):
            raise UserError("status.bad_number")
        await self._withdraw(turn, await self._case_id(turn, number), None)

    async def press(self, turn: Turn, payload: p.Payload, *, draft_open: bool) -> None:
        """r:add:<case_id> asks for the information; r:wd:<case_id>:<version> withdraws.

        With an intake draft open, 补充 only explains /add, so the draft is not overwritten.
        """
        case_id = payload.int_field(0)
        if payload.action == "add":
            case = await self._check_own(turn, case_id)
            if draft_open:
                turn.say(self.t("resident.add_prompt", number=case.number))
                return
            await save_dialog(turn, CASE, ADD, {"case_id": case.id})
            turn.say(self.t("resident.add_ask", number=case.number))
        elif payload.action == "wd":
            version = payload.int_field(1)
            if version is None:
                raise Refused("withdraw button without a version")
            await self._withdraw(turn, case_id, version)
        else:
            raise Refused("unknown resident action")

    async def _check_own(self, turn: Turn, case_id: int | None) -> Case:
        actor = await self._actor(turn)
        case = await turn.session.get(Case, case_id) if case_id else None
        if case is None or str(case.resident_id) != actor.id:
            raise UserError("status.not_found")
        return case

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
        await save_dialog(turn, CASE, TRIAGE, {"text": text, "cases": [case.id for case in cases]})
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
        if step == ADD:
            if inbound.text is None:
                raise UserError("err.expected_text")
            info = clean_text(
                inbound.text, min_chars=1, max_chars=self.deps.policy.max_description_chars
            )
            await clear_dialog(turn)
            await self._add_info(turn, data.get("case_id"), info)
            return None
        payload = p.parse(inbound.choice or "")
        if payload is None or payload.action not in TRIAGE_ACTIONS:
            raise UserError("resident.triage_choose")
        stored = str(data.get("text", ""))
        await clear_dialog(turn)
        if payload.action == "tn":
            return stored
        case_id = payload.int_field(0)
        if case_id not in data.get("cases", []):
            raise Refused("triage button for a case that was not offered")
        await self._add_info(turn, case_id, stored)
        return None

    async def _add_info(self, turn: Turn, case_id: object, info: str) -> None:
        ctx = CommandContext(turn.session, self.deps, turn.now)
        actor = await self._actor(turn)
        try:
            await cmd.add_info(ctx, actor, case_id if isinstance(case_id, int) else 0, text=info)
        except Refusal as refusal:
            raise self._words(refusal) from refusal
        turn.say(self.t("resident.info_added"))

    async def _withdraw(self, turn: Turn, case_id: int | None, version: int | None) -> None:
        ctx = CommandContext(turn.session, self.deps, turn.now)
        actor = await self._actor(turn)
        try:
            case = await cmd.withdraw(ctx, actor, case_id or 0, version=version)
        except Refusal as refusal:
            raise self._words(refusal) from refusal
        turn.say(self.t("resident.withdrawn", number=case.number))

    def _words(self, refusal: Refusal) -> UserError:
        """A refusal in the resident's words."""
        if refusal.code is RefusalCode.STALE:
            return Refused(refusal.detail, key="desk.stale")
        if refusal.code is RefusalCode.WRONG_STATE:
            still_open = CaseState(str(refusal.values["state"])) in OPEN_STATES
            return UserError("resident.cannot_withdraw" if still_open else "resident.not_open")
        if refusal.code is RefusalCode.BAD_INPUT:
            return UserError("err.too_long", max=self.deps.policy.max_description_chars)
        return UserError("status.not_found")
