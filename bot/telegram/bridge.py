"""Between an adapter and the core: one conversation turn at a time per person, errors contained."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot.telegram.replyspool import ReplySpool
from bot.telegram.types import ConversationCore, DeliveryError, SentResult
from handlers.conversation.messages import Inbound, Outbound

log = logging.getLogger(__name__)

# Said when the core itself fails; the details go to the log, not to the resident.
APOLOGY = "抱歉，系统暂时出错，请稍后再试。"


class KeyedLocks:
    """An `asyncio.Lock` per key, forgotten as soon as nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)


Deliver = Callable[[str, Outbound], Awaitable[SentResult]]
# Answers the pressed button itself (answerCallbackQuery with a pop-up text).
Notice = Callable[[str], Awaitable[None]]

# Back-off between retries of one reply on a transient error, when Telegram names no wait.
_FIRST_RETRY, _MAX_RETRY = 0.5, 4.0


@dataclass(eq=False)
class _Pending:
    """A turn whose replies are being delivered: what is left if the process must stop.

    `replies` keep their position in the turn, which is the position the core journaled them
    under (storage.replies), including notices answered as a pop-up instead of in the chat.
    """

    inbound: Inbound
    chat_id: str
    replies: list[tuple[int, Outbound]]
    sent: int = 0


