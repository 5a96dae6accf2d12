"""The resident's answers to the callback (回访): resolved? (是/否), satisfied?
(满意/基本满意/不满意), and an optional comment.

满意 or 基本满意 archives the case (已归档). 不满意 reopens it (重办) to the same unit with fresh
clocks; once the case has been reopened `sla.max_reopens` times, 不满意 instead archives it and
hands it to the supervisors for review (督查复核). Each answer is logged as a `feedback` event
(data: resolved, satisfaction), which the report counts.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.context import CoreDeps
from handlers.conversation.messages import Button, Outbound
from handlers.conversation.turn import Turn
from handlers.desk.cards import Cards
from handlers.errors import UserError
from handlers.followup import recipients as who
from handlers.followup.outbox import queue
from handlers.followup.payloads import (
    RESOLVED_ANSWERS,
    SATISFACTION,
    SATISFIED_VALUES,
    FeedbackAnswer,
    parse_feedback,
    satisfaction_button,
)
from handlers.followup.transitions import close_case, transition
from handlers.policy.casetypes import RequestType, Urgency
from handlers.policy.lifecycle import CaseState
from handlers.policy.sla import compute_deadlines, reopen_goes_to_supervisor
from storage.cases import add_event, get_case_for_update
from storage.models import Case
from storage.residents import get_resident

# How long after rating the resident's next plain text is taken as a comment on it.
COMMENT_WINDOW = timedelta(minutes=10)
MAX_COMMENT_CHARS = 1000


class FeedbackDesk:
    """Core handler for `fb:` buttons and the comment that may follow."""

    def __init__(self, deps: CoreDeps) -> None:
        self.deps = deps
        self.t = deps.texts

    async def answer(self, turn: Turn, payload: str) -> None:
        parsed = parse_feedback(payload)
        if parsed is None:
            raise UserError("err.not_offered")
        case = await self._own_case(turn, parsed.case_id)
        if case.state != CaseState.RESOLVED.value or case.callback_sent_at is None:
            # Already rated (closed or reopened), or no callback asked yet: old buttons.
            raise UserError("fu.already_rated" if case.satisfaction else "err.not_offered")
        if parsed.question == "r":
            await self._resolved(turn, case, parsed)
        else:
            await self._satisfaction(turn, case, parsed)

    async def _own_case(self, turn: Turn, case_id: int) -> Case:
        inbound = turn.inbound
        resident = await get_resident(
            session=turn.session, channel=inbound.channel, external_id=inbound.user_id
        )
        case = await get_case_for_update(session=turn.session, case_id=case_id)
        if case is None or resident is None or case.resident_id != resident.id:
            raise UserError("status.not_found")
        return case

    async def _resolved(self, turn: Turn, case: Case, parsed: FeedbackAnswer) -> None:
        case.feedback_resolved = RESOLVED_ANSWERS[parsed.answer]
        add_event(
            session=turn.session,
            case=case,
            at=turn.now,
            actor_kind="resident",
            actor_id=turn.inbound.user_id,
            action="feedback_resolved",
            from_state=None,
            to_state=None,
            data={"resolved": case.feedback_resolved},
        )
        buttons = tuple(
            Button(self.t(f"fu.btn.{value}"), satisfaction_button(case.id, code))
            for code, value in SATISFACTION.items()
        )
        turn.say(self.t("fu.ask_satisfaction", number=case.number), [buttons])

    async def _satisfaction(self, turn: Turn, case: Case, parsed: FeedbackAnswer) -> None:
        session, now = turn.session, turn.now
        satisfaction = SATISFACTION[parsed.answer]
        case.satisfaction = satisfaction
        case.comment_open_until = now + COMMENT_WINDOW
        add_event(
            session=session,
            case=case,
            at=now,
            actor_kind="resident",
            actor_id=turn.inbound.user_id,
            action="feedback",
            from_state=None,
            to_state=None,
            data={"resolved": case.feedback_resolved, "satisfaction": satisfaction},
        )
        if satisfaction in SATISFIED_VALUES:
            close_case(
                session=session,
                deps=self.deps,
                case=case,
                now=now,
                action="closed",
                actor=("resident", turn.inbound.user_id),
                data={"satisfaction": satisfaction},
            )
            turn.say(self.t("fu.thanks", number=case.number))
        elif reopen_goes_to_supervisor(self.deps.sla, reopens_so_far=case.reopen_count):
            await self._to_supervisor(session, case, now)
            turn.say(self.t("fu.review_resident", number=case.number))
        else:
            deadline = await reopen(session=session, deps=self.deps, case=case, now=now)
            turn.say(
                self.t(
                    "fu.reopened_resident",
                    number=case.number,
                    unit=case.unit_name or "-",
                    deadline=self._local(deadline),
                )
            )

    async def _to_supervisor(self, session: AsyncSession, case: Case, now: datetime) -> None:
        close_case(
            session=session,
            deps=self.deps,
            case=case,
            now=now,
            action="review",
            data={"reopens": case.reopen_count, "satisfaction": case.satisfaction},
        )
        await queue(
            session=session,
            kind="review",
            case_id=case.id,
            stamp=f"v{case.version}",
            recipients=await who.supervisors(session),
            message=Outbound(
                self.t(
                    "fu.review_supervisor",
                    number=case.number,
                    unit=case.unit_name or "-",
                    reopens=case.reopen_count,
                )
            ),
            now=now,
        )

    async def take_comment(self, turn: Turn, text: str) -> bool:
        """If this resident rated a case a moment ago, keep `text` as their comment on it."""
        inbound = turn.inbound
        resident = await get_resident(
            session=turn.session, channel=inbound.channel, external_id=inbound.user_id
        )
        if resident is None:
            return False
        case = (
            await turn.session.execute(
                select(Case)
                .where(Case.resident_id == resident.id, Case.comment_open_until > turn.now)
                .order_by(Case.comment_open_until.desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        if case is None:
            return False
        comment = text.strip()[:MAX_COMMENT_CHARS]
        case.comment_open_until = None
        add_event(
            session=turn.session,
            case=case,
            at=turn.now,
            actor_kind="resident",
            actor_id=inbound.user_id,
            action="feedback_comment",
            from_state=None,
            to_state=None,
            note=comment,
        )
        # A dissatisfied resident's words go to whoever now has the case.
        recipients: list[who.Recipient] = []
        if case.state == CaseState.REOPENED.value and case.unit_name:
            recipients = await who.unit_staff(turn.session, case.unit_name)
        elif case.satisfaction == SATISFACTION["dis"]:
            recipients = await who.supervisors(turn.session)
        if recipients:
            await queue(
                session=turn.session,
                kind="comment",
                case_id=case.id,
                stamp=f"v{case.version}",
                recipients=recipients,
                message=Outbound(self.t("fu.comment_relay", number=case.number, comment=comment)),
                now=turn.now,
            )
        turn.say(self.t("fu.comment_saved"))
        return True

    def _local(self, moment: datetime) -> str:
        return moment.astimezone(self.deps.zone).strftime("%Y-%m-%d %H:%M")


async def reopen(*, session: AsyncSession, deps: CoreDeps, case: Case, now: datetime) -> datetime:
    """Reopen (重办) a resolved case to the same unit with fresh clocks from `now`.

    `dispatched_at` becomes the reopen time (the clocks run from it); the first dispatch stays
    in the event log. Returns the new handle deadline (or the sign deadline, for a type with no
    handle clock).
    """
    before = case.handle_deadline
    deadlines = compute_deadlines(
        deps.calendar,
        deps.sla,
        request_type=RequestType(case.request_type),
        urgency=Urgency(case.urgency),
        dispatched_at=now,
    )
    case.reopen_count += 1
    case.dispatched_at = now
    case.signed_at = None
    case.sign_deadline = deadlines.sign_by
    case.handle_deadline = deadlines.handle_by
    case.return_deadline = deadlines.return_by
    transition(
        session=session,
        deps=deps,
        case=case,
        to_state=CaseState.REOPENED.value,
        now=now,
        action="reopened",
        note=case.unit_name,
        data={
            "reopen": case.reopen_count,
            "handle_deadline_before": before.isoformat() if before else None,
        },
    )
    deadline = deadlines.handle_by or deadlines.sign_by
    await queue(
        session=session,
        kind="reopen",
        case_id=case.id,
        stamp=f"v{case.version}",
        recipients=await who.unit_staff(session, case.unit_name or ""),
        message=_reopened_card(deps, case, deadlines.sign_by, deadline, now),
        now=now,
    )
    return deadline


def _reopened_card(
    deps: CoreDeps, case: Case, sign_by: datetime, deadline: datetime, now: datetime
) -> Outbound:
    """The reopen notice on top of a fresh case card, so the unit can sign and work it again."""
    card = Cards(deps.texts, deps.zone).staff_card(case, now=now)
    notice = deps.texts(
        "fu.reopened_unit",
        number=case.number,
        sign_deadline=sign_by.astimezone(deps.zone).strftime("%Y-%m-%d %H:%M"),
        deadline=deadline.astimezone(deps.zone).strftime("%Y-%m-%d %H:%M"),
    )
    return Outbound(f"{notice}\n{card.text}", buttons=card.buttons, photos=card.photos)
