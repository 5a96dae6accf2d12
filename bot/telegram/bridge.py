"""Between an adapter and the core: one conversation turn at a time per person, errors contained."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

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


class CoreBridge:
    """Runs the core for one inbound message and delivers its replies to the same chat.

    Both libraries handle updates concurrently (aiogram `handle_as_tasks`, ptb
    `concurrent_updates`), so two quick messages from one person would race on their draft;
    a per-person lock makes them take turns. asyncio.Lock wakes waiters in FIFO order and the
    handlers reach the lock without suspending first, so turns keep the order of update_ids.
    """

    def __init__(self, core: ConversationCore, deliver: Deliver) -> None:
        self._core = core
        self._deliver = deliver
        self._turns = KeyedLocks()
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def drain(self, within: float) -> bool:
        """Wait until no turn is running (False if `within` seconds passed first).

        aiogram's stop_polling does not wait for the handler tasks it started, so without this
        a reply still queued in the throttle would be lost on shutdown.
        """
        try:
            await asyncio.wait_for(self._idle.wait(), within)
        except TimeoutError:
            log.error(
                "telegram: %d conversation turn(s) still running at shutdown", self._in_flight
            )
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
            try:
                replies = await self._core.handle(inbound)
            except Exception:
                log.exception(
                    "core failed: channel=telegram user=%s chat=%s update=%s",
                    inbound.user_id,
                    chat_id,
                    inbound.message_id,
                )
                replies = [Outbound(APOLOGY)]
            for reply in replies:
                if reply.notice and notice is not None:
                    await notice(reply.text)
                    continue
                try:
                    await self._deliver(chat_id, reply)
                except DeliveryError as exc:
                    # Already logged where it happened; the rest is not sent either, so the
                    # person never sees a later reply without the one before it.
                    log.error(
                        "reply not delivered: user=%s chat=%s update=%s permanent=%s: %s",
                        inbound.user_id,
                        chat_id,
                        inbound.message_id,
                        exc.permanent,
                        exc,
                    )
                    return
                except Exception:
                    log.exception(
                        "reply not delivered: user=%s chat=%s update=%s",
                        inbound.user_id,
                        chat_id,
                        inbound.message_id,
                    )
                    return
