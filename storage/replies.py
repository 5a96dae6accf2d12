"""Direct replies that must not be lost (issue 9): kept in the outbox under the turn's keys.

A conversation turn's replies normally go straight back to the chat. Two things could lose them:
the process dying between the commit and the send (kill -9, a crash), and the Bot API failing
for longer than the in-process retries. So:

* a reply that names a case number (the receipt 工单号, a status answer) is *journaled*: written
  to the outbox in the turn's own transaction, already leased to the instance that answers. That
  instance sends it and then marks it sent (`settle`). If it dies first, the lease runs out and
  the outbox sender delivers it; if it cannot send, it hands the row over at once (`release`).
* any other reply that cannot be sent is *spooled*: enqueued under the same key afterwards.

Keys are `reply:<channel>:<message id>:<index>`, so a turn redelivered after a crash, or a reply
spooled twice (a SIGTERM racing a late send), never makes a second row.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxMessage
from storage.outbox import PENDING, enqueue

# A case number as the core prints it (AN20261125-0007): prefix, local date, counter.
_CASE_NUMBER = re.compile(r"(?<![A-Z])[A-Z]{1,6}\d{8}-\d{4,6}(?!\d)")


@dataclass(frozen=True, slots=True)
class ReplyJournal:
    """Which channels journal their case-number replies, and for how long the answering
    instance holds them before the outbox takes over. No channel by default: the console and
    tests answer in-process, and WeChat's passive replies have their own path."""

    channels: frozenset[str] = field(default_factory=frozenset)
    lease: timedelta = timedelta(seconds=60)

    def covers(self, channel: str, message_id: str | None, texts: Sequence[str]) -> bool:
        """Journal this turn: a channel that settles, a delivery id to key on, a case number."""
        return (
            channel in self.channels
            and message_id is not None
            and any(_CASE_NUMBER.search(text) for text in texts)
        )


def reply_key(channel: str, message_id: str, index: int) -> str:
    return f"reply:{channel}:{message_id}:{index}"


async def journal_replies(
    *,
    session: AsyncSession,
    journal: ReplyJournal,
    channel: str,
    recipient: str,
    message_id: str,
    payloads: Sequence[dict[str, Any]],
    now: datetime,
) -> None:
    """Write the turn's replies to the outbox, leased to this instance (in the turn's tx)."""
    for index, payload in enumerate(payloads):
        await enqueue(
            session=session,
            idempotency_key=reply_key(channel, message_id, index),
            channel=channel,
            recipient=recipient,
            payload=payload,
            now=now,
            claimed_until=now + journal.lease,
        )


async def settle_replies(
    *, session: AsyncSession, channel: str, message_id: str, count: int, now: datetime
) -> int:
    """Mark journaled replies sent (the answering instance delivered them); returns how many."""
    keys = [reply_key(channel, message_id, i) for i in range(count)]
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.idempotency_key.in_(keys), OutboxMessage.status == PENDING)
        .values(status="sent", sent_at=now, claimed_until=None, attempts=1)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def spool_replies(
    *,
    session: AsyncSession,
    channel: str,
    recipient: str,
    message_id: str,
    payloads: Sequence[tuple[int, dict[str, Any]]],
    now: datetime,
    error: str,
) -> None:
    """Hand unsent replies (index, payload) to the outbox sender, due now.

    A reply journaled by the turn already has its row: its lease is dropped so the sender takes
    it at once. Any other reply gets a row under the same key discipline.
    """
    keys = []
    for index, payload in payloads:
        key = reply_key(channel, message_id, index)
        keys.append(key)
        await enqueue(
            session=session,
            idempotency_key=key,
            channel=channel,
            recipient=recipient,
            payload=payload,
            now=now,
        )
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.idempotency_key.in_(keys), OutboxMessage.status == PENDING)
        .values(claimed_until=None, next_attempt_at=now, last_error=error[:2000])
        .execution_options(synchronize_session=False)
    )
