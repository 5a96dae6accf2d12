"""A unit's staff working a case from its card (承办): sign (签收), reply (回复), ask for more
time (延期), return (退单), close with a result (办结).

Multi-step input (reply text, reasons, result and photos) is kept in the drafts table under the
staff member's own identity with a step named "staff:<what>"; the resident intake never sees it.
Every step re-checks the stored unit, state and version, so nothing typed against a card that has
moved on changes the case.
"""

from __future__ import annotations

import logging
from typing import Any

from handlers.cases import notify
from handlers.cases.dispatching import queue_for_dispatch
from handlers.cases.events import Refused, actor_of, check_card, check_unit, move, record
from handlers.cases.extensions import REQUESTED, extension_status
from handlers.context import CoreDeps
from handlers.conversation import payloads as p
from handlers.conversation.messages import Button, Outbound
from handlers.conversation.turn import Turn
from handlers.desk.cards import RETURN_REASONS, Cards
from handlers.errors import UserError
from handlers.policy.lifecycle import CaseState
from handlers.validation import clean_text
from storage.cases import get_case_for_update
from storage.drafts import delete_draft, save_draft
from storage.examples import SOURCE_RETURN, add_example
from storage.models import Case, Draft, StaffMember

log = logging.getLogger(__name__)

STEP_PREFIX = "staff:"
CARD_ACTIONS = frozenset({"sign", "reply", "ext", "ret", "done"})
_REPLY_STATES = {CaseState.DISPATCHED, CaseState.ACCEPTED, CaseState.REOPENED}
_WORK_STATES = {CaseState.ACCEPTED, CaseState.REOPENED}
_RETURN_STATES = {CaseState.DISPATCHED}
_MAX_TEXT = 1000
_DAY_CHOICES = (1, 2, 3, 5, 10)


