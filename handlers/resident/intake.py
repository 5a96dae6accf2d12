"""The resident intake dialog (受理): type → description → category if unsure → place → photos →
contact → summary → submit. Each step validates its input and says clearly what is wrong."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from handlers.cases.commands import Actor, CommandContext, NewCase, file_case
from handlers.cases.commands.routing import resident_buttons
from handlers.context import CoreDeps
from handlers.conversation import payloads as p
from handlers.conversation.dialogs import INTAKE, clear_dialog, save_dialog
from handlers.conversation.messages import Button, Outbound
from handlers.conversation.turn import Turn
from handlers.errors import UserError
from handlers.policy.casetypes import RequestType
from handlers.resident.draft import DraftState, Step
from handlers.resident.intent import plainly_complaint
from handlers.validation import clean_text, mask_phone, normalise_phone
from nlp.kb import read_intent
from nlp.router import RouteDecision
from storage.kb import HANDOFF, SOLVED, UNSOLVED, record_kb_answer, record_kb_outcome
from storage.models import Case

log = logging.getLogger(__name__)

REQUEST_TYPES = tuple(rt.value for rt in RequestType)

# Button payloads, in the one payload grammar (handlers/conversation/payloads.py): the intake's
# own buttons under prefix "i", request types "t", edit targets "e", categories "cat".
P_SKIP = p.build(p.INTAKE, "skip")
P_DONE = p.build(p.INTAKE, "done")
P_ANON = p.build(p.INTAKE, "anon")
P_PHONE = p.build(p.INTAKE, "phone")
P_SHARE_YES, P_SHARE_NO = (p.build(p.INTAKE, "share", answer) for answer in "yn")
P_SUBMIT = p.build(p.INTAKE, "submit")
P_EDIT = p.build(p.INTAKE, "edit")
P_CANCEL = p.build(p.INTAKE, "cancel")
P_BACK = p.build(p.INTAKE, "back")
P_UNSURE = p.build(p.CATEGORY, "none")
# 解决了吗? 已解决 / 未解决 / 转人工 under a knowledge-base answer.
P_KB_SOLVED, P_KB_UNSOLVED, P_KB_HANDOFF = (p.build(p.INTAKE, "kb", answer) for answer in "ynh")
# After 提交 the dialog keeps this step (with the case number) so that a second press of a
# button of the finished summary is answered with the number, not "option not available".
FILED = "filed"
_EDIT_TARGETS = {
    "e:desc": Step.DESCRIBE,
    "e:place": Step.PLACE,
    "e:photos": Step.PHOTOS,
    "e:contact": Step.CONTACT,
    "e:cat": Step.CATEGORY,
}


class Intake:
    """Runs the intake dialog over a `DraftState` kept in the database."""

    def __init__(self, deps: CoreDeps) -> None:
        self.deps = deps
        self.t = deps.texts
        self.policy = deps.policy
        # The dialog as data: the step the draft is at → the handler of the next message.
        self.steps: dict[Step, Callable[[Turn, DraftState], Awaitable[None]]] = {
            Step.TYPE: self._on_type,
            Step.DESCRIBE: self._on_describe,
            Step.CATEGORY: self._on_category,
            Step.PLACE: self._on_place,
            Step.PHOTOS: self._on_photos,
            Step.CONTACT: self._on_contact,
            Step.SHARE: self._on_share,
            Step.PHONE: self._on_phone,
            Step.CONFIRM: self._on_confirm,
            Step.EDIT: self._on_edit,
            Step.ANSWERED: self._on_answered,
        }

    # -- entry points -------------------------------------------------------------------------

    async def begin(self, turn: Turn, *, first_text: str | None = None) -> None:
        """Start a new draft; free text typed before choosing a type is kept as the description."""
        state = DraftState()
        if first_text is not None and await self._keep_first_text(turn, state, first_text):
            return
        await self._show(turn, state)

    async def _keep_first_text(self, turn: Turn, state: DraftState, text: str) -> bool:
        """Most residents type the complaint first: keep it, say so, and when it plainly is a
        complaint go on without asking the type at all. True if a knowledge-base answer was
        offered instead (the step is shown by it)."""
        state.description = clean_text(
            text,
            min_chars=self.policy.min_description_chars,
            max_chars=self.policy.max_description_chars,
        )
        turn.say(self.t("intake.description_kept"))
        if plainly_complaint(state.description):
            state.request_type = RequestType.COMPLAINT.value
            self._route(turn, state)
            return False
        return await self._offer_answer(turn, state)

    async def resume(self, turn: Turn, state: DraftState) -> None:
        """Feed one inbound message to the step the draft is at."""
        inbound = turn.inbound
        if inbound.photo is not None and state.step is not Step.TYPE:
            self._add_photo(turn, state, inbound.photo)
            await self._save(turn, state)
            return
        handler = self.steps[state.step]
        try:
            await handler(turn, state)
        except UserError as error:
            # Say what is wrong, show the same step again; the draft stays as it was.
            turn.say(self.t(error.key, **error.values))
            turn.replies.append(self._prompt(state))

    async def cancel(self, turn: Turn) -> None:
        await clear_dialog(turn)
        turn.say(self.t("cancelled_draft"))

    def answer_filed(self, turn: Turn, data: dict[str, object]) -> None:
        """A button of a summary already submitted: the case number again (it may have been
        lost with a crash or an outage between filing and the reply)."""
        turn.say(self.t("intake.already_filed", number=str(data.get("number", "-"))), lasting=True)

    @staticmethod
    def is_summary_button(choice: str | None) -> bool:
        return choice in (P_SUBMIT, P_EDIT, P_CANCEL)

    def prompt_again(self, turn: Turn, state: DraftState) -> None:
        turn.replies.append(self._prompt(state))

    # -- steps ---------------------------------------------------------------------------------

    async def _on_type(self, turn: Turn, state: DraftState) -> None:
        try:
            chosen = self._choice(
                turn, {f"t:{rt}": rt for rt in REQUEST_TYPES}, labels=self._type_labels()
            )
        except UserError:
            typed = (turn.inbound.text or "").strip()
            if turn.inbound.choice is not None or state.description is not None or not typed:
                raise
            if len(typed) < self.policy.min_description_chars:
                raise UserError("err.type_or_describe") from None
            # The welcome's type buttons ignored (Telegram's START, then the complaint typed):
            # the text is the description, as if it had come first.
            if not await self._keep_first_text(turn, state, typed):
                await self._show(turn, state)
            return
        state.request_type = chosen
        if state.description is None:
            state.step = Step.DESCRIBE
        elif await self._offer_answer(turn, state):
            return
        else:
            self._route(turn, state)
        await self._show(turn, state)

    async def _on_describe(self, turn: Turn, state: DraftState) -> None:
        state.description = clean_text(
            self._text(turn),
            min_chars=self.policy.min_description_chars,
            max_chars=self.policy.max_description_chars,
        )
        state.chosen_subcategory = None
        state.unsure_category = False
        state.category_asks = 0
        if await self._offer_answer(turn, state):
            return
        self._route(turn, state)
        await self._show(turn, state)

    # -- questions answered from the knowledge base (知识库) ------------------------------------

    async def _offer_answer(self, turn: Turn, state: DraftState) -> bool:
        """A question (咨询, or a message that reads as one) gets the best knowledge-base answer
        first, with 已解决 / 未解决 / 转人工. A complaint is never deflected to an answer; a
        question no entry answers is counted (the list a centre should write next)."""
        kb, text = self.deps.knowledge, state.description
        if kb is None or text is None or state.kb_query is not None:
            return False
        if state.request_type not in (None, RequestType.QUESTION.value):
            return False
        reading = read_intent(text)
        if reading.complaint or plainly_complaint(text):
            return False
        if state.request_type is None and not reading.question:
            return False
        answer = kb.best(text, today=turn.now.astimezone(self.deps.zone).date())
        asked = await record_kb_answer(
            session=turn.session,
            channel=turn.inbound.channel,
            text=text,
            entry_id=answer.entry.id if answer else None,
            score=answer.score if answer else None,
            now=turn.now,
        )
        if answer is None:
            return False
        state.kb_query, state.kb_shown = asked.id, [answer.entry.id]
        state.step = Step.ANSWERED
        await self._save(turn, state)
        turn.say(self.t("kb.answer", answer=answer.entry.reply_text()))
        turn.replies.append(self._prompt(state))
        return True

    async def _on_answered(self, turn: Turn, state: DraftState) -> None:
        chosen = self._choice(
            turn,
            {P_KB_SOLVED: P_KB_SOLVED, P_KB_UNSOLVED: P_KB_UNSOLVED, P_KB_HANDOFF: P_KB_HANDOFF},
        )
        if chosen == P_KB_SOLVED:
            assert state.kb_query is not None
            await record_kb_outcome(
                session=turn.session, query_id=state.kb_query, outcome=SOLVED, now=turn.now
            )
            await clear_dialog(turn)
            turn.say(self.t("kb.solved"))
            return
        # Not answered: on as a normal 咨询 case carrying the question and what was shown.
        state.kb_handoff = chosen == P_KB_HANDOFF
        state.request_type = RequestType.QUESTION.value
        turn.say(self.t("kb.continue"))
        self._route(turn, state)
        await self._show(turn, state)

    async def _on_category(self, turn: Turn, state: DraftState) -> None:
        options = {f"cat:{i}": sub for i, sub in enumerate(state.category_options)}
        options[P_UNSURE] = ""
        labels = {sub: f"cat:{i}" for i, sub in enumerate(state.category_options)}
        labels[self.t("category_unsure")] = P_UNSURE
        chosen = self._choice(turn, options, labels=labels)
        if chosen:
            state.chosen_subcategory = chosen
            state.unsure_category = False
        else:
            # The resident does not know either: the dispatcher decides (待派单).
            state.chosen_subcategory = None
            state.unsure_category = True
        self._decide(state)
        state.step = self._next_step(state)
        await self._show(turn, state)

    async def _on_place(self, turn: Turn, state: DraftState) -> None:
        inbound = turn.inbound
        state.place_asked = True
        router = self.deps.router
        if inbound.location is not None:
            lat, lon = inbound.location.latitude, inbound.location.longitude
            state.latitude, state.longitude = lat, lon
            state.place_unit = router.nearest_subdistrict(lat, lon)
            state.place_text = state.place_text or f"{lat:.5f},{lon:.5f}"
            if state.place_unit is None:
                turn.say(self.t("place_outside"))
        elif inbound.choice == P_SKIP:
            pass
        else:
            place = clean_text(self._text(turn), min_chars=2, max_chars=self.policy.max_place_chars)
            state.place_text = place
            match = router.locate(place)
            state.place_unit = match.subdistrict if match is not None else None
            if match is None:
                turn.say(self.t("place_unknown"))
        self._decide(state)
        state.step = self._next_step(state)
        await self._show(turn, state)

    async def _on_photos(self, turn: Turn, state: DraftState) -> None:
        self._choice(turn, {P_DONE: P_DONE, P_SKIP: P_SKIP})
        state.photos_asked = True
        state.step = self._next_step(state)
        await self._show(turn, state)

    async def _on_contact(self, turn: Turn, state: DraftState) -> None:
        inbound = turn.inbound
        if inbound.choice is None and inbound.text and (phone := normalise_phone(inbound.text)):
            state.phone, state.anonymous, state.share_phone = phone, False, None
        else:
            chosen = self._choice(turn, {P_ANON: P_ANON, P_PHONE: P_PHONE})
            if chosen == P_PHONE:
                state.step = Step.PHONE
                await self._show(turn, state)
                return
            state.phone, state.anonymous, state.share_phone = None, True, None
        state.step = self._next_step(state)
        await self._show(turn, state)

    async def _on_share(self, turn: Turn, state: DraftState) -> None:
        chosen = self._choice(turn, {P_SHARE_YES: P_SHARE_YES, P_SHARE_NO: P_SHARE_NO})
        state.share_phone = chosen == P_SHARE_YES
        state.step = self._next_step(state)
        await self._show(turn, state)

    async def _on_phone(self, turn: Turn, state: DraftState) -> None:
        if turn.inbound.choice == P_ANON:
            state.phone, state.anonymous, state.share_phone = None, True, None
        else:
            phone = normalise_phone(self._text(turn))
            if phone is None:
                raise UserError("err.bad_phone")
            state.phone, state.anonymous, state.share_phone = phone, False, None
        state.step = self._next_step(state)
        await self._show(turn, state)

    async def _on_confirm(self, turn: Turn, state: DraftState) -> None:
        chosen = self._choice(turn, {P_SUBMIT: P_SUBMIT, P_EDIT: P_EDIT, P_CANCEL: P_CANCEL})
        if chosen == P_CANCEL:
            await self.cancel(turn)
            return
        if chosen == P_EDIT:
            state.step = Step.EDIT
            await self._show(turn, state)
            return
        case = await self._file(turn, state)
        await save_dialog(turn, INTAKE, FILED, {"case": case.id, "number": case.number})

    async def _file(self, turn: Turn, state: DraftState) -> Case:
        """立案 through the case command; the receipt (with the number) is a reply, handed to
        the channel only after the transaction commits."""
        inbound = turn.inbound
        assert state.request_type is not None and state.description is not None
        resident_id = await turn.resident_id()
        decision = dict(state.decision or {})
        if state.kb_shown:
            decision["kb_shown"] = list(state.kb_shown)
        if state.kb_handoff:
            # 转人工: a person at the hotline centre takes it, not the router's unit.
            decision["unit"] = None
        filing = NewCase(
            resident_id=resident_id,
            channel=inbound.channel,
            request_type=state.request_type,
            description=state.description,
            decision=decision,
            place_text=state.place_text,
            place_unit=state.place_unit,
            latitude=state.latitude,
            longitude=state.longitude,
            photos=tuple(state.photos),
            phone=state.phone,
            share_identity=bool(state.phone and state.share_phone),
            filing_key=state.filing_key,
        )
        ctx = CommandContext(turn.session, self.deps, turn.now)
        case = await file_case(ctx, Actor.of_resident(resident_id), filing)
        if state.kb_query is not None:
            await record_kb_outcome(
                session=turn.session,
                query_id=state.kb_query,
                outcome=HANDOFF if state.kb_handoff else UNSOLVED,
                now=turn.now,
                case_id=case.id,
            )
        kind = self.t(f"type.{state.request_type}")
        buttons = [resident_buttons(ctx, case)]
        parent = await turn.session.get(Case, case.parent_id) if case.parent_id else None
        if parent is not None:
            # Merged at filing (并单): the matter is already someone's case at a unit.
            turn.say(
                self.t("submitted_merged", type=kind, number=case.number, parent=parent.number),
                lasting=True,
            )
        elif case.unit_name:
            turn.say(
                self.t("submitted", type=kind, number=case.number, unit=case.unit_name),
                buttons,
                lasting=True,
            )
        else:
            turn.say(
                self.t("submitted_pending", type=kind, number=case.number), buttons, lasting=True
            )
        return case

    async def _on_edit(self, turn: Turn, state: DraftState) -> None:
        options: dict[str, str] = {payload: payload for payload in _EDIT_TARGETS}
        options[P_BACK] = P_BACK
        chosen = self._choice(turn, options)
        if chosen == P_BACK:
            state.step = Step.CONFIRM
        else:
            state.editing = True
            state.step = _EDIT_TARGETS[chosen]
            if state.step is Step.CATEGORY:
                assert state.description is not None
                guess = self.deps.router.route(state.description, place_hint=state.place_unit)
                state.category_options = self._category_options(guess)
        await self._show(turn, state)

    # -- routing ------------------------------------------------------------------------------

    def _route(self, turn: Turn, state: DraftState) -> None:
        """Route a new description: warn of an emergency, ask the category if unsure."""
        decision = self._decide(state)
        if decision.emergency:
            turn.say(self.t("emergency", service=decision.emergency))
        unsure = decision.category is None or decision.confidence < self.policy.confidence_threshold
        if unsure and state.category_asks < self.policy.max_category_asks:
            state.category_options = self._category_options(decision)
            if state.category_options:
                state.category_asks += 1
                state.step = Step.CATEGORY
                return
        if unsure:
            state.unsure_category = True
        state.step = self._next_step(state)

    def _decide(self, state: DraftState) -> RouteDecision:
        router = self.deps.router
        assert state.description is not None
        if state.chosen_subcategory:
            decision = router.route_category(
                state.description, state.chosen_subcategory, place_hint=state.place_unit
            )
        else:
            decision = router.route(state.description, place_hint=state.place_unit)
        data = decision.to_json()
        if state.unsure_category and not state.chosen_subcategory:
            # Nobody is sure of the category: leave the unit to the dispatcher, keep the guess.
            data["unit"] = None
            data["unit_kind"] = None
        state.decision = data
        if decision.place and state.place_unit is None:
            state.place_unit = self._place_subdistrict(decision)
        return decision

    def _place_subdistrict(self, decision: RouteDecision) -> str | None:
        if decision.place is None:
            return None
        match = self.deps.router.locate(decision.place)
        return match.subdistrict if match is not None else None

    def _category_options(self, decision: RouteDecision) -> list[str]:
        """Up to three sub-categories to offer: the router's best guess and its runners-up."""
        return [choice.sub for choice in self.deps.router.top_choices(decision, 3)]

    def _next_step(self, state: DraftState) -> Step:
        if state.phone and state.share_phone is None:
            return Step.SHARE
        if state.editing:
            state.editing = False
            return Step.CONFIRM
        knows_place = state.place_unit is not None or (state.decision or {}).get("place")
        if not knows_place and not state.place_asked:
            return Step.PLACE
        if not state.photos_asked and self.policy.max_photos > 0:
            return Step.PHOTOS
        if state.anonymous is None:
            return Step.CONTACT
        return Step.CONFIRM

    # -- helpers ------------------------------------------------------------------------------

    def _add_photo(self, turn: Turn, state: DraftState, photo: str) -> None:
        done = [[self._button(P_DONE)]] if state.step is Step.PHOTOS else []
        if len(state.photos) >= self.policy.max_photos:
            turn.say(self.t("photo_limit", max=self.policy.max_photos), done)
            return
        state.photos.append(photo)
        turn.say(self.t("photo_received", n=len(state.photos)), done)

    def _text(self, turn: Turn) -> str:
        inbound = turn.inbound
        if inbound.choice is not None:
            raise UserError("err.not_offered")
        if inbound.text is None:
            raise UserError("err.unsupported" if inbound.location is None else "err.expected_text")
        return inbound.text

    def _choice(
        self, turn: Turn, options: dict[str, str], *, labels: dict[str, str] | None = None
    ) -> str:
        """The value of the pressed button (or of a typed label); UserError if not offered."""
        inbound = turn.inbound
        if inbound.choice is not None and inbound.choice in options:
            return options[inbound.choice]
        if inbound.choice is None and inbound.text is not None:
            typed = inbound.text.strip()
            for label, payload in (labels or {}).items():
                if typed == label:
                    return options[payload]
            for payload in options:
                if typed == self._button_label(payload):
                    return options[payload]
        raise UserError("err.not_offered")

    def _type_labels(self) -> dict[str, str]:
        return {self.t(f"type.{rt}"): f"t:{rt}" for rt in REQUEST_TYPES}

    def _button_label(self, payload: str) -> str | None:
        keys = {
            P_SKIP: "btn.skip",
            P_DONE: "btn.done",
            P_ANON: "btn.anonymous",
            P_PHONE: "btn.leave_phone",
            P_SHARE_YES: "btn.share_yes",
            P_SHARE_NO: "btn.share_no",
            P_SUBMIT: "btn.submit",
            P_EDIT: "btn.edit",
            P_CANCEL: "btn.cancel",
            P_BACK: "btn.back",
            "e:desc": "btn.edit.description",
            "e:place": "btn.edit.place",
            "e:photos": "btn.edit.photos",
            "e:contact": "btn.edit.contact",
            "e:cat": "btn.edit.category",
            P_KB_SOLVED: "btn.kb_solved",
            P_KB_UNSOLVED: "btn.kb_unsolved",
            P_KB_HANDOFF: "btn.kb_handoff",
        }
        key = keys.get(payload)
        return self.t(key) if key else None

    def _button(self, payload: str) -> Button:
        label = self._button_label(payload)
        assert label is not None
        return Button(label, payload)

    async def _show(self, turn: Turn, state: DraftState) -> None:
        """Save the draft and ask for what comes next."""
        await self._save(turn, state)
        turn.replies.append(self._prompt(state))

    async def _save(self, turn: Turn, state: DraftState) -> None:
        await save_dialog(turn, INTAKE, state.step.value, state.to_json())

    def _prompt(self, state: DraftState) -> Outbound:
        t, b = self.t, self._button
        step = state.step
        if step is Step.TYPE:
            rows = [[Button(t(f"type.{rt}"), f"t:{rt}") for rt in REQUEST_TYPES[:3]]]
            rows.append([Button(t(f"type.{rt}"), f"t:{rt}") for rt in REQUEST_TYPES[3:]])
            return Outbound(t("choose_type"), _rows(rows))
        if step is Step.DESCRIBE:
            kind = t(f"type.{state.request_type}")
            text = t(
                "ask_description",
                type=kind,
                min=self.policy.min_description_chars,
                max=self.policy.max_description_chars,
            )
            return Outbound(text)
        if step is Step.CATEGORY:
            rows = [[Button(sub, f"cat:{i}")] for i, sub in enumerate(state.category_options)]
            rows.append([Button(t("category_unsure"), P_UNSURE)])
            return Outbound(t("ask_category"), _rows(rows))
        if step is Step.PLACE:
            return Outbound(t("ask_place"), _rows([[b(P_SKIP)]]))
        if step is Step.PHOTOS:
            return Outbound(
                t("ask_photos", max=self.policy.max_photos), _rows([[b(P_DONE), b(P_SKIP)]])
            )
        if step is Step.CONTACT:
            return Outbound(t("ask_contact"), _rows([[b(P_ANON), b(P_PHONE)]]))
        if step is Step.SHARE:
            return Outbound(t("ask_share"), _rows([[b(P_SHARE_YES), b(P_SHARE_NO)]]))
        if step is Step.PHONE:
            return Outbound(t("ask_phone"), _rows([[b(P_ANON)]]))
        if step is Step.ANSWERED:
            rows = [[b(P_KB_SOLVED), b(P_KB_UNSOLVED), b(P_KB_HANDOFF)]]
            return Outbound(t("kb.ask_solved"), _rows(rows))
        if step is Step.EDIT:
            rows = [[b("e:desc"), b("e:place"), b("e:cat")], [b("e:photos"), b("e:contact")]]
            rows.append([b(P_BACK)])
            return Outbound(t("choose_edit"), _rows(rows))
        return Outbound(self.summary(state), _rows([[b(P_SUBMIT), b(P_EDIT), b(P_CANCEL)]]))

    def summary(self, state: DraftState) -> str:
        t = self.t
        unit = state.unit or t("summary.dispatcher")
        category = (
            f"{state.category} / {state.subcategory}"
            if state.category and state.subcategory
            else state.category or t("summary.no_category")
        )
        place = state.place_text or (state.decision or {}).get("place") or state.place_unit
        contact = t("summary.anonymous")
        if state.phone:
            visible = "summary.phone_shared" if state.share_phone else "summary.phone_private"
            contact = f"{mask_phone(state.phone)}（{t(visible)}）"
        return t(
            "summary",
            type=t(f"type.{state.request_type}"),
            description=state.description,
            place=place or t("summary.no_place"),
            category=category,
            unit=unit,
            photos=len(state.photos),
            contact=contact,
        )


def _rows(rows: list[list[Button]]) -> tuple[tuple[Button, ...], ...]:
    return tuple(tuple(row) for row in rows)
