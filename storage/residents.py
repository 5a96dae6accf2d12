"""Residents, one row per channel identity."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import dialect_name, insert, insert_for
from storage.models import Resident


async def get_resident(*, session: AsyncSession, channel: str, external_id: str) -> Resident | None:
    result = await session.execute(
        select(Resident).where(Resident.channel == channel, Resident.external_id == external_id)
    )
    return result.scalar_one_or_none()


async def ensure_resident(
    *, session: AsyncSession, channel: str, external_id: str, chat_id: str | None, now: datetime
) -> Resident:
    """The resident for this identity, created on first contact (safe under concurrent calls).

    One upsert instead of select-insert-select: filing a case is on the hot path.
    """
    statement = insert(session, Resident).values(
        channel=channel, external_id=external_id, chat_id=chat_id, reachable=True, created_at=now
    )
    statement = statement.on_conflict_do_update(
        index_elements=[Resident.channel, Resident.external_id],
        set_={"chat_id": func.coalesce(statement.excluded.chat_id, Resident.chat_id)},
    ).returning(Resident)
    result = await session.execute(
        select(Resident).from_statement(statement).execution_options(populate_existing=True)
    )
    resident: Resident = result.scalar_one()
    return resident


@cache
def _ensure_id(dialect: str) -> Any:
    # Built once per dialect (every filed case runs it), against the Table: no ORM object is
    # loaded when only the id is wanted.
    table = Resident.__table__
    statement = insert_for(dialect, table).values(
        channel=bindparam("channel"),
        external_id=bindparam("external_id"),
        chat_id=bindparam("chat_id"),
        reachable=True,
        created_at=bindparam("created_at", type_=table.c.created_at.type),
    )
    return statement.on_conflict_do_update(
        index_elements=[table.c.channel, table.c.external_id],
        set_={"chat_id": func.coalesce(statement.excluded.chat_id, table.c.chat_id)},
    ).returning(table.c.id)


async def ensure_resident_id(
    *, session: AsyncSession, channel: str, external_id: str, chat_id: str | None, now: datetime
) -> int:
    """`ensure_resident`, returning only the row's id (filing a case needs no more)."""
    params = {"channel": channel, "external_id": external_id, "chat_id": chat_id, "created_at": now}
    resident_id: int = (
        await session.execute(_ensure_id(dialect_name(session)), params)
    ).scalar_one()
    return resident_id
