"""One sweep pass (`hotline sweep`, and the scheduler's job every minute): plan, fire, report.

1. Plan: cases changed since their timers were planned (`clocks_version` ≠ `version`: any
   transition by any code bumps the version) get `next_due_at` computed again.
2. Fire: cases with `next_due_at` ≤ now get every due timer fired (see `timers`), each recorded
   on the case with its outbox rows and event in one transaction, then are planned again.
3. Periodic: the daily digest and the weekly bulletin, once per period.

Both queries read partial indexes that hold only unplanned or pending cases, so a pass costs what
is due, not the number of cases. On PostgreSQL rows are claimed with SKIP LOCKED, so two
instances sweeping at once split the work; a case is never fired twice (the markers and the
outbox keys make a repeat a no-op).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.context import CoreDeps
from handlers.followup.alerts import Fired, SlaAlerts
from handlers.followup.callback import Callbacks
from handlers.followup.periodic import Periodic, PeriodicSchedule
from handlers.followup.timers import TimerKind, pending_timers, plan
from storage.models import Case

log = logging.getLogger(__name__)

_SLA_TIMERS = frozenset(
    {
        TimerKind.SIGN_REMIND,
        TimerKind.SIGN_OVERDUE,
        TimerKind.WARN,
        TimerKind.OVERDUE,
        TimerKind.ESCALATE,
    }
)
# A guard against a planning bug looping forever: each round must move some case forward.
_MAX_ROUNDS = 10_000


@dataclass(slots=True)
class SweepResult:
    """What one pass did."""

    at: datetime
    planned: int = 0
    fired: list[Fired] = field(default_factory=list)
    digest: int | None = None
    bulletin: int | None = None
    find_ms: float = 0.0  # time spent in the due-work queries
    total_ms: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "planned": self.planned,
            "fired": [
                {
                    "case": f.case_number,
                    "kind": f.kind,
                    "due_at": f.due_at.isoformat(),
                    "messages": f.messages,
                    "skipped": f.skipped,
                }
                for f in self.fired
            ],
            "digest_messages": self.digest,
            "bulletin_messages": self.bulletin,
            "find_ms": round(self.find_ms, 2),
            "total_ms": round(self.total_ms, 2),
        }


class Sweep:
    def __init__(
        self,
        deps: CoreDeps,
        schedule: PeriodicSchedule | None = None,
        *,
        batch_size: int = 200,
    ) -> None:
        self.deps = deps
        self.batch_size = batch_size
        self.alerts = SlaAlerts(deps)
        self.callbacks = Callbacks(deps)
        self.periodic = Periodic(deps, schedule or PeriodicSchedule())

    async def run(self, now: datetime | None = None) -> SweepResult:
        """One pass at `now` (default: the clock's now)."""
        started = time.perf_counter()
        now = now or self.deps.clock.now()
        result = SweepResult(at=now)
        for _ in range(_MAX_ROUNDS):
            if await self._plan_round(now, result) < self.batch_size:
                break
        for _ in range(_MAX_ROUNDS):
            if await self._fire_round(now, result) < self.batch_size:
                break
        async with self.deps.sessionmaker() as session, session.begin():
            result.digest = await self.periodic.send_digest(session, now)
        async with self.deps.sessionmaker() as session, session.begin():
            result.bulletin = await self.periodic.send_bulletin(session, now)
        result.total_ms = (time.perf_counter() - started) * 1000
        if result.fired or result.digest or result.bulletin:
            log.info(
                "sweep at %s: %d timers fired, %d cases planned, digest=%s bulletin=%s",
                now.isoformat(),
                len(result.fired),
                result.planned,
                result.digest,
                result.bulletin,
            )
        return result

    async def _claim(
        self, session: AsyncSession, statement: Any, result: SweepResult
    ) -> list[Case]:
        started = time.perf_counter()
        rows = list((await session.execute(statement)).scalars())
        result.find_ms += (time.perf_counter() - started) * 1000
        return rows

    async def _plan_round(self, now: datetime, result: SweepResult) -> int:
        statement = (
            select(Case)
            .where(Case.clocks_version.is_distinct_from(Case.version))
            .order_by(Case.id)
            .limit(self.batch_size)
            .with_for_update(skip_locked=True)
        )
        async with self.deps.sessionmaker() as session, session.begin():
            cases = await self._claim(session, statement, result)
            for case in cases:
                plan(case, self.deps.calendar, self.deps.sla)
        result.planned += len(cases)
        return len(cases)

    async def _fire_round(self, now: datetime, result: SweepResult) -> int:
        statement = (
            select(Case)
            .where(Case.next_due_at.is_not(None), Case.next_due_at <= now)
            .order_by(Case.next_due_at, Case.id)
            .limit(self.batch_size)
            .with_for_update(skip_locked=True)
        )
        async with self.deps.sessionmaker() as session, session.begin():
            cases = await self._claim(session, statement, result)
            for case in cases:
                result.fired += await self.fire_case(session, case, now)
        return len(cases)

    async def fire_case(self, session: AsyncSession, case: Case, now: datetime) -> list[Fired]:
        """Fire every timer of `case` due at `now`, then plan its next one."""
        fired: list[Fired] = []
        for timer in pending_timers(case, self.deps.calendar, self.deps.sla):
            if timer.at > now:
                break
            if timer.kind in _SLA_TIMERS:
                fired.append(await self.alerts.fire(session, case, timer, now))
            elif timer.kind is TimerKind.CALLBACK:
                fired.append(await self.callbacks.send(session, case, timer, now))
            else:
                fired.append(await self.callbacks.auto_close(session, case, timer, now))
        plan(case, self.deps.calendar, self.deps.sla)
        return fired
