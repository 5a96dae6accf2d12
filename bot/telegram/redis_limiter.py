"""Telegram's rate limits counted in Redis, shared by every instance that runs one bot token.

Each instance used to count in its own memory, so two instances on one token sent 60 msg/s and
two sends to one chat could leave 5 ms apart; Telegram answers that with 429s (issue 9).

The windows are those of `bot.telegram.throttle.SlotLimiter`: a message holds its place from
before its request leaves until a window after the answer. In Redis each window (the bot's, and
each chat's) is a sorted set of places scored by the instant they stop counting. Taking a place
(`_TAKE`, one Lua script: drop what has expired, count, add) scores it `in_flight_hold` ahead,
in case this process dies with the request out; giving it back (`_GIVE_BACK`) re-scores it
`period` after the answer. Redis's own clock (TIME) is used, so instances need not agree on
theirs. A full window answers how long until its first place frees; the caller sleeps that long
(at most `_POLL`, as places still in flight have no known end) and asks again. One task per
process asks for the bot's window at a time (the others queue behind it here), so waiting costs
a few round trips a second, not one per waiting message.

A 429 puts a pause key on the chat that every instance honours. If Redis goes away mid-run,
sends fall back to this process's own windows (with a warning) rather than stop: Telegram's
429s, which the throttle honours, then bound the overshoot.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, NamedTuple

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.telegram.throttle import MemoryLimiter, RateLimits

log = logging.getLogger(__name__)

# Longest sleep before asking a full window again: its first place may be one still in flight,
# whose end (its answer) is not known in advance.
_POLL = 0.1

# KEYS: window, pause. ARGV: rate, cost, hold ms, ticket.
# Returns "0" when `cost` places were taken (members "<ticket>:<n>"), else the ms to wait, as a
# string (Redis would truncate a Lua float).
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local rate, cost, hold = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local paused = redis.call('PTTL', KEYS[2])
if paused > 0 then
  return tostring(paused)
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local used = redis.call('ZCARD', KEYS[1])
if used == 0 or used + cost <= rate then
  for n = 1, cost do
    redis.call('ZADD', KEYS[1], now + hold, ARGV[4] .. ':' .. n)
  end
  if redis.call('PTTL', KEYS[1]) < hold + 1000 then
    redis.call('PEXPIRE', KEYS[1], math.ceil(hold) + 1000)
  end
  return '0'
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return tostring(math.max(1, tonumber(first[2]) - now))
"""

# KEYS: windows. ARGV: ticket, cost, then each window's period ms.
# The answer came back: the places count until `period` from now (Redis's now, which is no
# earlier than the answer), then free themselves.
_GIVE_BACK = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
for k = 1, #KEYS do
  local period = tonumber(ARGV[2 + k])
  for n = 1, tonumber(ARGV[2]) do
    redis.call('ZADD', KEYS[k], now + period, ARGV[1] .. ':' .. n)
  end
  if redis.call('PTTL', KEYS[k]) < period + 1000 then
    redis.call('PEXPIRE', KEYS[k], math.ceil(period) + 1000)
  end
end
return 1
"""

# KEYS: pause. ARGV: pause ms. Nothing goes to the chat before now + pause (a longer pause
# already there stays).
_PAUSE = """
local ms = tonumber(ARGV[1])
if redis.call('PTTL', KEYS[1]) < ms then
  redis.call('SET', KEYS[1], '1', 'PX', math.ceil(ms))
end
return 1
"""


class _Window(NamedTuple):
    key: str
    rate: int
    period: float


class RedisLimiter:
    """A `SlotLimiter` in Redis; instances sharing a token and a Redis share the limits."""

    def __init__(self, redis: Redis, token: str, limits: RateLimits | None = None) -> None:
        self.limits = limits or RateLimits()
        self._redis = redis
        # Keys name the token by a hash: the token itself never sits in Redis.
        self._prefix = f"hotline:tg:{hashlib.sha256(token.encode()).hexdigest()[:16]}"
        self._take_script: Any = redis.register_script(_TAKE)
        self._give_back_script: Any = redis.register_script(_GIVE_BACK)
        self._pause_script: Any = redis.register_script(_PAUSE)
        self._bot_turn = asyncio.Lock()
        self._fallback = MemoryLimiter(self.limits)
        self._degraded = False

    @classmethod
    def from_url(cls, url: str, token: str, limits: RateLimits | None = None) -> RedisLimiter:
        return cls(Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2), token, limits)

    async def check(self) -> None:
        """Fail at start-up, with the connection error, if Redis cannot be reached."""
        await self._redis.ping()

    async def close(self) -> None:
        await self._redis.aclose()

    @asynccontextmanager
    async def slot(self, chat_id: str, cost: int) -> AsyncIterator[None]:
        ticket = uuid.uuid4().hex
        chat = _Window(f"{self._prefix}:chat:{chat_id}", *self.limits.of_chat(chat_id))
        bot = _Window(f"{self._prefix}:bot", self.limits.bot_rate, self.limits.bot_period)
        try:
            await self._take(chat, f"{self._prefix}:pause:{chat_id}", cost, ticket)
            try:
                async with self._bot_turn:
                    # Nothing pauses the whole bot (a 429 names its chat): a key never set.
                    await self._take(bot, f"{self._prefix}:pause-bot", cost, ticket)
            except BaseException:
                await self._give_back(ticket, cost, [chat])
                raise
        except (RedisError, OSError) as exc:
            # Places taken before the failure free themselves after `in_flight_hold`.
            self._degrade(exc)
            fallback = True
        else:
            self._recover()
            fallback = False
        if fallback:
            async with self._fallback.slot(chat_id, cost):
                yield
            return
        try:
            yield
        finally:
            await self._give_back(ticket, cost, [chat, bot])

    async def _take(self, window: _Window, pause_key: str, cost: int, ticket: str) -> None:
        hold_ms = self.limits.in_flight_hold * 1000
        while True:
            wait_ms = float(
                await self._take_script(
                    keys=[window.key, pause_key], args=[window.rate, cost, hold_ms, ticket]
                )
            )
            if wait_ms <= 0:
                return
            await asyncio.sleep(min(wait_ms / 1000, _POLL))

    async def _give_back(self, ticket: str, cost: int, windows: list[_Window]) -> None:
        try:
            await self._give_back_script(
                keys=[w.key for w in windows],
                args=[ticket, cost, *(w.period * 1000 for w in windows)],
            )
        except (RedisError, OSError) as exc:
            # The places still free themselves, `in_flight_hold` after they were taken.
            self._degrade(exc)

    async def pause(self, chat_id: str, seconds: float) -> None:
        try:
            await self._pause_script(
                keys=[f"{self._prefix}:pause:{chat_id}"], args=[seconds * 1000]
            )
        except (RedisError, OSError) as exc:
            self._degrade(exc)
            await self._fallback.pause(chat_id, seconds)

    def _degrade(self, exc: BaseException) -> None:
        if not self._degraded:
            log.warning("telegram: Redis rate limiter unavailable, limiting per process: %r", exc)
            self._degraded = True

    def _recover(self) -> None:
        if self._degraded:
            log.warning("telegram: Redis rate limiter back")
            self._degraded = False
