"""Residents, one row per channel identity."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
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
    """The resident for this identity, created on first contact (safe under concurrent calls)."""
    resident = await get_resident(session=session, channel=channel, external_id=external_id)
    if resident is None:
        await session.execute(
            insert(session, Resident)
            .values(
                channel=channel,
                external_id=external_id,
                chat_id=chat_id,
                reachable=True,
                created_at=now,
            )
            .on_conflict_do_nothing()
        )
        resident = await get_resident(session=session, channel=channel, external_id=external_id)
        assert resident is not None
    elif chat_id is not None and resident.chat_id != chat_id:
        resident.chat_id = chat_id
    return resident
