"""Outbound rate limiting for one bot: every message the bot sends goes through here.

Telegram's limits (https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this):
about 30 messages/s per bot, 1 message/s per chat, 20 messages/min per group. Going over them earns
a 429 with `parameters.retry_after`. Neither library handles that for us: aiogram raises
`TelegramRetryAfter` and never retries, and python-telegram-bot's `AIORateLimiter` has no
per-private-chat limit and pauses *every* request on one 429 (see reference/platforms.md). So both
adapters wrap each send in `OutboundThrottle.call`, which waits for the chat's and the bot's leaky
buckets, honours retry_after, and raises `DeliveryError` (after logging) instead of dropping.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from aiolimiter import AsyncLimiter

from bot.telegram.types import DeliveryError

log = logging.getLogger(__name__)

T = TypeVar("T")

RetryAfterOf = Callable[[BaseException], float | None]
"""Reads a library's 429 exception: the seconds to wait, or None if it is not a 429."""


@dataclass(frozen=True, slots=True)
class RateLimits:
    """Leaky-bucket limits: `rate` messages per `period` seconds (the bucket also allows a
    burst of `rate`), and how hard to try before giving up on one message."""

    # Telegram counts over sliding windows: a full bucket of 30 followed at once by the next
    # second's 30 is 60 in one second and draws 429s. One message per 1/30 s (and one per 3 s
    # per group) keeps every window within the limit; the bench measured zero 429s this way.
    bot_rate: float = 1
    bot_period: float = 1 / 30
    private_rate: float = 1
    private_period: float = 1.0
    group_rate: float = 1
    group_period: float = 3.0
    # 429s in a row before a message is given up (with DeliveryError, never silently).
    max_attempts: int = 5
    # A retry_after longer than this is not slept through here (it would hold the user's
    # conversation lock); the message fails with DeliveryError carrying retry_after instead, so
    # the outbox can reschedule it.
    max_retry_wait: float = 120.0
    # Idle per-chat buckets beyond this many are forgotten, so memory does not grow per chat.
    max_tracked_chats: int = 10_000


def is_group_chat(chat_id: str) -> bool:
    """Telegram gives groups, supergroups and channels negative ids and private chats positive."""
    return chat_id.startswith("-")


class SlotLimiter(Protocol):
    """Where the limits are counted: this process (`MemoryLimiter`) or every instance of the
    bot token (`bot.telegram.redis_limiter.RedisLimiter`)."""

    async def acquire(self, chat_id: str, cost: int) -> None:
        """Wait until `cost` messages may go to `chat_id` within the chat's and the bot's limits."""

    async def pause(self, chat_id: str, seconds: float) -> None:
        """Telegram answered 429 for this chat: nothing more goes to it for `seconds`."""


class OutboundThrottle:
    """Per-bot, per-chat and per-group rate limits with 429 handling, shared by both adapters."""

    def __init__(
        self,
        retry_after_of: RetryAfterOf,
        limits: RateLimits | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        limiter: SlotLimiter | None = None,
    ) -> None:
        self.limits = limits or RateLimits()
        self._retry_after_of = retry_after_of
        self.limiter: SlotLimiter = limiter or MemoryLimiter(self.limits, clock=clock)

    async def call(self, chat_id: str, request: Callable[[], Awaitable[T]], *, cost: int = 1) -> T:
        """Run one Bot API request to `chat_id` within the limits; retry it after a 429.

        `cost` is how many messages the request makes (an album makes one per photo).
        Exceptions other than 429 propagate unchanged (the adapter translates them).
        """
        attempts = 0
        while True:
            await self.limiter.acquire(chat_id, cost)
            try:
                return await request()
            except Exception as exc:
                retry_after = self._retry_after_of(exc)
                if retry_after is None:
                    raise
                attempts += 1
                if attempts >= self.limits.max_attempts or retry_after > self.limits.max_retry_wait:
                    log.error(
                        "telegram: giving up sending to chat %s after %d x 429 (retry_after=%ss)",
                        chat_id,
                        attempts,
                        retry_after,
                    )
                    raise DeliveryError(
                        f"Telegram kept answering 429 for chat {chat_id}",
                        chat_id=chat_id,
                        permanent=False,
                        retry_after=retry_after,
                    ) from exc
                log.warning(
                    "telegram: 429 for chat %s, retrying in %ss (attempt %d)",
                    chat_id,
                    retry_after,
                    attempts,
                )
                await self.limiter.pause(chat_id, retry_after)


class MemoryLimiter:
    """Leaky buckets in this process (aiolimiter): right for one instance per bot token."""

    def __init__(self, limits: RateLimits, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._clock = clock
        self._bot = AsyncLimiter(limits.bot_rate, limits.bot_period)
        self._chats: OrderedDict[str, AsyncLimiter] = OrderedDict()
        # After a 429 for a chat, every send to that chat waits, not only the one that got it.
        self._paused_until: dict[str, float] = {}

    async def pause(self, chat_id: str, seconds: float) -> None:
        until = self._clock() + seconds
        self._paused_until[chat_id] = max(until, self._paused_until.get(chat_id, 0.0))

    async def acquire(self, chat_id: str, cost: int) -> None:
        paused = self._paused_until.get(chat_id)
        if paused is not None:
            delay = paused - self._clock()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                self._paused_until.pop(chat_id, None)
        # The chat's own bucket first, so a chat waiting for its turn does not hold a slot of the
        # bot-wide bucket that another chat could use.
        # One unit at a time: aiolimiter refuses to acquire more than a bucket's size at once.
        chat = self._chat_limiter(chat_id)
        for _ in range(cost):
            await chat.acquire()
        for _ in range(cost):
            await self._bot.acquire()

    def _chat_limiter(self, chat_id: str) -> AsyncLimiter:
        limiter = self._chats.get(chat_id)
        if limiter is not None:
            self._chats.move_to_end(chat_id)
            return limiter
        if is_group_chat(chat_id):
            limiter = AsyncLimiter(self.limits.group_rate, self.limits.group_period)
        else:
            limiter = AsyncLimiter(self.limits.private_rate, self.limits.private_period)
        self._chats[chat_id] = limiter
        self._forget_idle_chats()
        return limiter

    def _forget_idle_chats(self) -> None:
        while len(self._chats) > self.limits.max_tracked_chats:
            oldest_id, oldest = next(iter(self._chats.items()))
            # Only a drained bucket can be dropped without letting that chat burst again.
            if not oldest.has_capacity(oldest.max_rate):
                return
            del self._chats[oldest_id]
