"""Telegram's rate limits counted in Redis, shared by every instance that runs one bot token.

Each instance used to count in its own memory, so two instances on one token sent 60 msg/s and
two sends to one chat could leave 5 ms apart; Telegram answers that with 429s (issue 9).

The algorithm is GCRA (the generic cell rate algorithm, https://en.wikipedia.org/wiki/Generic_cell_rate_algorithm)
run in one Lua script per send, which reserves the earliest instant at which the message fits
both the chat's limit (1/s private, 1 per 3 s in a group, i.e. 20/min) and the bot's (30/s), and
returns how long to wait for it. A reservation is a slot in a shared schedule: the caller sleeps
until its instant and sends, so waiting costs one round trip, not polling. Redis's own clock
(TIME) is used, so instances need not agree on theirs. A 429 moves the chat's schedule past
retry_after for everyone.

What is limited is the moment of sending, not the booking: a process starved of CPU (or stopped)
wakes after its slot has passed, and sending then would land on slots other instances booked
meanwhile (the fleet bench saw 40 sends in one second against 30/s). So a caller that wakes
more than `_LATE` after its slot gives that slot up and books again, behind everyone who booked
in the meantime; only a send that leaves on time (within `_LATE`) uses its slot.

If Redis goes away mid-run, sends fall back to this process's own limiter (with a warning)
rather than stop: Telegram's 429s, which the throttle honours, then bound the overshoot.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.telegram.throttle import MemoryLimiter, RateLimits, is_group_chat

log = logging.getLogger(__name__)

# Reservations are exact, sends are not: a sender may leave up to `_LATE` after its slot (below),
# and a request takes a variable time from the grant to the Bot API. Spacing the bot-wide slots
# 15 % wider (26/s for Telegram's 30/s) lets requests arrive up to 0.15 s out of step and still
# make at most 30 in any one-second window across instances.
_BOT_CUSHION = 1.15
# How late after its slot a woken sender may still use it; later, it books a new slot. About one
# bot-wide slot (1/26 s): a late send can then overlap at most one other instance's slot.
_LATE = 0.035

# KEYS: chat, bot. ARGV: chat interval ms, chat burst, bot interval ms, bot burst, cost.
# A key holds its TAT (theoretical arrival time, ms): the instant its next message may go with
# no burst left. Returns the wait in ms, as a string (Redis would truncate a Lua float).
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local ci, cb, bi, bb, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]),
    tonumber(ARGV[4]), tonumber(ARGV[5])
local tc = tonumber(redis.call('GET', KEYS[1]) or '0')
local tb = tonumber(redis.call('GET', KEYS[2]) or '0')
local at = math.max(now, tc - (cb - 1) * ci, tb - (bb - 1) * bi)
local nc = math.max(tc, at) + cost * ci
local nb = math.max(tb, at) + cost * bi
redis.call('SET', KEYS[1], tostring(nc), 'PX', math.ceil(nc - now) + 1000)
redis.call('SET', KEYS[2], tostring(nb), 'PX', math.ceil(nb - now) + 1000)
return tostring(at - now)
"""

# KEYS: chat. ARGV: pause ms. Nothing goes to the chat before now + pause.
_PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local until_ms = now + tonumber(ARGV[1])
local tc = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_ms > tc then
  redis.call('SET', KEYS[1], tostring(until_ms), 'PX', math.ceil(until_ms - now) + 1000)
end
return 1
"""


class RedisLimiter:
    """A `SlotLimiter` in Redis; instances sharing a token and a Redis share the limits."""

    def __init__(self, redis: Redis, token: str, limits: RateLimits | None = None) -> None:
        self.limits = limits or RateLimits()
        self._redis = redis
        # Keys name the token by a hash: the token itself never sits in Redis.
        self._prefix = f"hotline:tg:{hashlib.sha256(token.encode()).hexdigest()[:16]}"
        self._reserve: Any = redis.register_script(_RESERVE)
        self._pause: Any = redis.register_script(_PAUSE)
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

    def _chat_limit(self, chat_id: str) -> tuple[float, float]:
        """(interval ms, burst) of one chat."""
        lim = self.limits
        if is_group_chat(chat_id):
            return lim.group_period / lim.group_rate * 1000, lim.group_rate
        return lim.private_period / lim.private_rate * 1000, lim.private_rate

    async def acquire(self, chat_id: str, cost: int) -> None:
        chat_interval, chat_burst = self._chat_limit(chat_id)
        bot_interval = self.limits.bot_period / self.limits.bot_rate * 1000 * _BOT_CUSHION
        loop = asyncio.get_running_loop()
        while True:
            # Measured from before the round trip: a reply that reaches a starved process late
            # counts as late too (Redis granted the slot at or after this instant).
            asked = loop.time()
            try:
                wait_ms = float(
                    await self._reserve(
                        keys=[f"{self._prefix}:chat:{chat_id}", f"{self._prefix}:bot"],
                        args=[chat_interval, chat_burst, bot_interval, self.limits.bot_rate, cost],
                    )
                )
            except (RedisError, OSError) as exc:
                self._degrade(exc)
                await self._fallback.acquire(chat_id, cost)
                return
            self._recover()
            # A slot due at once counts too: a process stopped while Redis answered reads a
            # grant that is already old.
            due = asked + max(wait_ms, 0.0) / 1000
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            late = loop.time() - due
            if late <= _LATE:
                return
            # The slot passed while this process could not run: others may be sending in the
            # slots after it now. The missed slot stays booked (unused), a new one is taken.
            log.debug(
                "telegram: %.0f ms late for a slot to chat %s, booking again", late * 1000, chat_id
            )

    async def pause(self, chat_id: str, seconds: float) -> None:
        try:
            await self._pause(keys=[f"{self._prefix}:chat:{chat_id}"], args=[seconds * 1000])
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
