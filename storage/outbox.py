"""The outbox: pushes written in the same transaction as the change that caused them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

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
    claimed_until: datetime | None = None,
) -> bool:
    """Queue one push; False if a push with this key was queued before (kept as it was).

    `claimed_until` queues it already leased: a reply the answering instance sends itself, which
    the sender takes over only if that instance has not settled it when the lease runs out.
    """
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
            claimed_until=claimed_until,
        )
        .on_conflict_do_nothing()
        .returning(OutboxMessage.id)
    )
    return (await session.execute(statement)).scalar_one_or_none() is not None


# -- draining (issue 4): claimed by bot.outbox.sender ---------------------------------------------

PENDING, SENT, HELD, DEAD = "pending", "sent", "held", "dead"
# A journaled reply the person has moved past (storage.replies.supersede_stale): never sent.
SUPERSEDED = "superseded"
# Rows that still have to go out, in id order per recipient: while one of them is unsent, the
# recipient's later rows wait (a held row too: on release it must go first).
_OPEN = (PENDING, HELD)


async def claim_due(
    *,
    session: AsyncSession,
    now: datetime,
    channels: Sequence[str],
    limit: int,
    lease_until: datetime,
) -> list[OutboxMessage]:
    """Claim up to `limit` due rows, at most one per recipient: the oldest still open.

    The claim is a lease (`claimed_until`), committed by the caller before sending: a claimer that
    dies leaves its rows to be claimed again once the lease has run out. On PostgreSQL the
    candidate rows are locked with SKIP LOCKED, so concurrent claimers take disjoint rows without
    waiting; on SQLite (one writer at a time) the conditional UPDATE alone guards the claim.
    """
    if not channels or limit <= 0:
        return []
    earlier = aliased(OutboxMessage)
    earlier_open = (
        select(earlier.id)
        .where(
            earlier.channel == OutboxMessage.channel,
            earlier.recipient == OutboxMessage.recipient,
            earlier.status.in_(_OPEN),
            earlier.id < OutboxMessage.id,
        )
        # OFFSET 0 keeps PostgreSQL from flattening this into an anti-join, which it plans as a
        # nested loop over the whole channel when its statistics lag behind a burst of rows
        # (measured: 18.7 s per claim with 7,900 open rows). As a per-row sub-plan it is one
        # index probe on ix_outbox_recipient_open per candidate (42 ms for the same rows).
        .offset(0)
        .exists()
    )
    candidates = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.status == PENDING,
            OutboxMessage.next_attempt_at <= now,
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until <= now),
            OutboxMessage.channel.in_(list(channels)),
            ~earlier_open,
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=OutboxMessage)
    )
    ids = list((await session.execute(candidates)).scalars())
    if not ids:
        return []
    claimed = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(ids),
            OutboxMessage.status == PENDING,
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until <= now),
        )
        .values(claimed_until=lease_until)
        .returning(OutboxMessage)
        .execution_options(synchronize_session=False)
    )
    return sorted(claimed.scalars(), key=lambda row: row.id)


async def mark_sent(*, session: AsyncSession, message_id: int, now: datetime) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(
            status=SENT,
            sent_at=now,
            claimed_until=None,
            attempts=OutboxMessage.attempts + 1,
            last_error=None,
        )
    )


async def mark_retry(
    *, session: AsyncSession, message_id: int, attempts: int, next_attempt_at: datetime, error: str
) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(
            attempts=attempts,
            next_attempt_at=next_attempt_at,
            claimed_until=None,
            last_error=error[:2000],
        )
    )


async def mark_dead(*, session: AsyncSession, message_id: int, attempts: int, error: str) -> None:
    """Dead-letter a row: it is never tried again and its reason stays for supervisors."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(status=DEAD, attempts=attempts, claimed_until=None, last_error=error[:2000])
    )


async def mark_held(*, session: AsyncSession, message_id: int, reason: str) -> None:
    """Keep a row until the recipient writes again (see `release_held`)."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(status=HELD, claimed_until=None, last_error=reason[:2000])
    )


async def release_held(
    *, session: AsyncSession, channel: str, recipient: str, now: datetime
) -> int:
    """Make a recipient's held rows due again (they wrote to us, so the channel can reach them).

    Called by the conversation core in the transaction of the person's message. Returns how many
    rows were released; they go out in id order, before anything queued after them.
    """
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.channel == channel,
            OutboxMessage.recipient == recipient,
            OutboxMessage.status == HELD,
        )
        .values(status=PENDING, next_attempt_at=now, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def list_messages(
    *, session: AsyncSession, status: str | None = None, limit: int = 50
) -> Sequence[OutboxMessage]:
    """Newest rows first, optionally of one status (e.g. "dead" for the dead letters)."""
    statement = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if status is not None:
        statement = statement.where(OutboxMessage.status == status)
    return (await session.execute(statement)).scalars().all()


async def count_by_status(*, session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    )
    return {status: int(count) for status, count in rows.all()}
