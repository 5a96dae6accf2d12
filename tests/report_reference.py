"""The report's figures computed the old way, case by case over ORM objects and their whole
event list (handlers/report.py before issue 11's SQL aggregation). Kept only as the reference
the aggregation is proven equal to (tests/test_report_aggregation.py)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.ledger import _first_round_deadline as first_round_deadline
from handlers.policy.lifecycle import OPEN_STATES, CaseState
from handlers.policy.workcalendar import WorkCalendar
from handlers.report import Report, UnitFigures, count_closed, finish_report
from storage.models import Case, CaseEvent

_SATISFIED = frozenset({"satisfied", "basic"})
_OPEN = frozenset(s.value for s in OPEN_STATES)


def _hours(calendar: WorkCalendar, a: datetime, b: datetime) -> float:
    return calendar.working_time_between(a, b) / timedelta(hours=1)


def _case_figures(
    figures: UnitFigures,
    case: Case,
    events: list[CaseEvent],
    cutoff: datetime,
    calendar: WorkCalendar,
) -> None:
    seen = [e for e in events if e.at < cutoff]
    figures.received += 1
    figures.merged += case.parent_id is not None
    state: str | None = None
    dispatched = accepted = resolved = None
    for event in seen:
        if event.to_state is not None:
            state = event.to_state
        if event.to_state == CaseState.DISPATCHED.value and dispatched is None:
            dispatched = event.at
        elif event.to_state == CaseState.ACCEPTED.value and accepted is None:
            accepted = event.at
        elif event.to_state == CaseState.RESOLVED.value and resolved is None:
            resolved = event.at
        data = event.data or {}
        if event.action in ("feedback", "auto_closed"):
            if data.get("resolved") is not None:
                figures.resolved_answered += 1
                figures.resolved_yes += bool(data["resolved"])
            if event.action == "feedback":
                figures.rated += 1
                figures.satisfied += data.get("satisfaction") in _SATISFIED
            else:
                figures.unrated += 1
    if state in _OPEN:
        figures.in_progress += 1
    if dispatched is not None and accepted is not None:
        figures.sign_hours.append(_hours(calendar, dispatched, accepted))
    if resolved is not None:
        hours = _hours(calendar, case.created_at, resolved)
        count_closed(figures, hours, resolved, first_round_deadline(case, events))


async def reference_report(session: AsyncSession, **asked: Any) -> Report:
    """`build_report`'s arguments (start, end, unit, now, calendar), by name."""
    start: datetime = asked["start"]
    end: datetime = asked["end"]
    unit: str | None = asked["unit"]
    now: datetime = asked["now"]
    calendar: WorkCalendar = asked["calendar"]
    cutoff = now + timedelta(microseconds=1)
    cohort = select(Case).where(Case.created_at >= start, Case.created_at < end)
    if unit is not None:
        cohort = cohort.where(Case.unit_name == unit)
    cases = list((await session.execute(cohort.order_by(Case.id))).scalars())
    events_of: dict[int, list[CaseEvent]] = defaultdict(list)
    if cases:
        rows = await session.execute(
            select(CaseEvent)
            .where(CaseEvent.case_id.in_([c.id for c in cases]))
            .order_by(CaseEvent.id)
        )
        for event in rows.scalars():
            events_of[event.case_id].append(event)
    per_unit: dict[str | None, UnitFigures] = {}
    for case in cases:
        figures = per_unit.setdefault(case.unit_name, UnitFigures(case.unit_name))
        _case_figures(figures, case, events_of[case.id], cutoff, calendar)
    return await finish_report(session, per_unit, start=start, end=end, unit=unit, now=now)
