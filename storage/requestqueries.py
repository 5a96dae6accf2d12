"""Read-only look-ups for the Open311 API: cases by number or by filters, and their notes.

States are passed in, since storage knows no workflow.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Case, CaseEvent


async def cases_by_numbers(*, session: AsyncSession, numbers: Collection[str]) -> Sequence[Case]:
    statement = select(Case).where(Case.number.in_(list(numbers))).order_by(Case.id)
    return (await session.execute(statement)).scalars().all()


async def find_cases(
    *,
    session: AsyncSession,
    start: datetime,
    end: datetime,
    subcategories: Collection[str] | None,
    states: Collection[str] | None,
    limit: int,
) -> Sequence[Case]:
    """Cases filed in [start, end], newest first, optionally of some sub-categories and states."""
    statement = (
        select(Case)
        .where(Case.created_at >= start, Case.created_at <= end)
        .order_by(Case.created_at.desc(), Case.id.desc())
        .limit(limit)
    )
    if subcategories is not None:
        statement = statement.where(Case.subcategory.in_(list(subcategories)))
    if states is not None:
        statement = statement.where(Case.state.in_(list(states)))
    return (await session.execute(statement)).scalars().all()


async def latest_events(
    *, session: AsyncSession, case_ids: Collection[int], actions: Collection[str]
) -> dict[int, CaseEvent]:
    """Each case's newest event among `actions` (one query for the whole page)."""
    if not case_ids:
        return {}
    newest = (
        select(func.max(CaseEvent.id))
        .where(CaseEvent.case_id.in_(list(case_ids)), CaseEvent.action.in_(list(actions)))
        .group_by(CaseEvent.case_id)
    )
    rows = await session.execute(select(CaseEvent).where(CaseEvent.id.in_(newest)))
    return {event.case_id: event for event in rows.scalars()}
