"""Read-only case look-ups for the web workbench and the 台账: filtered, sorted pages; new cases
since an id; the cases of a date range in id order, batch by batch. States are passed in, since
storage knows no workflow."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Case, CaseEvent

SORTS = {
    # Ids are handed out in filing order, so "newest first" walks the primary key instead of
    # sorting every matching case by created_at.
    "created": Case.id,
    "number": Case.number,
    "deadline": Case.handle_deadline,
    "updated": Case.updated_at,
}


@dataclass(frozen=True, slots=True)
class Overdue:
    """ "Past its clock at `now`": unsigned states by the sign deadline, the others by handle."""

    now: datetime
    unsigned: Collection[str]
    handling: Collection[str]

    def clause(self) -> ColumnElement[bool]:
        return or_(
            and_(Case.state.in_(list(self.unsigned)), Case.sign_deadline < self.now),
            and_(Case.state.in_(list(self.handling)), Case.handle_deadline < self.now),
        )


@dataclass(frozen=True, slots=True)
class CaseFilter:
    unit: str | None = None
    states: Collection[str] = ()
    request_type: str | None = None
    category: str | None = None
    subdistrict: str | None = None
    created_from: datetime | None = None
    created_before: datetime | None = None
    text: str | None = None
    overdue: Overdue | None = None

    def clauses(self) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = []
        if self.unit is not None:
            where.append(Case.unit_name == self.unit)
        if self.states:
            where.append(Case.state.in_(list(self.states)))
        if self.request_type:
            where.append(Case.request_type == self.request_type)
        if self.category:
            where.append(Case.category == self.category)
        if self.subdistrict:
            where.append(Case.place_unit == self.subdistrict)
        if self.created_from is not None:
            where.append(Case.created_at >= self.created_from)
        if self.created_before is not None:
            where.append(Case.created_at < self.created_before)
        if self.text:
            # A plain substring search; LIKE wildcards typed by the user are taken literally.
            escaped = self.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            where.append(Case.description.like(f"%{escaped}%", escape="\\"))
        if self.overdue is not None:
            where.append(self.overdue.clause())
        return where


@dataclass(frozen=True, slots=True)
class CasePage:
    cases: Sequence[Case]
    total: int


async def find_cases(
    *,
    session: AsyncSession,
    where: CaseFilter,
    sort: str = "created",
    descending: bool = True,
    offset: int = 0,
    limit: int = 50,
) -> CasePage:
    """One page of the cases matching `where`, and how many match in all."""
    column = SORTS.get(sort, Case.created_at)
    order = column.desc() if descending else column.asc()
    tie = Case.id.desc() if descending else Case.id.asc()
    clauses = where.clauses()
    statement = select(Case).where(*clauses).order_by(order, tie).offset(offset).limit(limit)
    cases = (await session.execute(statement)).scalars().all()
    counted = select(func.count()).select_from(Case).where(*clauses)
    total = int((await session.execute(counted)).scalar_one())
    return CasePage(cases=cases, total=total)


async def newest_case_id(*, session: AsyncSession, unit: str | None) -> int:
    statement = select(func.max(Case.id))
    if unit is not None:
        statement = statement.where(Case.unit_name == unit)
    return int((await session.execute(statement)).scalar_one() or 0)


async def cases_after(
    *, session: AsyncSession, after_id: int, unit: str | None, limit: int = 20
) -> Sequence[Case]:
    """Cases with an id above `after_id` (filed, or for a unit: dispatched there, since), newest
    first."""
    statement: Select[Case] = (
        select(Case).where(Case.id > after_id).order_by(Case.id.desc()).limit(limit)
    )
    if unit is not None:
        statement = statement.where(Case.unit_name == unit)
    return (await session.execute(statement)).scalars().all()


async def case_by_number(*, session: AsyncSession, number: str) -> Case | None:
    return (await session.execute(select(Case).where(Case.number == number))).scalar_one_or_none()


# The columns the 台账 reads: plain rows, not ORM objects, which would cost most of the export.
_LEDGER_CASE_COLUMNS = (
    Case.id,
    Case.number,
    Case.created_at,
    Case.channel,
    Case.request_type,
    Case.description,
    Case.share_identity,
    Case.place_text,
    Case.place_unit,
    Case.category,
    Case.subcategory,
    Case.unit_name,
    Case.signed_at,
    Case.handle_deadline,
    Case.state,
    Case.reopen_count,
    Case.satisfaction,
)


async def case_rows_in_range(
    *,
    session: AsyncSession,
    start: datetime,
    end: datetime,
    unit: str | None,
    batch: int = 1000,
) -> AsyncIterator[Sequence[Any]]:
    """Cases received in [start, end) in id order, `batch` at a time (keyset, not OFFSET, so the
    last batch costs what the first does), as rows of the 台账's columns."""
    last_id = 0
    while True:
        statement = (
            select(*_LEDGER_CASE_COLUMNS)
            .where(Case.created_at >= start, Case.created_at < end, Case.id > last_id)
            .order_by(Case.id)
            .limit(batch)
        )
        if unit is not None:
            statement = statement.where(Case.unit_name == unit)
        rows = (await session.execute(statement)).all()
        if not rows:
            return
        yield rows
        last_id = rows[-1].id


async def event_rows_of_cases(
    *, session: AsyncSession, case_ids: Collection[int]
) -> dict[int, list[Any]]:
    """Each case's events in log order, as rows of (case_id, at, action, to_state, data)."""
    found: dict[int, list[Any]] = defaultdict(list)
    if not case_ids:
        return found
    rows = await session.execute(
        select(
            CaseEvent.case_id, CaseEvent.at, CaseEvent.action, CaseEvent.to_state, CaseEvent.data
        )
        .where(CaseEvent.case_id.in_(list(case_ids)))
        .order_by(CaseEvent.id)
    )
    for row in rows:
        found[row.case_id].append(row)
    return found


async def events_of_cases(
    *, session: AsyncSession, case_ids: Collection[int]
) -> dict[int, list[CaseEvent]]:
    """Each case's events in log order."""
    found: dict[int, list[CaseEvent]] = defaultdict(list)
    if not case_ids:
        return found
    rows = await session.execute(
        select(CaseEvent).where(CaseEvent.case_id.in_(list(case_ids))).order_by(CaseEvent.id)
    )
    for event in rows.scalars():
        found[event.case_id].append(event)
    return found


async def last_event_of(
    *, session: AsyncSession, case_ids: Collection[int], action: str
) -> dict[int, CaseEvent]:
    """The newest event of one action for each case that has one."""
    if not case_ids:
        return {}
    newest = (
        select(func.max(CaseEvent.id))
        .where(CaseEvent.case_id.in_(list(case_ids)), CaseEvent.action == action)
        .group_by(CaseEvent.case_id)
    )
    rows = await session.execute(select(CaseEvent).where(CaseEvent.id.in_(newest)))
    return {event.case_id: event for event in rows.scalars()}
