"""Drains the outbox: claim due rows, deliver each through its channel, record how it went.

Guarantees, and their limits:

* Nothing is lost: a row leaves "pending" only when its channel said SENT, FAILED (dead-letter,
  reason kept) or HOLD. A process that dies mid-send leaves a lease that runs out; then another
  claimer (or this one, restarted) sends the row.
* No duplicate in normal operation: each row is marked sent in its own short transaction right
  after the channel confirmed it. The one window left is a crash (or a database outage) between
  the platform accepting a message and that commit: the row is then sent again after the lease,
  so delivery is at-least-once, and a person may in that rare case see one message twice.
  A delivery cut off by the timeout (half the lease) is retried for the same reason.
* Order per recipient: a recipient's rows go out in id order; a row is claimed only when no
  earlier row of that recipient is open (pending or held), so at most one row per recipient is
  in flight across all instances.
* Bounded load: at most `batch_size` rows claimed per round, `concurrency` deliveries at once.
  Rate limits per platform are the channel sender's job (the Telegram throttle).

Several processes may drain one PostgreSQL database (claims use SKIP LOCKED and leases). On
SQLite run one sender process: SQLite has one writer at a time, and although the conditional
claim keeps two processes from sending a row twice, they would mostly wait on each other.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, fields

from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery import DeliveryResult, DeliveryStatus
from bot.outbox.policy import OutboxPolicy
from bot.outbox.registry import SenderRegistry
from handlers.conversation.messages import Outbound
from handlers.policy.clock import Clock
from storage.models import OutboxMessage
from storage.outbox import claim_due, mark_dead, mark_held, mark_retry, mark_sent
from storage.replies import may_be_superseded, supersede_stale

log = logging.getLogger(__name__)


@dataclass(slots=True)
class DrainStats:
    """What one drain did."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0
    held: int = 0
    superseded: int = 0

    def add(self, other: DrainStats) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


