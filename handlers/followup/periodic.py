"""The supervisors' daily digest (每日汇总) and weekly bulletin (通报 of units with overdue cases).

Each is done once per period (a local date, an ISO week): a `followup_runs` row is inserted in
the transaction that queues the messages, so whichever sweep or scheduler job comes first after
the configured time does it, and every later one (a restart, a second instance) finds it done.
A period whose time was missed entirely (the bot was down all day) is not sent late.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.cases import notify
from handlers.context import CoreDeps
from handlers.conversation.messages import Outbound
from handlers.followup.hotspots import hotspot_lines, week_terms
from handlers.followup.timers import HANDLE_STATES, SIGN_STATES
from handlers.policy.lifecycle import CaseState
from storage.models import Case, CaseEvent, OutboxMessage
from storage.outbox import DEAD
from storage.periods import claim_period


@dataclass(frozen=True, slots=True)
class PeriodicSchedule:
    """When the digest and the bulletin go out, in local (office) time."""

    digest_time: time = time(8, 30)
    bulletin_weekday: int = 0  # Monday = 0
    bulletin_time: time = time(9, 0)


class Periodic:
    def __init__(self, deps: CoreDeps, schedule: PeriodicSchedule) -> None:
        self.deps = deps
        self.schedule = schedule
        self.t = deps.texts

    def _local_now(self, now: datetime) -> datetime:
        return now.astimezone(self.deps.zone)

    def digest_due(self, now: datetime) -> date | None:
        """Today's local date if today's digest time has come on a working day."""
        local = self._local_now(now)
        if not self.deps.calendar.is_workday(local.date()):
            return None
        return local.date() if local.time() >= self.schedule.digest_time else None

    def bulletin_due(self, now: datetime) -> str | None:
        """This ISO week ("2026-W48") once its bulletin day and time have come."""
        local = self._local_now(now)
        if local.weekday() < self.schedule.bulletin_weekday:
            return None
        if local.weekday() == self.schedule.bulletin_weekday and (
            local.time() < self.schedule.bulletin_time
        ):
            return None
        year, week, _ = local.isocalendar()
        return f"{year}-W{week:02d}"

    async def send_digest(self, session: AsyncSession, now: datetime) -> int | None:
        """Queue today's digest to every supervisor; None if not due or already done."""
        day = self.digest_due(now)
        if day is None or not await claim_period(session, "digest", day.isoformat(), now):
            return None
        text = await self._digest_text(session, now, day)
        return await notify.tell(
            session=session,
            kind="fu:digest",
            case_id=None,
            stamp=day.isoformat(),
            recipients=await notify.supervisors(session),
            message=Outbound(text),
            now=now,
        )

    async def _digest_text(self, session: AsyncSession, now: datetime, day: date) -> str:
        since = now - timedelta(days=1)

        async def count(*where: object) -> int:
            statement = select(func.count()).select_from(Case).where(*where)  # type: ignore[arg-type]
            return int((await session.execute(statement)).scalar_one())

        received = await count(Case.created_at >= since)
        resolved = int(
            (
                await session.execute(
                    select(func.count(func.distinct(CaseEvent.case_id))).where(
                        CaseEvent.at >= since, CaseEvent.to_state == CaseState.RESOLVED.value
                    )
                )
            ).scalar_one()
        )
        pending = await count(Case.state == CaseState.PENDING_DISPATCH.value)
        unsigned = await count(Case.state.in_(SIGN_STATES))
        in_hand = await count(Case.state == CaseState.ACCEPTED.value)
        sign_late = await count(Case.state.in_(SIGN_STATES), Case.sign_deadline < now)
        overdue = await count(Case.state.in_(HANDLE_STATES), Case.handle_deadline < now)
        dead_rows = (
            (
                await session.execute(
                    select(OutboxMessage)
                    .where(OutboxMessage.status == DEAD)
                    .order_by(OutboxMessage.id.desc())
                    .limit(5)
                )
            )
            .scalars()
            .all()
        )
        dead = int(
            (
                await session.execute(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.status == DEAD)
                )
            ).scalar_one()
        )
        lines = [
            self.t(
                "fu.digest",
                date=day.isoformat(),
                received=received,
                resolved=resolved,
                pending=pending,
                unsigned=unsigned,
                in_hand=in_hand,
                sign_late=sign_late,
                overdue=overdue,
                dead=dead,
            )
        ]
        # 热点 of the last day (issue 13), right after the counts.
        lines += await hotspot_lines(session, self.deps, since=since, until=now)
        lines += [self.t("fu.digest.dead_line", **_dead_line(row)) for row in dead_rows]
        return "\n".join(lines)

    async def send_bulletin(self, session: AsyncSession, now: datetime) -> int | None:
        """Queue this week's bulletin to every supervisor; None if not due or already done."""
        week = self.bulletin_due(now)
        if week is None or not await claim_period(session, "bulletin", week, now):
            return None
        rows = await overdue_by_unit(session, now)
        if rows:
            lines = [self.t("fu.bulletin", week=week, days=self.deps.sla.escalate_after_days)]
            lines += [
                self.t(
                    "fu.bulletin.line",
                    unit=row.unit,
                    overdue=row.overdue,
                    escalated=row.escalated,
                    days=self.deps.sla.escalate_after_days,
                    numbers="、".join(row.escalated_numbers[:10]) or "-",
                )
                for row in rows
            ]
            text = "\n".join(lines)
        else:
            text = self.t("fu.bulletin.none", week=week)
        text += "\n" + await self._hotspot_section(session, now, week)
        return await notify.tell(
            session=session,
            kind="fu:bulletin",
            case_id=None,
            stamp=week,
            recipients=await notify.supervisors(session),
            message=Outbound(text),
            now=now,
        )

    async def _hotspot_section(self, session: AsyncSession, now: datetime, week: str) -> str:
        """本周热点: the week's spikes and its commonest words (jieba, stop words removed)."""
        since = now - timedelta(days=7)
        terms = await week_terms(session, self.deps, since=since, until=now)
        lines = [self.t("hot.bulletin", week=week, terms="、".join(terms) or "-")]
        lines += (await hotspot_lines(session, self.deps, since=since, until=now))[1:]
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class UnitOverdue:
    unit: str
    overdue: int
    escalated: int
    escalated_numbers: list[str]


async def overdue_by_unit(session: AsyncSession, now: datetime) -> list[UnitOverdue]:
    """Units with open cases past their handle deadline; escalated = reached the bulletin."""
    result = await session.execute(
        select(Case.unit_name, Case.number, Case.handle_deadline, Case.escalated_for)
        .where(Case.state.in_(HANDLE_STATES), Case.handle_deadline < now)
        .order_by(Case.unit_name, Case.handle_deadline)
    )
    units: dict[str, tuple[int, list[str]]] = {}
    for unit, number, deadline, escalated_for in result.all():
        count, escalated = units.get(unit or "-", (0, []))
        if escalated_for is not None and escalated_for == deadline:
            escalated.append(number)
        units[unit or "-"] = (count + 1, escalated)
    rows = [UnitOverdue(u, c, len(e), e) for u, (c, e) in units.items()]
    rows.sort(key=lambda r: (-r.escalated, -r.overdue, r.unit))
    return rows


def _dead_line(row: OutboxMessage) -> dict[str, object]:
    """What the digest says of a message the outbox gave up on (its error cut short)."""
    return {
        "id": row.id,
        "channel": row.channel,
        "recipient": row.recipient,
        "error": (row.last_error or "-")[:120],
    }
