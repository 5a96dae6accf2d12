"""Cases and their event log: numbering, creation, transitions, look-ups."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from storage.dialect import dialect_name, insert_for
from storage.models import Case, CaseCounter, CaseEvent


@cache
def _next_number(dialect: str) -> Any:
    # Built once per dialect (every filed case runs it), against the Table (no ORM machinery).
    table = CaseCounter.__table__
    statement = insert_for(dialect, table).values(key=bindparam("key"), value=1)
    return statement.on_conflict_do_update(
        index_elements=[table.c.key], set_={"value": table.c.value + 1}
    ).returning(table.c.value)


async def next_case_number(*, session: AsyncSession, prefix: str, day: str) -> str:
    """A readable, unique number such as AN20261125-0007.

    One atomic upsert on a per-day counter row: on PostgreSQL concurrent submits queue on that
    row's lock, so two transactions never get the same sequence number.
    """
    key = f"{prefix}{day}"
    result = await session.execute(_next_number(dialect_name(session)), {"key": key})
    value = result.scalar_one()
    return f"{key}-{value:04d}"


def add_event(
    *,
    session: AsyncSession,
    case: Case,
    at: datetime,
    actor_kind: str,
    actor_id: str | None,
    action: str,
    from_state: str | None,
    to_state: str | None,
    note: str | None = None,
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    """Append one row to the case's log (never updated afterwards)."""
    # A case not yet written has no id: the event then refers to the object, and the flush that
    # inserts the case fills in the id.
    link: dict[str, Any] = {"case_id": case.id} if case.id is not None else {"case": case}
    event = CaseEvent(
        **link,
        at=at,
        actor_kind=actor_kind,
        actor_id=actor_id,
        action=action,
        from_state=from_state,
        to_state=to_state,
        note=note,
        data=data or {},
    )
    session.add(event)
    return event


async def get_case(*, session: AsyncSession, number: str, with_events: bool = False) -> Case | None:
    statement = select(Case).where(Case.number == number)
    if with_events:
        statement = statement.options(selectinload(Case.events))
    return (await session.execute(statement)).scalar_one_or_none()


async def get_case_for_update(*, session: AsyncSession, case_id: int) -> Case | None:
    """The case row, locked until commit on PostgreSQL (SQLite locks the whole file anyway)."""
    result = await session.execute(select(Case).where(Case.id == case_id).with_for_update())
    return result.scalar_one_or_none()


async def cases_of_resident(
    *, session: AsyncSession, resident_id: int, limit: int = 10
) -> Sequence[Case]:
    result = await session.execute(
        select(Case)
        .where(Case.resident_id == resident_id)
        .order_by(Case.created_at.desc(), Case.id.desc())
        .limit(limit)
    )
    return result.scalars().all()


async def open_cases_of_resident(
    *, session: AsyncSession, resident_id: int, open_states: Sequence[str], limit: int = 2
) -> Sequence[Case]:
    """The resident's newest cases still in one of `open_states`."""
    result = await session.execute(
        select(Case)
        .where(Case.resident_id == resident_id, Case.state.in_(open_states))
        .order_by(Case.created_at.desc(), Case.id.desc())
        .limit(limit)
    )
    return result.scalars().all()


async def list_cases(
    *,
    session: AsyncSession,
    unit: str | None = None,
    state: str | None = None,
    limit: int = 200,
) -> Sequence[Case]:
    statement = select(Case).order_by(Case.created_at.desc(), Case.id.desc()).limit(limit)
    if unit is not None:
        statement = statement.where(Case.unit_name == unit)
    if state is not None:
        statement = statement.where(Case.state == state)
    return (await session.execute(statement)).scalars().all()


async def count_cases(*, session: AsyncSession) -> int:
    return int((await session.execute(select(func.count()).select_from(Case))).scalar_one())