class CoreBridge:
    """Runs the core for one inbound message and delivers its replies to the same chat.

    Both libraries handle updates concurrently (aiogram `handle_as_tasks`, ptb
    `concurrent_updates`), so two quick messages from one person would race on their draft;
    a per-person lock makes them take turns. asyncio.Lock wakes waiters in FIFO order and the
    handlers reach the lock without suspending first, so turns keep the order of update_ids.
    (Across instances the database's per-person lock does the same: storage.guard.)

    Replies are retried on transient errors (5xx, network, 429) for `retry_seconds`; what still
    cannot be sent, or is left when the process stops, goes to the outbox through `spool`
    (issue 9), so a resident's case number is never lost with the process.
    """

    def __init__(
        self,
        core: ConversationCore,
        deliver: Deliver,
        *,
        spool: ReplySpool | None = None,
        retry_seconds: float = 10.0,
    ) -> None:
        self._core = core
        self._deliver = deliver
        self._spool = spool
        self._retry_seconds = retry_seconds
        self._turns = KeyedLocks()
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._stopping = asyncio.Event()
        self._pending: set[_Pending] = set()

    async def drain(self, within: float) -> bool:
        """Stop retrying, wait until no turn is running, spool what is left (False on timeout).

        aiogram's stop_polling does not wait for the handler tasks it started, so without this
        a reply still queued in the throttle would be lost on shutdown.
        """
        self._stopping.set()
        try:
            await asyncio.wait_for(self._idle.wait(), within)
        except TimeoutError:
            log.error(
                "telegram: %d conversation turn(s) still running at shutdown", self._in_flight
            )
            for pending in list(self._pending):
                await self._hand_over(pending, pending.sent, "shutdown before it was sent")
            return False
        return True

    async def handle(self, inbound: Inbound, notice: Notice | None = None) -> None:
        """Never raises: a failing core is logged and answered with an apology.

        `notice` answers a pressed button: replies the core marks as notices go there (a
        pop-up only the presser sees) instead of into the chat, which may be a unit's group.
        """
        self._in_flight += 1
        self._idle.clear()
        try:
            await self._turn(inbound, notice)
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.set()

    async def _turn(self, inbound: Inbound, notice: Notice | None) -> None:
        chat_id = inbound.chat_id or inbound.user_id
        async with self._turns.hold(inbound.user_id):
            failed = False
            try:
                replies = await self._core.handle(inbound)
            except Exception:
                failed = True
                log.exception(
                    "core failed: channel=telegram user=%s chat=%s update=%s",
                    inbound.user_id,
                    chat_id,
                    inbound.message_id,
                )
                replies = [Outbound(APOLOGY)]
            # The core journaled the turn's replies with it (same rule), unless it failed.
            journaled = (
                self._spool is not None and not failed and self._spool.journaled(inbound, replies)
            )
            items = list(enumerate(replies))
            answered: list[int] = []  # notices answered as a pop-up: settled with the next send
            if notice is not None:
                for index, reply in items:
                    if reply.notice:
                        await notice(reply.text)
                        answered.append(index)
                items = [(index, reply) for index, reply in items if not reply.notice]
            pending = _Pending(inbound, chat_id, items)
            self._pending.add(pending)
            keeper = None
            if journaled and self._spool is not None:
                keeper = asyncio.create_task(self._keep_leased(self._spool, inbound, replies))
            try:
                await self._deliver_all(pending, journaled=journaled, answered=answered)
            finally:
                self._pending.discard(pending)
                if keeper is not None:
                    keeper.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await keeper

    @staticmethod
    async def _keep_leased(spool: ReplySpool, inbound: Inbound, replies: list[Outbound]) -> None:
        """While the turn's replies wait to be sent (the rate limiter may hold them longer than
        the journal's lease in a burst), renew the lease three times per lease, so the outbox
        does not send them too. Rows already settled are left alone by the update."""
        every = spool.journal.lease.total_seconds() / 3
        while True:
            await asyncio.sleep(every)
            await spool.renew(inbound, range(len(replies)))

    async def _deliver_all(
        self, pending: _Pending, *, journaled: bool, answered: list[int]
    ) -> None:
        inbound, chat_id = pending.inbound, pending.chat_id
        for position, (index, reply) in enumerate(pending.replies):
            error = await self._send_with_retries(chat_id, reply)
            if error is not None:
                # Already logged where it happened; the rest is not sent directly either, so the
                # person never sees a later reply without the one before it.
                log.error(
                    "reply not delivered: user=%s chat=%s update=%s permanent=%s: %s",
                    inbound.user_id,
                    chat_id,
                    inbound.message_id,
                    error.permanent,
                    error,
                )
                if journaled or not error.permanent:
                    # A blocked bot (permanent) gains nothing from the outbox, unless the reply
                    # was journaled: then the outbox dead-letters it where supervisors see it.
                    await self._hand_over(pending, position, str(error))
                return
            pending.sent = position + 1
            if journaled and self._spool is not None:
                # Each reply is marked sent as soon as it is: a crash before the next one leaves
                # only the unsent ones to the outbox, so nothing reaches the person twice. The
                # next reply to this chat waits ~1 s for its slot anyway (1 msg/s per chat).
                await self._spool.settle(inbound, [*answered, index])
                answered = []
        if journaled and answered and self._spool is not None:
            await self._spool.settle(inbound, answered)

    async def _hand_over(self, pending: _Pending, start: int, reason: str) -> None:
        items = pending.replies[start:]
        pending.sent = len(pending.replies)  # whoever spools first; the keys make a repeat a no-op
        if self._spool is not None and items:
            await self._spool.spool(pending.inbound, pending.chat_id, items, reason)

    async def _send_with_retries(self, chat_id: str, reply: Outbound) -> DeliveryError | None:
        """Deliver one reply, retrying transient failures within the budget; the last error."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._retry_seconds
        delay = _FIRST_RETRY
        while True:
            try:
                await self._deliver(chat_id, reply)
                return None
            except DeliveryError as exc:
                error = exc
            except Exception as exc:  # an adapter bug: logged, and treated as transient
                log.exception("telegram: unexpected error sending to chat %s", chat_id)
                error = DeliveryError(repr(exc), chat_id=chat_id, permanent=False)
            if error.permanent:
                return error
            wait = error.retry_after if error.retry_after is not None else delay
            if self._stopping.is_set() or loop.time() + wait > deadline:
                return error
            with contextlib.suppress(TimeoutError):
                # A shutdown cuts the wait short: the reply goes to the outbox instead.
                await asyncio.wait_for(self._stopping.wait(), wait)
            delay = min(delay * 2, _MAX_RETRY)
