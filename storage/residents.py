"""Residents, one row per channel identity."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import insert
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
