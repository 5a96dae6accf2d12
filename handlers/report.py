"""The supervisors' figures (统计), computed from the event log (`hotline report`, `/stats`).

Definitions (all per unit and in total; a case counts for the unit that holds it now):

* The cohort is the cases received (受理) in [start, end); every figure but "overdue now" is about
  the cohort as the log stands at `now` (the time of reporting), so last month's report shows
  how last month's cases have fared until today.
* closed (办结): cohort cases resolved at least once; in progress (在办): cohort cases whose
  state was still open (not resolved, closed or cancelled).
* closure rate = closed / received.
* on-time closure rate (按期办结率) = closed by the handle deadline of the first round (with any
  approved extension; a reopen's fresh deadline does not count) / closed cases that had a handle
  clock.
* overdue now: a snapshot, not about the cohort: open cases of the unit past their handle
  deadline at `now`, whenever received.
* resolved rate (解决率) = "yes" / answered "resolved?" questions.
* satisfaction rate (满意率) = (满意 + 基本满意) / rated callbacks. 未评价 (auto-closed without an
  answer) is shown beside it but left out of the denominator: no answer is neither satisfied nor
  dissatisfied, and counting it either way would bias the rate. Each callback round counts, so a
  case reopened once and rated twice contributes two ratings.
* average time to sign: dispatch → first 签收; to close: 受理 → first 办结; both in office
  hours on the working-day calendar.
* 诉求 (filings) and 工单 (cases after 并单, issue 13): every filing is a 诉求 and counts in
  `received`; a filing merged into another case (it has a parent) is not a 工单 of its own.
  Merged filings are counted under the unit holding their parent, and each one's own 回访 and
  rating count like any case's (every resident who reported is asked).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.policy.lifecycle import OPEN_STATES, CaseState
from handlers.policy.workcalendar import WorkCalendar
from handlers.texts import Texts
from storage.models import Case, CaseEvent

_HANDLE_STATES = (CaseState.DISPATCHED.value, CaseState.ACCEPTED.value, CaseState.REOPENED.value)
_SATISFIED = frozenset({"satisfied", "basic"})
_OPEN = frozenset(s.value for s in OPEN_STATES)


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(slots=True)
class UnitFigures:
    """The counts behind one line of the report; the rates are derived from them."""

    unit: str | None
    received: int = 0  # 诉求: every filing
    merged: int = 0  # filings merged into another case (并单)
    closed: int = 0
    in_progress: int = 0
    on_time: int = 0
    on_time_base: int = 0
    overdue_now: int = 0
    resolved_yes: int = 0
    resolved_answered: int = 0
    satisfied: int = 0
    rated: int = 0
    unrated: int = 0
    sign_hours: list[float] = field(default_factory=list)
    close_hours: list[float] = field(default_factory=list)

    @property
    def work_orders(self) -> int:
        """工单: the filings that are cases of their own after merging."""
        return self.received - self.merged

    @property
    def closure_rate(self) -> float | None:
        return _ratio(self.closed, self.received)

    @property
    def on_time_rate(self) -> float | None:
        return _ratio(self.on_time, self.on_time_base)

    @property
    def resolved_rate(self) -> float | None:
        return _ratio(self.resolved_yes, self.resolved_answered)

    @property
    def satisfaction_rate(self) -> float | None:
        return _ratio(self.satisfied, self.rated)

    @property
    def avg_sign_hours(self) -> float | None:
        return sum(self.sign_hours) / len(self.sign_hours) if self.sign_hours else None

    @property
    def avg_close_hours(self) -> float | None:
        return sum(self.close_hours) / len(self.close_hours) if self.close_hours else None

    def absorb(self, other: UnitFigures) -> None:
        for name in (
            "received",
            "merged",
            "closed",
            "in_progress",
            "on_time",
            "on_time_base",
            "overdue_now",
            "resolved_yes",
            "resolved_answered",
            "satisfied",
            "rated",
            "unrated",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.sign_hours += other.sign_hours
        self.close_hours += other.close_hours

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("sign_hours")
        data.pop("close_hours")
        data["filings"] = self.received
        data["work_orders"] = self.work_orders
        for name in ("closure_rate", "on_time_rate", "resolved_rate", "satisfaction_rate"):
            value = getattr(self, name)
            data[name] = round(value, 4) if value is not None else None
        for name in ("avg_sign_hours", "avg_close_hours"):
            value = getattr(self, name)
            data[name] = round(value, 2) if value is not None else None
        return data


@dataclass(frozen=True, slots=True)
class Report:
    start: datetime
    end: datetime
    now: datetime
    unit: str | None
    units: list[UnitFigures]
    total: UnitFigures

    def to_json(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "now": self.now.isoformat(),
            "unit": self.unit,
            "units": [u.to_json() for u in self.units],
            "total": self.total.to_json(),
        }


def _hours(calendar: WorkCalendar, a: datetime, b: datetime) -> float:
    return calendar.working_time_between(a, b) / timedelta(hours=1)


def _first_round_deadline(case: Case, events: list[CaseEvent]) -> datetime | None:
    """The handle deadline the first resolution is judged by (see the module docstring)."""
    for event in events:
        if event.action == "reopened":
            before = (event.data or {}).get("handle_deadline_before")
            return datetime.fromisoformat(before) if before else None
    return case.handle_deadline


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
        figures.closed += 1
        figures.close_hours.append(_hours(calendar, case.created_at, resolved))
        deadline = _first_round_deadline(case, events)
        if deadline is not None:
            figures.on_time_base += 1
            figures.on_time += resolved <= deadline


async def build_report(
    session: AsyncSession,
    *,
    start: datetime,
    end: datetime,
    unit: str | None,
    now: datetime,
    calendar: WorkCalendar,
) -> Report:
    """Figures for cases received in [start, end), per unit and in total."""
    cutoff = now + timedelta(microseconds=1)  # events at `now` itself count
    cohort = select(Case).where(Case.created_at >= start, Case.created_at < end)
    if unit is not None:
        cohort = cohort.where(Case.unit_name == unit)
    cases = list((await session.execute(cohort.order_by(Case.id))).scalars())
    events_of: dict[int, list[CaseEvent]] = defaultdict(list)
    if cases:
        ids = select(Case.id).where(Case.created_at >= start, Case.created_at < end)
        if unit is not None:
            ids = ids.where(Case.unit_name == unit)
        rows = await session.execute(
            select(CaseEvent).where(CaseEvent.case_id.in_(ids)).order_by(CaseEvent.id)
        )
        for event in rows.scalars():
            events_of[event.case_id].append(event)

    per_unit: dict[str | None, UnitFigures] = {}
    for case in cases:
        figures = per_unit.setdefault(case.unit_name, UnitFigures(case.unit_name))
        _case_figures(figures, case, events_of[case.id], cutoff, calendar)

    overdue = select(Case.unit_name).where(
        Case.state.in_(_HANDLE_STATES), Case.handle_deadline < now
    )
    if unit is not None:
        overdue = overdue.where(Case.unit_name == unit)
    for (name,) in (await session.execute(overdue)).all():
        per_unit.setdefault(name, UnitFigures(name)).overdue_now += 1

    units = sorted(per_unit.values(), key=lambda f: (f.unit is None, f.unit or ""))
    total = UnitFigures(None)
    for figures in units:
        total.absorb(figures)
    return Report(start=start, end=end, now=now, unit=unit, units=units, total=total)


def format_report(report: Report, texts: Texts, *, zone: Any = None) -> str:
    """The report as chat or terminal text, one line per unit and a total."""

    def when(moment: datetime) -> str:
        local = moment.astimezone(zone) if zone is not None else moment
        return local.strftime("%Y-%m-%d %H:%M")

    def percent(value: float | None) -> str:
        return f"{value * 100:.1f}%" if value is not None else texts("report.na")

    def hours(value: float | None) -> str:
        return texts("report.hours", hours=f"{value:.1f}") if value is not None else "-"

    def line(name: str, f: UnitFigures) -> str:
        return texts(
            "report.row",
            unit=name,
            received=f.received,
            closed=f.closed,
            in_progress=f.in_progress,
            closure_rate=percent(f.closure_rate),
            on_time_rate=percent(f.on_time_rate),
            overdue_now=f.overdue_now,
            resolved_rate=percent(f.resolved_rate),
            satisfaction_rate=percent(f.satisfaction_rate),
            rated=f.rated,
            unrated=f.unrated,
            avg_sign=hours(f.avg_sign_hours),
            avg_close=hours(f.avg_close_hours),
        )

    lines = [
        texts("report.title", start=when(report.start), end=when(report.end), now=when(report.now))
    ]
    lines += [line(f.unit or texts("report.no_unit"), f) for f in report.units]
    if report.unit is None:
        lines.append(line(texts("report.total"), report.total))
    shown = report.total
    lines.append(
        texts(
            "report.filings",
            filings=shown.received,
            work_orders=shown.work_orders,
            merged=shown.merged,
        )
    )
    return "\n".join(lines)