class OutboxSender:
    """One per process; `drain()` is what the scheduler's outbox job calls every second."""

    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        senders: SenderRegistry,
        clock: Clock,
        policy: OutboxPolicy | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._senders = senders
        self._clock = clock
        self.policy = policy or OutboxPolicy()
        self._slots = asyncio.Semaphore(self.policy.concurrency)
        self._draining = asyncio.Lock()

    async def drain(self, *, max_rounds: int = 10_000) -> DrainStats:
        """Send due rows round after round until none is due; a no-op if a drain is running."""
        total = DrainStats()
        if self._draining.locked():
            return total  # the running drain picks up whatever is due now
        async with self._draining:
            for _ in range(max_rounds):
                stats = await self.run_round()
                total.add(stats)
                if stats.claimed == 0:
                    break
        return total

    async def run_round(self) -> DrainStats:
        """Claim one batch, deliver it (concurrently, bounded) and record every outcome."""
        channels = self._senders.channels
        if not channels:
            return DrainStats()
        now = self._clock.now()
        async with self._sessionmaker() as session, session.begin():
            rows = await claim_due(
                session=session,
                now=now,
                channels=channels,
                limit=self.policy.batch_size,
                lease_until=now + self.policy.lease,
            )
        stats = DrainStats(claimed=len(rows))
        outcomes = await asyncio.gather(*(self._send(row) for row in rows))
        for outcome in outcomes:
            setattr(stats, outcome, getattr(stats, outcome) + 1)
        return stats

    async def _send(self, row: OutboxMessage) -> str:
        async with self._slots:
            if await self._superseded(row):
                return "superseded"
            result = await self._deliver(row)
            return await self._record_within_lease(row, result)

    async def _superseded(self, row: OutboxMessage) -> bool:
        """A turn's reply the person has since moved past is dropped, not sent (storage.replies:
        after a crash it may already have arrived). If the check itself fails the row is sent:
        a repeated prompt is better than a lost one."""
        if not may_be_superseded(row):
            return False
        try:
            async with self._sessionmaker() as session, session.begin():
                return await supersede_stale(session=session, row=row, now=self._clock.now())
        except SQLAlchemyError:
            log.warning("outbox: could not check row %s for a later turn; sending it", row.id)
            return False

    async def _record_within_lease(self, row: OutboxMessage, result: DeliveryResult) -> str:
        """Record the outcome, retrying while this process still holds the row's lease.

        A dropped connection (a PostgreSQL restart, pg_terminate_backend) used to leave a row
        that had been delivered leased for the whole lease and then sent again (issue 9). Like
        the conversation, the write is tried again at once on a fresh connection, then a few
        more times while the lease lasts: nobody else can claim the row meanwhile, so once the
        database answers the row is recorded and never delivered a second time.
        """
        # Measured on the monotonic clock: the injected clock may be a fixed one in tests.
        loop = asyncio.get_running_loop()
        held = ((row.claimed_until or self._clock.now()) - self._clock.now()).total_seconds()
        lease_end = loop.time() + held
        delay = 0.2
        while True:
            try:
                return await self._record(row, result)
            except DBAPIError as exc:
                if exc.connection_invalidated:
                    log.warning("outbox: connection lost recording row %s; retrying", row.id)
                    # SQLAlchemy has already dropped the pool's older connections: the next
                    # checkout is a fresh one, so no wait before the first retry.
                    if delay == 0.2:
                        delay = 0.4
                        continue
                error: SQLAlchemyError = exc
            except SQLAlchemyError as exc:
                error = exc
            if loop.time() + delay + 1 >= lease_end:
                # The lease runs out and the row is sent again: at-least-once, never lost.
                log.error(
                    "outbox: could not record the outcome of row %s within its lease: %r",
                    row.id,
                    error,
                )
                return "retried"
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)

    async def _deliver(self, row: OutboxMessage) -> DeliveryResult:
        sender = self._senders.get(row.channel)
        if sender is None:  # unregistered since the claim; the lease brings it back
            return DeliveryResult(DeliveryStatus.RETRY, reason="channel not running")
        try:
            message = Outbound.from_payload(row.payload)
        except (KeyError, TypeError, ValueError) as exc:
            return DeliveryResult(DeliveryStatus.FAILED, reason=f"bad payload: {exc!r}")
        try:
            return await asyncio.wait_for(
                sender.deliver(row.recipient, message), self.policy.delivery_timeout
            )
        except TimeoutError:
            return DeliveryResult(DeliveryStatus.RETRY, reason="delivery timed out")
        except Exception as exc:
            # ChannelSender promises not to raise; if one does, it is a bug worth a trace, and
            # the row is retried rather than lost.
            log.exception("outbox: %s sender raised for row %s", row.channel, row.id)
            return DeliveryResult(DeliveryStatus.RETRY, reason=f"sender raised: {exc!r}")

    async def _record(self, row: OutboxMessage, result: DeliveryResult) -> str:
        now = self._clock.now()
        attempts = row.attempts + 1
        async with self._sessionmaker() as session, session.begin():
            if result.status is DeliveryStatus.SENT:
                await mark_sent(session=session, message_id=row.id, now=now)
                return "sent"
            reason = result.reason or result.status.value
            if result.status is DeliveryStatus.HOLD:
                await mark_held(session=session, message_id=row.id, reason=reason)
                return "held"
            if result.status is DeliveryStatus.FAILED or attempts >= self.policy.max_attempts:
                log.warning(
                    "outbox: row %s to %s/%s dead after %d attempt(s): %s",
                    row.id,
                    row.channel,
                    row.recipient,
                    attempts,
                    reason,
                )
                await mark_dead(session=session, message_id=row.id, attempts=attempts, error=reason)
                return "dead"
            wait = self.policy.backoff(attempts, result.retry_after)
            await mark_retry(
                session=session,
                message_id=row.id,
                attempts=attempts,
                next_attempt_at=now + wait,
                error=reason,
            )
            return "retried"
