"""Read-only look-ups for the work desk: a case's events by action, a unit's open cases, overdue
cases and simple counts. States are passed in, since storage knows no workflow."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Case, CaseEvent


async def case_events(
    *, session: AsyncSession, case_id: int, actions: Collection[str] | None = None
) -> Sequence[CaseEvent]:
    statement = select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
    if actions is not None:
        statement = statement.where(CaseEvent.action.in_(list(actions)))
    return (await session.execute(statement)).scalars().all()


async def cases_in_states(
    *, session: AsyncSession, states: Collection[str], unit: str | None = None, limit: int = 50
) -> Sequence[Case]:
    """Cases in any of `states`, oldest first (optionally of one unit)."""
    statement = (
        select(Case)
        .where(Case.state.in_(list(states)))
        .order_by(Case.created_at, Case.id)
        .limit(limit)
    )
    if unit is not None:
        statement = statement.where(Case.unit_name == unit)
    return (await session.execute(statement)).scalars().all()


def _overdue_clause(
    *, unsigned: Collection[str], handling: Collection[str], now: datetime
) -> ColumnElement[bool]:
    return or_(
        and_(Case.state.in_(list(unsigned)), Case.sign_deadline < now),
        and_(Case.state.in_(list(handling)), Case.handle_deadline < now),
    )


async def overdue_cases(
    *,
    session: AsyncSession,
    unsigned: Collection[str],
    handling: Collection[str],
    now: datetime,
    limit: int = 200,
) -> Sequence[Case]:
    """Cases in `unsigned` states past their sign deadline, or in `handling` states past their
    handle deadline; by unit, then number."""
    statement = (
        select(Case)
        .where(_overdue_clause(unsigned=unsigned, handling=handling, now=now))
        .order_by(Case.unit_name, Case.number)
        .limit(limit)
    )
    return (await session.execute(statement)).scalars().all()
