"""A unit's staff working a case from its card in chat (承办): sign (签收), reply (回复), ask for
more time (延期), return (退单), close with a result (办结).

The desk is a dialog only: it collects the input (reply text, reasons, result and photos) in the
staff member's own draft (namespace "staff"), then calls the case command, which checks unit,
state and version again, so nothing typed against a card that has moved on changes the case.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from handlers.cases import commands as cmd
from handlers.cases.commands import Actor, CommandContext, Refusal
from handlers.context import CoreDeps
from handlers.conversation import payloads as p
from handlers.conversation.dialogs import STAFF, clear_dialog, save_dialog
from handlers.conversation.messages import Button
from handlers.conversation.turn import Turn
from handlers.desk.cards import RETURN_REASONS, Cards
from handlers.errors import UserError
from handlers.policy.casetypes import RequestType
from handlers.validation import clean_text
from storage.models import StaffMember

log = logging.getLogger(__name__)

CARD_ACTIONS = frozenset({"sign", "reply", "ext", "ret", "done"})
_MAX_TEXT = 1000
_DAY_CHOICES = (1, 2, 3, 5, 10)

Step = Callable[[Turn, StaffMember, dict[str, Any]], Awaitable[None]]


class UnitDesk:
    def __init__(self, deps: CoreDeps) -> None:
        self.deps = deps
        self.t = deps.texts
        self.cards = Cards(deps.texts, deps.zone)
        # The staff input dialog: step → handler (the draft's step names the next expected input).
        self.steps: dict[str, Step] = {
            "reply": self._reply_text,
            "ext_reason": self._ext_reason,
            "ext_days": self._ext_days,
            "ret_reason": self._ret_reason,
            "ret_note": self._ret_note,
            "result": self._result_text,
            "result_photos": self._result_photo,
        }

    def _ctx(self, turn: Turn) -> CommandContext:
        return CommandContext(turn.session, self.deps, turn.now)

    # -- card buttons ---------------------------------------------------------------------------

    async def press(self, turn: Turn, member: StaffMember, payload: p.Payload) -> None:
        """A button on a case card: s:<act>:<case_id>:<version>."""
        act = payload.action
        ctx, actor = self._ctx(turn), Actor.of_staff(member)
        case_id, version = payload.int_field(0), payload.int_field(1)
        if act == "sign":
            case = await cmd.sign(ctx, actor, case_id or 0, version=version)
            turn.say(
                self.t(
                    "staff.signed",
                    number=case.number,
                    handle=self.cards.local(case.handle_deadline),
                )
            )
            turn.replies.append(self.cards.staff_card(case, now=turn.now))
            return
        action = {"reply": "reply", "ext": "extend", "ret": "return", "done": "resolve"}[act]
        case = await cmd.may(ctx, actor, case_id, version=version, action=action)
        data: dict[str, Any] = {"case": case.id, "version": case.version}
        if act == "reply":
            await self._ask(turn, "reply", data, self.t("staff.ask_reply"))
        elif act == "ext":
            data["left"] = await cmd.may_extend(ctx, actor, case.id, version=case.version)
            await self._ask(turn, "ext_reason", data, self.t("staff.ask_ext_reason"))
        elif act == "ret":
            await self._save(turn, "ret_reason", data)
            turn.replies.append(self.cards.return_reasons())
        else:
            await self._ask(turn, "result", data, self.t("staff.ask_result"))

    # -- multi-step input -----------------------------------------------------------------------

    async def resume(
        self, turn: Turn, member: StaffMember, step: str, data: dict[str, Any]
    ) -> None:
        """The next message of an input in progress (text, photo or one of its buttons)."""
        if turn.inbound.choice == "s:x":
            await self.drop(turn)
            return
        handler = self.steps.get(step)
        if handler is None:
            await self.drop(turn)
            return
        try:
            await handler(turn, member, dict(data))
        except Refusal:
            # The case moved on while the input was being typed: the input is of no use now.
            await clear_dialog(turn)
            raise

    async def drop(self, turn: Turn) -> None:
        await clear_dialog(turn)
        turn.say(self.t("desk.input_dropped"))

    async def _reply_text(self, turn: Turn, member: StaffMember, data: dict[str, Any]) -> None:
        await cmd.reply(
            self._ctx(turn),
            Actor.of_staff(member),
            int(data["case"]),
            version=data.get("version"),
            text=self._text(turn),
        )
        await clear_dialog(turn)
        turn.say(self.t("staff.replied"))

    async def _ext_reason(self, turn: Turn, member: StaffMember, data: dict[str, Any]) -> None:
        data["reason"] = self._text(turn)
        left = int(data["left"])
        await self._save(turn, "ext_days", data)
        choices = [d for d in _DAY_CHOICES if d <= left]
        turn.say(
            self.t("staff.ask_ext_days", left=left),
            [[Button(str(d), p.build(p.STAFF, "ed", d)) for d in choices]],
        )

    async def _ext_days(self, turn: Turn, member: StaffMember, data: dict[str, Any]) -> None:
        left = int(data["left"])
        choice = turn.inbound.choice
        raw = choice.removeprefix("s:ed:") if choice else (turn.inbound.text or "").strip()
        if not raw.isdigit() or not 1 <= int(raw) <= left:
            raise UserError("staff.ext_bad_days", left=left)
        days = int(raw)
        await cmd.request_extension(
            self._ctx(turn),
            Actor.of_staff(member),
            int(data["case"]),
            version=data.get("version"),
            days=days,
            reason=str(data["reason"]),
        )
        await clear_dialog(turn)
        turn.say(self.t("staff.ext_requested", days=days))

    async def _ret_reason(self, turn: Turn, member: StaffMember, data: dict[str, Any]) -> None:
        parsed = p.parse(turn.inbound.choice or "")
        if parsed is None or parsed.action != "rr" or parsed.fields[:1] == ():
            raise UserError("err.not_offered")
        code = parsed.fields[0]
        if code not in RETURN_REASONS:
            raise UserError("err.not_offered")
        data["reason"] = code
        await self._save(turn, "ret_note", data)
        turn.say(
            self.t("staff.ask_ret_note"),
            [[Button(self.t("btn.skip"), "s:skip"), Button(self.t("btn.cancel"), "s:x")]],
        )

    async def _ret_note(self, turn: Turn, member: StaffMember, data: dict[str, Any]) -> None:
        note = None if turn.inbound.choice == "s:skip" else self._text(turn)
        case = await cmd.return_case(
            self._ctx(turn),
            Actor.of_staff(member),
            int(data["case"]),
            version=data.get("version"),
            reason=str(data["reason"]),
            note=note,
        )
        await clear_dialog(turn)
        turn.say(self.t("staff.returned", number=case.number))

    async def _result_text(self, turn: Turn, member: StaffMember, data: dict[str, Any]) -> None:
        data["result"] = self._text(turn)
        data["photos"] = []
        await self._save(turn, "result_photos", data)
        turn.say(self._photos_prompt(), [[Button(self.t("btn.done"), "s:fin")]])

    async def _result_photo(self, turn: Turn, member: StaffMember, data: dict[str, Any]) -> None:
        inbound = turn.inbound
        done_typed = inbound.choice is None and (inbound.text or "").strip() == self.t("btn.done")
        if inbound.choice == "s:fin" or done_typed:
            case = await cmd.resolve(
                self._ctx(turn),
                Actor.of_staff(member),
                int(data["case"]),
                version=data.get("version"),
                result=str(data["result"]),
                photos=[str(x) for x in data.get("photos", [])],
            )
            await clear_dialog(turn)
            turn.say(self.t("staff.resolved", number=case.number))
            if case.request_type == RequestType.QUESTION.value:
                # Issue 14: a question answered once can become a knowledge entry.
                turn.say(self.t("staff.kb_propose_hint", number=case.number))
            return
        if inbound.photo is None:
            raise UserError("err.not_offered")
        photos = list(data.get("photos", []))
        if len(photos) >= self.deps.policy.max_photos:
            turn.say(self.t("photo_limit", max=self.deps.policy.max_photos))
            return
        photos.append(inbound.photo)
        data["photos"] = photos
        await self._save(turn, "result_photos", data)
        turn.say(
            self.t("staff.result_photo", n=len(photos)),
            [[Button(self.t("btn.done"), "s:fin")]],
        )

    # -- helpers --------------------------------------------------------------------------------

    def _photos_prompt(self) -> str:
        return self.t("staff.ask_result_photos", max=self.deps.policy.max_photos)

    async def _ask(self, turn: Turn, step: str, data: dict[str, Any], prompt: str) -> None:
        await self._save(turn, step, data)
        turn.say(prompt, [[Button(self.t("btn.cancel"), "s:x")]])

    async def _save(self, turn: Turn, step: str, data: dict[str, Any]) -> None:
        await save_dialog(turn, STAFF, step, data)

    def _text(self, turn: Turn) -> str:
        inbound = turn.inbound
        if inbound.text is None or inbound.choice is not None:
            raise UserError("desk.expected_text")
        return clean_text(inbound.text, min_chars=1, max_chars=_MAX_TEXT)
