"""The resident's answers to the callback (回访), in chat: resolved? (是/否), satisfied?
(满意/基本满意/不满意), and an optional comment. The case is changed by the case commands
(`answer_resolved`, `rate`, `comment`); this desk turns buttons into them and words the result.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from handlers.cases.commands import (
    Actor,
    CommandContext,
    Refusal,
    RefusalCode,
    answer_resolved,
    comment,
    rate,
)
from handlers.cases.commands.resident import SATISFIED_VALUES
from handlers.context import CoreDeps
from handlers.conversation.messages import Button
from handlers.conversation.turn import Turn
from handlers.errors import UserError
from handlers.followup.payloads import (
    RESOLVED_ANSWERS,
    SATISFACTION,
    parse_feedback,
    satisfaction_button,
)
from handlers.policy.lifecycle import CaseState
from storage.models import Case
from storage.residents import get_resident


class FeedbackDesk:
    """Core handler for `fb:` buttons and the comment that may follow."""

    def __init__(self, deps: CoreDeps) -> None:
        self.deps = deps
        self.t = deps.texts

    async def _actor(self, turn: Turn) -> Actor | None:
        inbound = turn.inbound
        resident = await get_resident(
            session=turn.session, channel=inbound.channel, external_id=inbound.user_id
        )
        return None if resident is None else Actor.of_resident(resident.id)

    async def answer(self, turn: Turn, payload: str) -> None:
        parsed = parse_feedback(payload)
        if parsed is None:
            raise UserError("err.not_offered")
        actor = await self._actor(turn)
        if actor is None:
            raise UserError("status.not_found")
        ctx = CommandContext(turn.session, self.deps, turn.now)
        try:
            if parsed.question == "r":
                case = await answer_resolved(
                    ctx, actor, parsed.case_id, resolved=RESOLVED_ANSWERS[parsed.answer]
                )
            else:
                case = await rate(
                    ctx, actor, parsed.case_id, satisfaction=SATISFACTION[parsed.answer]
                )
        except Refusal as refusal:
            key = {
                RefusalCode.NOT_FOUND: "status.not_found",
                RefusalCode.ALREADY_RATED: "fu.already_rated",
            }.get(refusal.code, "err.not_offered")
            raise UserError(key) from refusal
        if parsed.question == "r":
            buttons = tuple(
                Button(self.t(f"fu.btn.{value}"), satisfaction_button(case.id, code))
                for code, value in SATISFACTION.items()
            )
            turn.say(self.t("fu.ask_satisfaction", number=case.number), [buttons])
        elif case.state == CaseState.CLOSED.value and case.satisfaction in SATISFIED_VALUES:
            turn.say(self.t("fu.thanks", number=case.number))
        elif case.state == CaseState.CLOSED.value:
            turn.say(self.t("fu.review_resident", number=case.number))
        else:
            turn.say(
                self.t(
                    "fu.reopened_resident",
                    number=case.number,
                    unit=case.unit_name or "-",
                    deadline=self._local(case.handle_deadline or case.sign_deadline),
                )
            )

    async def take_comment(self, turn: Turn, text: str) -> bool:
        """If this resident rated a case a moment ago, keep `text` as their comment on it."""
        actor = await self._actor(turn)
        if actor is None:
            return False
        case = (
            await turn.session.execute(
                select(Case)
                .where(Case.resident_id == int(actor.id or 0), Case.comment_open_until > turn.now)
                .order_by(Case.comment_open_until.desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        if case is None:
            return False
        await comment(CommandContext(turn.session, self.deps, turn.now), actor, case.id, text=text)
        turn.say(self.t("fu.comment_saved"))
        return True

    def _local(self, moment: datetime | None) -> str:
        if moment is None:
            return "-"
        return moment.astimezone(self.deps.zone).strftime("%Y-%m-%d %H:%M")
