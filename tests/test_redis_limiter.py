"""Two instances of one bot token share Telegram's limits through Redis (issue 9).

Each "instance" is its own channel with its own Bot API session and limiter; the only thing
they share is Redis. The stand-in Bot API enforces the limits (scaled down to keep the test
short) and counts the 429s it had to answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import signal
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

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
ROOT = Path(__file__).resolve().parents[1]
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


async def _starve(process: asyncio.subprocess.Process, stopped: float, until: float) -> int:
    """SIGSTOP the process for `stopped` s, then let it run 0.5 s, until `until`: it wakes long
    after the slots it booked."""
    stops = 0
    while time.monotonic() < until and process.returncode is None:
        await asyncio.sleep(0.5)
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGSTOP)
            stops += 1
            await asyncio.sleep(stopped)
            os.kill(process.pid, signal.SIGCONT)
    return stops


async def _worker(api: FakeTelegramAPI, tag: str, count: int) -> asyncio.subprocess.Process:
    worker = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.limiter_worker",
        REDIS_URL,
        api.base_url,
        api.token,
        tag,
        str(count),
        *STARVED_CHATS,
        cwd=ROOT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert worker.stdout is not None
    assert (await asyncio.wait_for(worker.stdout.readline(), 300)).strip() == b"ready"
    return worker


def _peak(times: list[float], window: float) -> int:
    """The most sends in any `window` seconds (sliding: every send starts a window)."""
    return max(sum(1 for t in times[i:] if t - start < window) for i, start in enumerate(times))


STARVED_CHATS = [str(3000 + n) for n in range(60)]


async def test_two_processes_stay_within_the_token_limit_when_one_is_starved(
    redis: Redis,
) -> None:
    """Two real OS processes on one token at Telegram's own limits (30/s, 1/s per chat), one of
    them stopped for 0.8 s again and again while its sends wait for their slots (it would send
    every slot that passed meanwhile at once, on top of the other's: 71 requests in one second
    measured so). Every message goes out, and the requests in any window at the Bot API
    (refused ones included; windows of 0.9 s, forgiving 0.1 s of timing jitter as the test
    above does) stay near the limit instead of bunching."""
    count = 90
    token = f"{uuid.uuid4().int % 10**9}:SharedTokenStarvedInstance"
    async with FakeTelegramAPI(token, enforce_limits=True) as api:
        workers = [await _worker(api, tag, count) for tag in ("a", "b")]
        try:
            for worker in workers:
                assert worker.stdin is not None
                worker.stdin.write(b"go\n")
                await worker.stdin.drain()
            stops = await _starve(workers[0], 0.8, time.monotonic() + 6)
            outputs = [await asyncio.wait_for(w.communicate(), 120) for w in workers]
        finally:
            for worker in workers:
                if worker.returncode is None:
                    worker.kill()
                    await worker.wait()
        # Every request counts, a refused one too: Telegram counts what reaches it.
        sends = sorted(c.at for c in api.calls_to("sendMessage"))
        delivered = len(api.sent())
    assert stops >= 3
    assert [int(out.split()[0]) for out, _ in outputs] == [count, count]
    assert delivered == 2 * count
    # Not yet the token's 30: on this 2-core machine at a load average of 9 the fixed limiter
    # measured 26-37 (the stand-in, in this loaded process, also records arrivals in bursts);
    # booking without the late check measured 68-71. The bound catches that regression.
    assert _peak(sends, 0.9) <= 45, (_peak(sends, 0.9), _peak(sends, 1.0))
