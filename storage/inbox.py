"""Inbound dedupe: a delivery id is recorded once; a redelivery finds it and is dropped."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import insert
from storage.models import ProcessedMessage


async def claim_message(
    *, session: AsyncSession, channel: str, message_id: str, now: datetime
) -> bool:
    """Record the delivery; False if it was already recorded (handled, or being handled)."""
    statement = (
        insert(session, ProcessedMessage)
        .values(channel=channel, message_id=message_id, processed_at=now)
        .on_conflict_do_nothing()
        .returning(ProcessedMessage.message_id)
    )
    result = await session.execute(statement)
    return result.scalar_one_or_none() is not None


async def forget_before(*, session: AsyncSession, cutoff: datetime) -> int:
    """Drop records older than any platform redelivers (Telegram keeps updates 24 h)."""
    result = await session.execute(
        delete(ProcessedMessage).where(ProcessedMessage.processed_at < cutoff)
    )
    return int(getattr(result, "rowcount", 0) or 0)
