"""The callback (回访) the working day after 办结, and auto-close (未评价) when nobody answers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.context import CoreDeps
from handlers.conversation.messages import Button, Outbound
from handlers.followup import recipients as who
from handlers.followup.alerts import Fired
from handlers.followup.outbox import queue, stamp_of
from handlers.followup.payloads import RESOLVED_ANSWERS, UNRATED, resolved_button
from handlers.followup.timers import Timer
from handlers.followup.transitions import close_case
from handlers.policy.lifecycle import CaseState
from storage.cases import add_event
from storage.models import Case, CaseEvent


async def resolution_note(session: AsyncSession, case: Case) -> str | None:
    """What the unit wrote when it closed the case (the newest 办结 event's note)."""
    result = await session.execute(
        select(CaseEvent.note)
        .where(CaseEvent.case_id == case.id, CaseEvent.to_state == CaseState.RESOLVED.value)
        .order_by(CaseEvent.id.desc())
        .limit(1)
    )
    return result.scalar_one_or_none()


class Callbacks:
    def __init__(self, deps: CoreDeps) -> None:
        self.deps = deps
        self.t = deps.texts

    def resolved_question(self, case: Case, result: str | None) -> Outbound:
        text = self.t(
            "fu.callback",
            number=case.number,
            unit=case.unit_name or "-",
            result=result or self.t("fu.no_result"),
        )
        buttons = tuple(
            Button(self.t(f"fu.btn.resolved.{answer}"), resolved_button(case.id, answer))
            for answer in RESOLVED_ANSWERS
        )
        return Outbound(text, (buttons,))

    async def send(self, session: AsyncSession, case: Case, timer: Timer, now: datetime) -> Fired:
        """Ask the resident "resolved?"; the satisfaction question follows their answer."""
        case.callback_for = timer.deadline
        case.callback_sent_at = now
        case.feedback_resolved = None
        case.satisfaction = None
        message = self.resolved_question(case, await resolution_note(session, case))
        sent = await queue(
            session=session,
            kind="callback",
            case_id=case.id,
            stamp=stamp_of(timer.deadline),
            recipients=await who.resident_of(session, case),
            message=message,
            now=now,
        )
        add_event(
            session=session,
            case=case,
            at=now,
            actor_kind="system",
            actor_id=None,
            action="callback_sent",
            from_state=None,
            to_state=None,
            data={"resolved_at": timer.deadline.isoformat()},
        )
        return Fired(case.number, timer.kind.value, timer.at, sent)

    async def auto_close(
        self, session: AsyncSession, case: Case, timer: Timer, now: datetime
    ) -> Fired:
        """No rating within `auto_close_days`: archive as 未评价, never as satisfied."""
        case.satisfaction = UNRATED
        close_case(
            session=session,
            deps=self.deps,
            case=case,
            now=now,
            action="auto_closed",
            data={"resolved": case.feedback_resolved, "satisfaction": UNRATED},
        )
        return Fired(case.number, timer.kind.value, timer.at, 0)
