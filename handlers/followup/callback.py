"""The callback (回访) the working day after 办结, and auto-close (未评价) when nobody answers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.cases import notify
from handlers.cases.commands import CommandContext, auto_close, callback_sent
from handlers.context import CoreDeps
from handlers.conversation.messages import Button, Outbound
from handlers.followup.alerts import Fired
from handlers.followup.payloads import RESOLVED_ANSWERS, resolved_button
from handlers.followup.timers import Timer
from handlers.policy.lifecycle import CaseState
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
        callback_sent(CommandContext(session, self.deps, now), case, timer)
        message = self.resolved_question(case, await resolution_note(session, case))
        sent = await notify.tell(
            session=session,
            kind="fu:callback",
            case_id=case.id,
            stamp=notify.time_stamp(timer.deadline),
            recipients=await notify.resident_of(session, case),
            message=message,
            now=now,
        )
        return Fired(case.number, timer.kind.value, timer.at, sent)

    async def auto_close(
        self, session: AsyncSession, case: Case, timer: Timer, now: datetime
    ) -> Fired:
        """No rating within `auto_close_days`: archive as 未评价, never as satisfied."""
        auto_close(CommandContext(session, self.deps, now), case)
        return Fired(case.number, timer.kind.value, timer.at, 0)
