"""The outbox: pushes written in the same transaction as the change that caused them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import insert
from storage.models import OutboxMessage


async def enqueue(
    *,
    session: AsyncSession,
    idempotency_key: str,
    channel: str,
    recipient: str,
    payload: dict[str, Any],
    now: datetime,
    case_id: int | None = None,
) -> bool:
    """Queue one push; False if a push with this key was queued before (kept as it was)."""
    statement = (
        insert(session, OutboxMessage)
        .values(
            idempotency_key=idempotency_key,
            channel=channel,
            recipient=recipient,
            payload=payload,
            case_id=case_id,
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        .on_conflict_do_nothing()
        .returning(OutboxMessage.id)
    )
    return (await session.execute(statement)).scalar_one_or_none() is not None
