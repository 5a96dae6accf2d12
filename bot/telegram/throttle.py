"""Outbound rate limiting for one bot: every message the bot sends goes through here.

Telegram's limits (https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this):
about 30 messages/s per bot, 1 message/s per chat, 20 messages/min per group. Going over them earns
a 429 with `parameters.retry_after`. Neither library handles that for us: aiogram raises
`TelegramRetryAfter` and never retries, and python-telegram-bot's `AIORateLimiter` has no
per-private-chat limit and pauses *every* request on one 429 (see reference/platforms.md). So both
adapters wrap each send in `OutboundThrottle.call`, which waits for room in the chat's and the
bot's sliding windows, honours retry_after, and raises `DeliveryError` (after logging) instead of
dropping.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Protocol, TypeVar

from bot.telegram.types import DeliveryError

log = logging.getLogger(__name__)

T = TypeVar("T")

RetryAfterOf = Callable[[BaseException], float | None]
"""Reads a library's 429 exception: the seconds to wait, or None if it is not a 429."""


@dataclass(frozen=True, slots=True)
class RateLimits:
    """Sliding-window limits: at most `rate` messages in any `period` seconds, per bot, per
    private chat and per group; and how hard to try before giving up on one message.

    A message holds its place in a window from before its request leaves until `period` after
    the answer came back (see `SlotLimiter`), so the limits hold at the Bot API however long a
    request was on its way."""

    bot_rate: int = 30
    bot_period: float = 1.0
    private_rate: int = 1
    private_period: float = 1.0
    # 20 a minute is Telegram's figure for groups; one per 3 s keeps within it without the
    # burst of 20 that a minute-long window would allow at once.
    group_rate: int = 1
    group_period: float = 3.0
    # How long a request whose answer never came back (its process died) keeps its place in
    # Redis; longer than a send takes, short enough that a killed instance does not stall the
    # others. (In one process a place is given back whatever becomes of the request.)
    in_flight_hold: float = 15.0
    # 429s in a row before a message is given up (with DeliveryError, never silently).
    max_attempts: int = 5
    # A retry_after longer than this is not slept through here (it would hold the user's
    # conversation lock); the message fails with DeliveryError carrying retry_after instead, so
    # the outbox can reschedule it.
    max_retry_wait: float = 120.0
    # Idle per-chat windows beyond this many are forgotten, so memory does not grow per chat.
    max_tracked_chats: int = 10_000

    def of_chat(self, chat_id: str) -> tuple[int, float]:
        """(rate, period) of one chat."""
        if is_group_chat(chat_id):
            return self.group_rate, self.group_period
        return self.private_rate, self.private_period


def is_group_chat(chat_id: str) -> bool:
    """Telegram gives groups, supergroups and channels negative ids and private chats positive."""
    return chat_id.startswith("-")


class SlotLimiter(Protocol):
    """Where the limits are counted: this process (`MemoryLimiter`) or every instance of the
    bot token (`bot.telegram.redis_limiter.RedisLimiter`).

    When a message reaches Telegram is unknowable from here: somewhere between the moment the
    request was allowed and the moment its answer came back. Counting sends at the moment they
    are allowed (a token bucket) lets requests delayed on their way, or held by a process that
    was starved of CPU, bunch up at the Bot API (the fleet bench saw 33 in one second on 30/s).
    So a message holds its place from before it leaves until `period` after its answer: any
    two messages more than the window apart at the Bot API are then more than the window apart
    here too, and no window there can hold more than the limit, whatever the delays.
    """

    def slot(self, chat_id: str, cost: int) -> AbstractAsyncContextManager[None]:
        """Wait for room for `cost` messages to `chat_id` (the chat's window, then the bot's)
        and hold it while the request runs (its body)."""
        ...

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
            try:
                async with self.limiter.slot(chat_id, cost):
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


class SlidingWindow:
    """At most `rate` messages in any `period` seconds for one key (the bot, or one chat), in
    this process. A message is in flight from `take` to `give_back`, then counts for `period`
    more. Waiters are served in turn (the lock is FIFO), so a busy chat cannot starve another.
    """

    def __init__(self, rate: int, period: float, clock: Callable[[], float]) -> None:
        self.rate = rate
        self.period = period
        self._clock = clock
        self.in_flight = 0
        # When each answered message stops counting; appended in order, so sorted.
        self._expiries: deque[float] = deque()
        self._turn = asyncio.Lock()
        self._answered = asyncio.Event()

    def used(self) -> int:
        now = self._clock()
        while self._expiries and self._expiries[0] <= now:
            self._expiries.popleft()
        return self.in_flight + len(self._expiries)

    @property
    def idle(self) -> bool:
        return self.used() == 0 and not self._turn.locked()

    async def take(self, cost: int) -> None:
        async with self._turn:
            while True:
                used = self.used()
                # A request bigger than the window (an album to a group) goes alone.
                if used == 0 or used + cost <= self.rate:
                    self.in_flight += cost
                    return
                self._answered.clear()
                if self._expiries:
                    await asyncio.sleep(self._expiries[0] - self._clock())
                else:  # everything counted is still in flight: wait for an answer
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._answered.wait(), self.period)

    def give_back(self, cost: int) -> None:
        self.in_flight -= cost
        self._expiries.extend([self._clock() + self.period] * cost)
        self._answered.set()


class MemoryLimiter:
    """Sliding windows in this process: right for one instance per bot token."""

    def __init__(self, limits: RateLimits, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._clock = clock
        self._bot = SlidingWindow(limits.bot_rate, limits.bot_period, clock)
        self._chats: OrderedDict[str, SlidingWindow] = OrderedDict()
        # After a 429 for a chat, every send to that chat waits, not only the one that got it.
        self._paused_until: dict[str, float] = {}

    async def pause(self, chat_id: str, seconds: float) -> None:
        until = self._clock() + seconds
        self._paused_until[chat_id] = max(until, self._paused_until.get(chat_id, 0.0))

    @asynccontextmanager
    async def slot(self, chat_id: str, cost: int) -> AsyncIterator[None]:
        paused = self._paused_until.get(chat_id)
        if paused is not None:
            delay = paused - self._clock()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                self._paused_until.pop(chat_id, None)
        # The chat's window first, so a chat waiting for its turn does not hold a place in the
        # bot-wide window that another chat could use.
        chat = self._chat_window(chat_id)
        await chat.take(cost)
        try:
            await self._bot.take(cost)
        except BaseException:
            chat.give_back(cost)
            raise
        try:
            yield
        finally:
            chat.give_back(cost)
            self._bot.give_back(cost)

    def _chat_window(self, chat_id: str) -> SlidingWindow:
        window = self._chats.get(chat_id)
        if window is not None:
            self._chats.move_to_end(chat_id)
            return window
        window = SlidingWindow(*self.limits.of_chat(chat_id), self._clock)
        self._chats[chat_id] = window
        self._forget_idle_chats()
        return window

    def _forget_idle_chats(self) -> None:
        while len(self._chats) > self.limits.max_tracked_chats:
            oldest_id, oldest = next(iter(self._chats.items()))
            # Only a window nothing counts in can be dropped without letting that chat burst.
            if not oldest.idle:
                return
            del self._chats[oldest_id]
