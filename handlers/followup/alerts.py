"""SLA reminders and alerts (签收提醒, 超时未签收, 黄灯预警, 催办, 通报): fired by the sweep.

Each firing queues its messages, appends an event to the case log and sets the timer's marker,
all in the sweep's transaction. A reminder that comes due only after its deadline has passed
(the sweep was down) is recorded as skipped instead of sent: the overdue alert says more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.cases import notify
from handlers.cases.commands import CommandContext, record_timer
from handlers.context import CoreDeps
from handlers.conversation.messages import Outbound
from handlers.followup.timers import Timer, TimerKind
from storage.models import Case


@dataclass(frozen=True, slots=True)
class Fired:
    """One timer that fired: for `hotline sweep` output and tests."""

    case_number: str
    kind: str
    due_at: datetime
    messages: int
    skipped: bool = False


class SlaAlerts:
    """Fires the SLA timers of one case."""

    def __init__(self, deps: CoreDeps) -> None:
        self.deps = deps
        self.t = deps.texts

    def _local(self, moment: datetime) -> str:
        return moment.astimezone(self.deps.zone).strftime("%Y-%m-%d %H:%M")

    def _values(self, case: Case, deadline: datetime) -> dict[str, object]:
        return {
            "number": case.number,
            "type": self.t(f"type.{case.request_type}"),
            "category": case.subcategory or case.category or "-",
            "unit": case.unit_name or "-",
            "deadline": self._local(deadline),
            "days": self.deps.sla.escalate_after_days,
        }

    async def fire(self, session: AsyncSession, case: Case, timer: Timer, now: datetime) -> Fired:
        kind, deadline = timer.kind, timer.deadline
        values = self._values(case, deadline)
        unit = case.unit_name or ""
        sends: list[tuple[list[notify.Recipient], str]] = []
        skipped = False
        if kind is TimerKind.SIGN_REMIND:
            skipped = now >= deadline
            if not skipped:
                sends.append((await notify.unit_staff(session, unit), "fu.sign_remind"))
        elif kind is TimerKind.SIGN_OVERDUE:
            sends.append((await notify.supervisors(session), "fu.sign_overdue"))
        elif kind is TimerKind.WARN:
            skipped = now >= deadline
            if not skipped:
                sends.append((await notify.handling_staff(session, case), "fu.warn"))
        elif kind is TimerKind.OVERDUE:
            sends.append((await notify.unit_heads(session, unit), "fu.overdue_head"))
            sends.append((await notify.supervisors(session), "fu.overdue_supervisor"))
        elif kind is TimerKind.ESCALATE:
            sends.append((await notify.supervisors(session), "fu.escalate"))
        else:
            raise ValueError(f"not an SLA timer: {kind}")
        messages = 0
        for recipients, key in sends:
            name = f"{kind.value}.{key.rsplit('_', 1)[-1]}" if len(sends) > 1 else kind.value
            messages += await notify.tell(
                session=session,
                kind=f"fu:{name}",
                case_id=case.id,
                stamp=notify.time_stamp(deadline),
                recipients=recipients,
                message=Outbound(self.t(key, **values)),
                now=now,
            )
        record_timer(CommandContext(session, self.deps, now), case, timer, skipped=skipped)
        return Fired(case.number, kind.value, timer.at, messages, skipped)
