"""Direct replies that must not be lost (issue 9): kept in the outbox under the turn's keys.

A conversation turn's replies normally go straight back to the chat. Two things could lose them:
the process dying between the commit and the send (kill -9, a crash), and the Bot API failing
for longer than the in-process retries. So:

* every reply of a turn on a journaling channel (Telegram) is *journaled*: written to the outbox
  in the turn's own transaction (one multi-row INSERT), already leased to the instance that
  answers. That instance sends each reply and then marks it sent (`settle`), one by one, so a
  crash between two replies leaves only the unsent ones. If it dies first, the lease runs out
  and the outbox sender delivers what is left; if it cannot send, it hands the rows over at once.
* a reply on another channel that cannot be sent is *spooled*: enqueued under the same key
  afterwards.

Keys are `reply:<channel>:<message id>:<index>`, so a turn redelivered after a crash, or a reply
spooled twice (a SIGTERM racing a late send), never makes a second row.

The one window no bookkeeping closes is a crash after the platform accepted a reply and before
its settle committed (the Bot API has no idempotency key): the outbox cannot tell whether it
arrived. A prompt or an acknowledgement sent again then shows the person an old question after
they have answered it, so such a row is *superseded* instead when the same chat has had a later
turn (`supersede_stale`): the person moved on, and that turn's replies show where things stand.
A `lasting` reply (a case number) is sent again regardless: seeing it twice beats never seeing
it. In a group chat every reply counts as lasting: one member's next message says nothing about
what another has seen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import insert
from storage.models import OutboxMessage
from storage.outbox import PENDING, SUPERSEDED, enqueue

_PREFIX = "reply:"


@dataclass(frozen=True, slots=True)
class ReplyJournal:
    """Which channels journal their turns' replies, and for how long the answering
    instance holds them before the outbox takes over. No channel by default: the console and
    tests answer in-process, and WeChat's passive replies have their own path."""

    channels: frozenset[str] = field(default_factory=frozenset)
    lease: timedelta = timedelta(seconds=60)

    def covers(self, channel: str, message_id: str | None, texts: Sequence[str]) -> bool:
        """Journal this turn: a channel that settles, a delivery id to key on, a reply."""
        return channel in self.channels and message_id is not None and len(texts) > 0


def reply_key(channel: str, message_id: str, index: int) -> str:
    return f"{_PREFIX}{channel}:{message_id}:{index}"


def _turn_prefix(key: str) -> str:
    """ "reply:telegram:812:1" → "reply:telegram:812:" (the keys of that turn's replies)."""
    return key.rsplit(":", 1)[0] + ":"


def may_be_superseded(row: OutboxMessage) -> bool:
    """A turn's reply that is not lasting: the only kind of row `supersede_stale` may drop
    (checked without the database, so notifications cost the sender nothing more)."""
    return row.idempotency_key.startswith(_PREFIX) and not row.payload.get("lasting")


async def supersede_stale(*, session: AsyncSession, row: OutboxMessage, now: datetime) -> bool:
    """Drop this reply row, unsent, if its chat has had a later turn and it is not lasting.

    Called by the outbox sender before it delivers a claimed row; True if the row is now
    superseded (and must not be sent). Rows that are not turn replies are never touched.
    """
    key = row.idempotency_key
    if not may_be_superseded(row):
        return False
    later_turn = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.channel == row.channel,
            OutboxMessage.recipient == row.recipient,
            OutboxMessage.id > row.id,
            OutboxMessage.idempotency_key.startswith(_PREFIX, autoescape=True),
            ~OutboxMessage.idempotency_key.startswith(_turn_prefix(key), autoescape=True),
        )
        .limit(1)
    )
    if (await session.execute(later_turn)).first() is None:
        return False
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row.id, OutboxMessage.status == PENDING)
        .values(
            status=SUPERSEDED,
            claimed_until=None,
            sent_at=None,
            last_error=f"superseded at {now.isoformat()}: the chat has had a later turn",
        )
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def journal_replies(
    *,
    session: AsyncSession,
    journal: ReplyJournal,
    channel: str,
    recipient: str,
    message_id: str,
    payloads: Sequence[dict[str, Any]],
    now: datetime,
    group: bool = False,
) -> None:
    """Write the turn's replies to the outbox, leased to this instance (in the turn's tx).

    One INSERT for all of them: this runs in every turn, so it costs one round trip, not one per
    reply. A key already there (a redelivered turn) is kept as it was. In a `group` chat every
    reply is written lasting (see the module's note on superseded replies).
    """
    if not payloads:
        return
    lease = now + journal.lease
    rows = [
        {
            "idempotency_key": reply_key(channel, message_id, index),
            "channel": channel,
            "recipient": recipient,
            "payload": {**payload, "lasting": True} if group else payload,
            "status": PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "claimed_until": lease,
        }
        for index, payload in enumerate(payloads)
    ]
    await session.execute(insert(session, OutboxMessage).values(rows).on_conflict_do_nothing())


async def settle_replies(
    *, session: AsyncSession, channel: str, message_id: str, indexes: Sequence[int], now: datetime
) -> int:
    """Mark journaled replies sent (the answering instance delivered them); returns how many."""
    keys = [reply_key(channel, message_id, i) for i in indexes]
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.idempotency_key.in_(keys), OutboxMessage.status == PENDING)
        .values(status="sent", sent_at=now, claimed_until=None, attempts=1)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def renew_replies(
    *,
    session: AsyncSession,
    channel: str,
    message_id: str,
    indexes: Sequence[int],
    now: datetime,
    lease: timedelta,
) -> int:
    """Extend the answering instance's lease on journaled replies it still means to send.

    Replies can wait in the rate limiter longer than the lease (a burst of residents at 30
    messages a second), and the outbox would then send them as well. Only a lease still running
    is extended: one that has run out may be the outbox's now. Returns how many rows."""
    keys = [reply_key(channel, message_id, i) for i in indexes]
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.idempotency_key.in_(keys),
            OutboxMessage.status == PENDING,
            OutboxMessage.claimed_until > now,
        )
        .values(claimed_until=now + lease)
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
