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

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.policy.lifecycle import OPEN_STATES, CaseState
from handlers.policy.workcalendar import OfficeTimeline, WorkCalendar
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


_Units = Callable[[str | None], "UnitFigures"]


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


async def _plain(session: AsyncSession, statement: Any) -> Any:
    """Rows as tuples through the Core connection: the ORM's row machinery is a third of
    the time for a month's thousands of rows, and nothing here needs objects."""
    connection = await session.connection()
    return await connection.execute(statement)


def _cohort(statement: Select[Any], start: datetime, end: datetime, unit: str | None) -> Any:
    statement = statement.where(Case.created_at >= start, Case.created_at < end)
    return statement.where(Case.unit_name == unit) if unit is not None else statement


# The last move's state travels packed with its event id (id * 16 + the state's code), so one
# MAX per case finds the state the log left the case in, on SQLite and PostgreSQL alike.
_STATE_CODES = {state.value: code for code, state in enumerate(CaseState)}
_STATE_OF_CODE = {code: value for value, code in _STATE_CODES.items()}
_PACK = 16
assert len(_STATE_CODES) <= _PACK


def _first_at(moved: Any, to_state: CaseState) -> Any:
    """When the case first moved to `to_state` (events are appended at the clock's now, so the
    earliest is the first in the log)."""
    at = case((and_(moved, CaseEvent.to_state == to_state.value), CaseEvent.at))
    return func.min(type_coerce(at, CaseEvent.at.type))


async def _received(session: AsyncSession, per_unit: _Units, cohort: Any) -> None:
    """受理 and 并单 per unit, from the cases table alone."""
    rows = await _plain(
        session,
        cohort(select(Case.unit_name, func.count(), func.count(Case.parent_id))).group_by(
            Case.unit_name
        ),
    )
    for name, received, merged in rows:
        figures = per_unit(name)
        figures.received, figures.merged = int(received), int(merged)


async def _logged(
    session: AsyncSession, cohort: Any, start: datetime, cutoff: datetime
) -> tuple[dict[int, datetime | None], list[tuple[str | None, str, dict[str, Any] | None]]]:
    """The events whose answers sit in their JSON, read as plain rows (no backend's JSON
    operators needed): each reopened case's first-round handle deadline (the whole log counts:
    that is how the clocks were set), and the 回访 rounds before the cutoff with their unit."""
    rows = await _plain(
        session,
        cohort(
            select(
                CaseEvent.case_id, Case.unit_name, CaseEvent.action, CaseEvent.at, CaseEvent.data
            )
        )
        .join(CaseEvent, CaseEvent.case_id == Case.id)
        .where(
            CaseEvent.action.in_(("feedback", "auto_closed", "reopened")),
            CaseEvent.at >= start,  # a case's log starts when it is received
        )
        .order_by(CaseEvent.id),
    )
    deadlines: dict[int, datetime | None] = {}
    callbacks: list[tuple[str | None, str, dict[str, Any] | None]] = []
    for case_id, name, action, at, data in rows:
        if action == "reopened":
            if case_id not in deadlines:
                before = (data or {}).get("handle_deadline_before")
                deadlines[case_id] = datetime.fromisoformat(before) if before else None
        elif at < cutoff:
            callbacks.append((name, action, data))
    return deadlines, callbacks


def _count_callbacks(
    per_unit: _Units, callbacks: list[tuple[str | None, str, dict[str, Any] | None]]
) -> None:
    """解决率 and 满意率: each callback round counts (see the module docstring)."""
    for name, action, data in callbacks:
        figures = per_unit(name)
        answers = data or {}
        if answers.get("resolved") is not None:
            figures.resolved_answered += 1
            figures.resolved_yes += bool(answers["resolved"])
        if action == "feedback":
            figures.rated += 1
            figures.satisfied += answers.get("satisfaction") in _SATISFIED
        else:
            figures.unrated += 1


