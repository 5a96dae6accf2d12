"""Figures beside the report (handlers/report.py): received and closed per day and per week,
and the commonest categories and subdistricts, for cases received in [start, end)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from handlers.policy.lifecycle import CaseState
from storage.models import Case, CaseEvent


@dataclass(frozen=True, slots=True)
class Series:
    labels: list[str]
    received: list[int]
    closed: list[int]


@dataclass(frozen=True, slots=True)
class Trends:
    daily: Series
    weekly: Series
    categories: list[tuple[str, int]]
    subdistricts: list[tuple[str, int]]


def _weeks(days: list[date], counts: Counter[date]) -> dict[str, int]:
    weekly: dict[str, int] = {}
    for day in days:
        year, week, _ = day.isocalendar()
        key = f"{year}-W{week:02d}"
        weekly[key] = weekly.get(key, 0) + counts[day]
    return weekly


async def build_trends(
    session: AsyncSession,
    *,
    start: datetime,
    end: datetime,
    unit: str | None,
    zone: ZoneInfo,
    top: int = 10,
) -> Trends:
    received_at = select(Case.created_at).where(Case.created_at >= start, Case.created_at < end)
    # 办结 per day counts first resolutions in the range, of whatever cohort (the daily flow).
    # Only cases with a resolution inside the range are looked at (the events' `at` index).
    resolved = CaseEvent.to_state == CaseState.RESOLVED.value
    in_range = select(CaseEvent.case_id).where(resolved, CaseEvent.at >= start, CaseEvent.at < end)
    resolved_at = (
        select(func.min(CaseEvent.at))
        .join(Case, Case.id == CaseEvent.case_id)
        .where(resolved, CaseEvent.case_id.in_(in_range))
        .group_by(CaseEvent.case_id)
        .having(func.min(CaseEvent.at) >= start)
    )
    if unit is not None:
        received_at = received_at.where(Case.unit_name == unit)
        resolved_at = resolved_at.where(Case.unit_name == unit)
    received = Counter(at.astimezone(zone).date() for (at,) in await session.execute(received_at))
    closed = Counter(at.astimezone(zone).date() for (at,) in await session.execute(resolved_at))

    first, last = (
        start.astimezone(zone).date(),
        (end - timedelta(microseconds=1)).astimezone(zone).date(),
    )
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    daily = Series(
        labels=[d.strftime("%m-%d") for d in days],
        received=[received[d] for d in days],
        closed=[closed[d] for d in days],
    )
    weekly_received, weekly_closed = _weeks(days, received), _weeks(days, closed)
    weekly = Series(
        labels=list(weekly_received),
        received=list(weekly_received.values()),
        closed=[weekly_closed[k] for k in weekly_received],
    )
    return Trends(
        daily=daily,
        weekly=weekly,
        categories=await _top(session, Case.category, start, end, unit, top),
        subdistricts=await _top(session, Case.place_unit, start, end, unit, top),
    )


async def _top(
    session: AsyncSession,
    column: InstrumentedAttribute[str | None],
    start: datetime,
    end: datetime,
    unit: str | None,
    top: int,
) -> list[tuple[str, int]]:
    counted = func.count().label("n")
    statement = (
        select(column, counted)
        .where(Case.created_at >= start, Case.created_at < end, column.is_not(None))
        .group_by(column)
        .order_by(counted.desc(), column)
        .limit(top)
    )
    if unit is not None:
        statement = statement.where(Case.unit_name == unit)
    return [(str(name), int(n)) for name, n in await session.execute(statement)]