class UnitDesk:
    def __init__(self, deps: CoreDeps) -> None:
        self.deps = deps
        self.t = deps.texts
        self.cards = Cards(deps.texts, deps.zone)

    # -- card buttons ---------------------------------------------------------------------------

    async def press(self, turn: Turn, member: StaffMember, payload: p.Payload) -> None:
        """A button on a case card: s:<act>:<case_id>:<version>."""
        act = payload.action
        states = {
            "sign": {CaseState.DISPATCHED, CaseState.REOPENED},
            "reply": _REPLY_STATES,
            "ext": _WORK_STATES,
            "ret": _RETURN_STATES,
            "done": _WORK_STATES,
        }[act]
        case = await self._case(turn, member, payload.int_field(0), payload.int_field(1), states)
        if act == "sign":
            await self._sign(turn, member, case)
        elif act == "reply":
            await self._ask(turn, "reply", case, {}, self.t("staff.ask_reply"))
        elif act == "ext":
            await self._start_extension(turn, case)
        elif act == "ret":
            self._check_return_window(turn, case)
            await self._save(turn, "ret_reason", case, {})
            turn.replies.append(self.cards.return_reasons())
        else:
            await self._ask(turn, "result", case, {}, self.t("staff.ask_result"))

    # -- multi-step input -----------------------------------------------------------------------

    async def resume(self, turn: Turn, member: StaffMember, draft: Draft) -> None:
        """The next message of an input in progress (text, photo or one of its buttons)."""
        step = draft.step.removeprefix(STEP_PREFIX)
        data = dict(draft.data)
        choice = turn.inbound.choice
        if choice == "s:x":
            await self.drop(turn)
            return
        if step == "reply":
            await self._finish_reply(turn, member, data, self._text(turn))
        elif step == "ext_reason":
            data["reason"] = self._text(turn)
            await self._ask_days(turn, data)
        elif step == "ext_days":
            await self._finish_extension(turn, member, data, self._days(turn, data))
        elif step == "ret_reason":
            parsed = p.parse(choice or "")
            if parsed is None or parsed.action != "rr" or parsed.fields[:1] == ():
                raise UserError("err.not_offered")
            code = parsed.fields[0]
            if code not in RETURN_REASONS:
                raise UserError("err.not_offered")
            data["reason"] = code
            await self._save_data(turn, "ret_note", data)
            turn.say(
                self.t("staff.ask_ret_note"),
                [[Button(self.t("btn.skip"), "s:skip"), Button(self.t("btn.cancel"), "s:x")]],
            )
        elif step == "ret_note":
            note = None if choice == "s:skip" else self._text(turn)
            await self._finish_return(turn, member, data, note)
        elif step == "result":
            data["result"] = self._text(turn)
            data["photos"] = []
            await self._save_data(turn, "result_photos", data)
            turn.say(self._photos_prompt(), [[Button(self.t("btn.done"), "s:fin")]])
        elif step == "result_photos":
            await self._result_photo_step(turn, member, data)
        else:
            await self.drop(turn)

    async def drop(self, turn: Turn) -> None:
        await delete_draft(
            session=turn.session, channel=turn.inbound.channel, user_id=turn.inbound.user_id
        )
        turn.say(self.t("desk.input_dropped"))

    # -- sign -----------------------------------------------------------------------------------

    async def _sign(self, turn: Turn, member: StaffMember, case: Case) -> None:
        now = turn.now
        await move(
            session=turn.session,
            case=case,
            to_state=CaseState.ACCEPTED,
            now=now,
            actor=actor_of(member),
            action="signed",
            data={"unit": case.unit_name},
        )
        case.signed_at = now
        await self._tell_resident(
            turn,
            case,
            notify.version_stamp(case),
            Outbound(self.t("resident.signed", number=case.number, unit=case.unit_name)),
        )
        turn.say(
            self.t(
                "staff.signed", number=case.number, handle=self.cards.local(case.handle_deadline)
            )
        )
        turn.replies.append(self.cards.staff_card(case, now=now))

    # -- reply ----------------------------------------------------------------------------------

    async def _finish_reply(
        self, turn: Turn, member: StaffMember, data: dict[str, Any], text: str
    ) -> None:
        case = await self._drafted_case(turn, member, data, _REPLY_STATES)
        event = await record(
            session=turn.session,
            case=case,
            now=turn.now,
            actor=actor_of(member),
            action="replied",
            note=text,
            data={"unit": case.unit_name},
        )
        message = Outbound(
            self.t("resident.reply", unit=case.unit_name, number=case.number, text=text),
            buttons=((Button(self.t("btn.add_info"), p.build("r", "add", case.id)),),),
        )
        await self._tell_resident(turn, case, notify.event_stamp(event.id), message)
        await self._forget(turn)
        turn.say(self.t("staff.replied"))

    # -- extension ------------------------------------------------------------------------------

    async def _start_extension(self, turn: Turn, case: Case) -> None:
        left = await self._extension_left(turn, case)
        await self._ask(turn, "ext_reason", case, {"left": left}, self.t("staff.ask_ext_reason"))

    async def _extension_left(self, turn: Turn, case: Case) -> int:
        if case.handle_deadline is None:
            raise Refused("no handling clock to extend")
        if turn.now > case.handle_deadline:
            raise UserError("staff.ext_too_late")
        status = await extension_status(session=turn.session, case_id=case.id)
        if status.pending is not None:
            raise UserError("staff.ext_pending")
        cap = self.deps.sla.extension_cap_days
        left = cap - status.granted_days
        if left < 1:
            raise UserError("staff.ext_cap_reached", cap=cap)
        return left

    async def _ask_days(self, turn: Turn, data: dict[str, Any]) -> None:
        left = int(data["left"])
        await self._save_data(turn, "ext_days", data)
        choices = [d for d in _DAY_CHOICES if d <= left]
        turn.say(
            self.t("staff.ask_ext_days", left=left),
            [[Button(str(d), p.build("s", "ed", d)) for d in choices]],
        )

    def _days(self, turn: Turn, data: dict[str, Any]) -> int:
        left = int(data["left"])
        choice = turn.inbound.choice
        raw = choice.removeprefix("s:ed:") if choice else (turn.inbound.text or "").strip()
        if not raw.isdigit() or not 1 <= int(raw) <= left:
            raise UserError("staff.ext_bad_days", left=left)
        return int(raw)

    async def _finish_extension(
        self, turn: Turn, member: StaffMember, data: dict[str, Any], days: int
    ) -> None:
        case = await self._drafted_case(turn, member, data, _WORK_STATES)
        left = await self._extension_left(turn, case)
        if days > left:
            raise UserError("staff.ext_bad_days", left=left)
        reason = str(data["reason"])
        event = await record(
            session=turn.session,
            case=case,
            now=turn.now,
            actor=actor_of(member),
            action=REQUESTED,
            note=reason,
            data={"days": days, "unit": case.unit_name},
        )
        cap = self.deps.sla.extension_cap_days
        await notify.push(
            session=turn.session,
            case=case,
            kind=notify.EXTENSION_ASKED,
            stamp=notify.event_stamp(event.id),
            recipients=await notify.role_recipients(session=turn.session, role="supervisor"),
            message=self.cards.extension_request(
                case, event_id=event.id, days=days, reason=reason, already=cap - left, cap=cap
            ),
            now=turn.now,
        )
        await self._forget(turn)
        turn.say(self.t("staff.ext_requested", days=days))

    # -- return ---------------------------------------------------------------------------------

    def _check_return_window(self, turn: Turn, case: Case) -> None:
        if case.return_deadline is None or turn.now > case.return_deadline:
            log.info("return of %s refused: window closed", case.number)
            raise UserError("staff.return_closed", deadline=self.cards.local(case.return_deadline))

    async def _finish_return(
        self, turn: Turn, member: StaffMember, data: dict[str, Any], note: str | None
    ) -> None:
        case = await self._drafted_case(turn, member, data, _RETURN_STATES)
        self._check_return_window(turn, case)
        unit = case.unit_name
        assert unit is not None
        code = str(data["reason"])
        label = self.t(f"return.{code}")
        await move(
            session=turn.session,
            case=case,
            to_state=CaseState.PENDING_DISPATCH,
            now=turn.now,
            actor=actor_of(member),
            action="returned",
            note=f"{label}：{note}" if note else label,
            data={"unit": unit, "reason": code, "note": note},
        )
        # The unit's clocks stop: nobody is responsible until a dispatcher assigns it again.
        case.unit_name = None
        case.sign_deadline = case.handle_deadline = case.return_deadline = None
        add_example(
            session=turn.session,
            text=case.description,
            unit=unit,
            category=case.category,
            subcategory=case.subcategory,
            source=SOURCE_RETURN,
            case_id=case.id,
            now=turn.now,
        )
        reason = f"{label}：{note}" if note else label
        await queue_for_dispatch(
            session=turn.session, deps=self.deps, case=case, now=turn.now, returned=(unit, reason)
        )
        await self._tell_resident(
            turn,
            case,
            notify.version_stamp(case),
            Outbound(self.t("resident.requeued", number=case.number)),
        )
        await self._forget(turn)
        turn.say(self.t("staff.returned", number=case.number))

    # -- close ----------------------------------------------------------------------------------

    def _photos_prompt(self) -> str:
        return self.t("staff.ask_result_photos", max=self.deps.policy.max_photos)

    async def _result_photo_step(
        self, turn: Turn, member: StaffMember, data: dict[str, Any]
    ) -> None:
        inbound = turn.inbound
        done_typed = inbound.choice is None and (inbound.text or "").strip() == self.t("btn.done")
        if inbound.choice == "s:fin" or done_typed:
            await self._finish_close(turn, member, data)
            return
        if inbound.photo is None:
            raise UserError("err.not_offered")
        photos = list(data.get("photos", []))
        if len(photos) >= self.deps.policy.max_photos:
            turn.say(self.t("photo_limit", max=self.deps.policy.max_photos))
            return
        photos.append(inbound.photo)
        data["photos"] = photos
        await self._save_data(turn, "result_photos", data)
        turn.say(
            self.t("staff.result_photo", n=len(photos)),
            [[Button(self.t("btn.done"), "s:fin")]],
        )

    async def _finish_close(self, turn: Turn, member: StaffMember, data: dict[str, Any]) -> None:
        case = await self._drafted_case(turn, member, data, _WORK_STATES)
        result = str(data["result"])
        photos = [str(x) for x in data.get("photos", [])]
        await move(
            session=turn.session,
            case=case,
            to_state=CaseState.RESOLVED,
            now=turn.now,
            actor=actor_of(member),
            action="resolved",
            note=result,
            data={"unit": case.unit_name, "photos": photos},
        )
        case.resolved_at = turn.now
        await self._tell_resident(
            turn,
            case,
            notify.version_stamp(case),
            Outbound(
                self.t("resident.resolved", number=case.number, result=result),
                photos=tuple(photos),
            ),
        )
        await self._forget(turn)
        turn.say(self.t("staff.resolved", number=case.number))

    # -- helpers --------------------------------------------------------------------------------

    async def _case(
        self,
        turn: Turn,
        member: StaffMember,
        case_id: int | None,
        version: int | None,
        states: set[CaseState],
    ) -> Case:
        """The case a button names, locked, if this member's unit holds it in a fitting state."""
        case = None
        if case_id is not None:
            case = await get_case_for_update(session=turn.session, case_id=case_id)
        if case is None:
            raise Refused(f"no case {case_id}")
        check_unit(case, member)
        return check_card(case, version=version, states={s.value for s in states})

    async def _drafted_case(
        self, turn: Turn, member: StaffMember, data: dict[str, Any], states: set[CaseState]
    ) -> Case:
        try:
            return await self._case(turn, member, data.get("case"), data.get("version"), states)
        except Refused:
            # The case moved on while the input was being typed: the input is of no use now.
            await self._forget(turn)
            raise

    async def _ask(
        self, turn: Turn, step: str, case: Case, data: dict[str, Any], prompt: str
    ) -> None:
        await self._save(turn, step, case, data)
        turn.say(prompt, [[Button(self.t("btn.cancel"), "s:x")]])

    async def _save(self, turn: Turn, step: str, case: Case, data: dict[str, Any]) -> None:
        await self._save_data(turn, step, {**data, "case": case.id, "version": case.version})

    async def _save_data(self, turn: Turn, step: str, data: dict[str, Any]) -> None:
        await save_draft(
            session=turn.session,
            channel=turn.inbound.channel,
            user_id=turn.inbound.user_id,
            step=f"{STEP_PREFIX}{step}",
            data=data,
            now=turn.now,
        )

    async def _forget(self, turn: Turn) -> None:
        await delete_draft(
            session=turn.session, channel=turn.inbound.channel, user_id=turn.inbound.user_id
        )

    def _text(self, turn: Turn) -> str:
        inbound = turn.inbound
        if inbound.text is None or inbound.choice is not None:
            raise UserError("desk.expected_text")
        return clean_text(inbound.text, min_chars=1, max_chars=_MAX_TEXT)

    async def _tell_resident(self, turn: Turn, case: Case, stamp: str, message: Outbound) -> None:
        await notify.push(
            session=turn.session,
            case=case,
            kind=notify.RESIDENT_STEP,
            stamp=stamp,
            recipients=await notify.resident_recipient(session=turn.session, case=case),
            message=message,
            now=turn.now,
        )