async def _moves(
    session: AsyncSession,
    per_unit: _Units,
    cohort: Any,
    start: datetime,
    cutoff: datetime,
    calendar: WorkCalendar,
    first_round: dict[int, datetime | None],
) -> None:
    """在办, 办结, 按期 and the office hours to sign and to close, from one GROUP BY per case
    over its moves before the cutoff; the office-hours arithmetic on the working calendar is the
    only per-case work, on plain rows."""
    moved = and_(CaseEvent.to_state.is_not(None), CaseEvent.at < cutoff)
    state_code = case(
        *((CaseEvent.to_state == value, code) for value, code in _STATE_CODES.items()),
        else_=0,
    )
    last = func.max(case((moved, CaseEvent.id * _PACK + state_code)))
    rows = await _plain(
        session,
        cohort(
            select(
                Case.id,
                Case.unit_name,
                Case.created_at,
                Case.handle_deadline,
                _first_at(moved, CaseState.DISPATCHED),
                _first_at(moved, CaseState.ACCEPTED),
                _first_at(moved, CaseState.RESOLVED),
                last,
            )
        )
        .join(CaseEvent, CaseEvent.case_id == Case.id)
        .where(CaseEvent.at >= start, CaseEvent.to_state.is_not(None))
        .group_by(Case.id, Case.unit_name, Case.created_at, Case.handle_deadline)
        .order_by(Case.id),
    )
    office = OfficeTimeline(calendar)
    hour = timedelta(hours=1)
    for case_id, name, created, handle_by, dispatched, accepted, resolved, packed in rows:
        figures = per_unit(name)
        if packed is not None and _STATE_OF_CODE[int(packed) % _PACK] in _OPEN:
            figures.in_progress += 1
        if dispatched is not None and accepted is not None:
            figures.sign_hours.append(office.between(dispatched, accepted) / hour)
        if resolved is None:
            continue
        closed = office.between(created, resolved) / hour
        count_closed(figures, closed, resolved, first_round.get(case_id, handle_by))


def count_closed(
    figures: UnitFigures, hours: float, resolved: datetime, deadline: datetime | None
) -> None:
    """One closed case: its office hours to close, and on time if resolved by `deadline`
    (its first round's handle deadline; none: not in the on-time base)."""
    figures.closed += 1
    figures.close_hours.append(hours)
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
    """Figures for cases received in [start, end), per unit and in total.

    Counted in the database (GROUP BY unit, and per case for the first moves), so a month over
    100,000 cases takes a fraction of a second (issue 11); tests/test_report_aggregation.py
    holds it equal to the case-by-case computation it replaced.
    """
    cutoff = now + timedelta(microseconds=1)  # events at `now` itself count
    per_unit_figures: dict[str | None, UnitFigures] = {}

    def per_unit(name: str | None) -> UnitFigures:
        return per_unit_figures.setdefault(name, UnitFigures(name))

    def cohort(statement: Select[Any]) -> Any:
        return _cohort(statement, start, end, unit)

    await _received(session, per_unit, cohort)
    if per_unit_figures:
        first_round, callbacks = await _logged(session, cohort, start, cutoff)
        _count_callbacks(per_unit, callbacks)
        await _moves(session, per_unit, cohort, start, cutoff, calendar, first_round)

    return await finish_report(session, per_unit_figures, start=start, end=end, unit=unit, now=now)


async def finish_report(
    session: AsyncSession,
    per_unit_figures: dict[str | None, UnitFigures],
    *,
    start: datetime,
    end: datetime,
    unit: str | None,
    now: datetime,
) -> Report:
    """Adds "overdue now" (a snapshot of open cases past their handle deadline, whenever
    received), orders the units and sums the total."""
    overdue = select(Case.unit_name, func.count()).where(
        Case.state.in_(_HANDLE_STATES), Case.handle_deadline < now
    )
    if unit is not None:
        overdue = overdue.where(Case.unit_name == unit)
    for name, count in await _plain(session, overdue.group_by(Case.unit_name)):
        per_unit_figures.setdefault(name, UnitFigures(name)).overdue_now = int(count)
    units = sorted(per_unit_figures.values(), key=lambda f: (f.unit is None, f.unit or ""))
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
