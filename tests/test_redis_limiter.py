"""Two instances of one bot token share Telegram's limits through Redis (issue 9).

Each "instance" is its own channel with its own Bot API session and limiter; the only thing
they share is Redis. The stand-in Bot API enforces the limits (scaled down to keep the test
short) and counts the 429s it had to answer.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from bot.config import TelegramSettings
from bot.telegram import RateLimits, create_telegram_channel
from bot.telegram.redis_limiter import RedisLimiter
from bot.telegram.throttle import SlotLimiter
from handlers.conversation.messages import Outbound
from tests.fakes.core import ScriptedCore
from tests.fakes.telegram_api import FakeLimits, FakeTelegramAPI

REDIS_URL = "redis://127.0.0.1:6379/0"
# Scaled-down limits: 5 msg/s per bot, one message per 0.5 s per chat (slow enough that
# scheduling jitter on a loaded machine stays small beside them).
LIMITS = RateLimits(bot_rate=1, bot_period=0.2, private_rate=1, private_period=0.5)
# The slack forgives scheduling jitter on a loaded 2-core machine, not a shared-nothing overrun
# (two instances counting apart send to one chat ~0 s apart).
FAKE = FakeLimits(private_interval=0.5, global_rate=5, global_window=1.0, slack=0.1)
CHATS = [str(2000 + n) for n in range(4)]
PER_INSTANCE = 12


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except Exception as exc:  # pragma: no cover - depends on the machine
        pytest.skip(f"Redis unreachable at {REDIS_URL}: {exc}")
    yield client
    await client.aclose()


async def _two_instances_send(api: FakeTelegramAPI, limiters: list[SlotLimiter | None]) -> None:
    settings = TelegramSettings(token=api.token, api_base_url=api.base_url)
    channels = [
        create_telegram_channel(settings, ScriptedCore(), limits=LIMITS, limiter=limiter)
        for limiter in limiters
    ]
    # Sent directly (as the outbox does): started channels would also poll, which is not tested.
    chats = itertools.cycle(CHATS)
    jobs = [
        channel.send(next(chats), Outbound(f"{i}-{n}"))
        for i, channel in enumerate(channels)
        for n in range(PER_INSTANCE)
    ]
    try:
        await asyncio.gather(*jobs, return_exceptions=True)
    finally:
        for channel in channels:
            await channel.bot.session.close()  # type: ignore[attr-defined]


async def test_two_instances_through_redis_stay_within_the_token_limits(redis: Redis) -> None:
    """With the Redis backend, two instances together never draw a 429 and keep each chat's
    messages at least one interval apart."""
    token = f"{uuid.uuid4().int % 10**9}:SharedTokenForTwoInstances"
    async with FakeTelegramAPI(token, enforce_limits=True, limits=FAKE) as api:
        limiters: list[SlotLimiter | None] = [
            RedisLimiter(Redis.from_url(REDIS_URL), token, LIMITS) for _ in range(2)
        ]
        await _two_instances_send(api, limiters)
        sent = api.sent()
    assert api.too_many_requests == 0
    assert len(sent) == 2 * PER_INSTANCE
    for chat in CHATS:
        times = sorted(c.at for c in sent if c.chat_id == chat)
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert min(gaps) >= 0.5 - 0.1, (chat, gaps)
    times = sorted(c.at for c in sent)
    # 24 messages at 5/s: never more than 5 in any one second (less the jitter forgiven).
    assert all(sum(1 for t in times if s <= t < s + 0.9) <= 5 for s in times)


async def test_two_instances_counting_in_memory_overrun_the_limits() -> None:
    """The control: the in-process default lets two instances together draw 429s."""
    async with FakeTelegramAPI(enforce_limits=True, limits=FAKE) as api:
        await _two_instances_send(api, [None, None])
    assert api.too_many_requests > 0
