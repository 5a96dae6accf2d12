"""Inbound dedupe: a delivery id is recorded once; a redelivery finds it and is dropped."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import dialect_name, insert_for
from storage.models import ProcessedMessage


@cache
def _claim(dialect: str) -> Any:
    # Built once per dialect (every inbound message runs it): a reused statement keeps its cache
    # key, so SQLAlchemy skips rebuilding and re-keying it. Against the Table, not the mapped
    # class: a plain Core INSERT skips the ORM's bulk-insert machinery. No RETURNING: the row
    # count says whether the row went in, and the driver need not fetch a result.
    table = ProcessedMessage.__table__
    return (
        insert_for(dialect, table)
        .values(
            channel=bindparam("channel"),
            message_id=bindparam("message_id"),
            processed_at=bindparam("processed_at", type_=table.c.processed_at.type),
        )
        .on_conflict_do_nothing()
    )


async def claim_message(
    *, session: AsyncSession, channel: str, message_id: str, now: datetime
) -> bool:
    """Record the delivery; False if it was already recorded (handled, or being handled)."""
    result = await session.execute(
        _claim(dialect_name(session)),
        {"channel": channel, "message_id": message_id, "processed_at": now},
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


async def forget_before(*, session: AsyncSession, cutoff: datetime) -> int:
    """Drop records older than any platform redelivers (Telegram keeps updates 24 h)."""
    result = await session.execute(
        delete(ProcessedMessage).where(ProcessedMessage.processed_at < cutoff)
    )
    return int(getattr(result, "rowcount", 0) or 0)
