"""One of two instances of one bot token sending through the Redis limiter (issue 9).

    python -m tests.limiter_worker REDIS_URL API_BASE TOKEN TAG COUNT CHAT...

Builds a Telegram channel on the stand-in Bot API with the Redis limiter and Telegram's own
limits, prints "ready" and waits for a line on stdin (importing aiogram takes many seconds on a
loaded machine, so the test starts both instances together this way), then sends COUNT messages
round-robin to the chats at once (as a busy instance does) and prints how many went out and in
how many seconds. The test stops and continues this process from outside (SIGSTOP/SIGCONT) to
starve it while it waits for its slots.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import sys
import time

from redis.asyncio import Redis

from bot.config import TelegramSettings
from bot.telegram import create_telegram_channel
from bot.telegram.redis_limiter import RedisLimiter
from handlers.conversation.messages import Outbound
from tests.fakes.core import ScriptedCore


async def main(
    redis_url: str, base: str, token: str, tag: str, count: int, chats: list[str]
) -> None:
    limiter = RedisLimiter(Redis.from_url(redis_url), token)
    await limiter.check()
    settings = TelegramSettings(token=token, api_base_url=base)
    channel = create_telegram_channel(settings, ScriptedCore(), limiter=limiter)
    try:
        print("ready", flush=True)
        sys.stdin.readline()  # nothing else runs in this loop yet: blocking is harmless
        targets = itertools.cycle(chats)
        sends = [channel.send(next(targets), Outbound(f"{tag}-{n}")) for n in range(count)]
        started = time.monotonic()
        results = await asyncio.gather(*sends, return_exceptions=True)
        sent = sum(1 for r in results if not isinstance(r, BaseException))
        print(sent, f"{time.monotonic() - started:.2f}", flush=True)
    finally:
        await channel.bot.session.close()  # type: ignore[attr-defined]
        await limiter.close()


if __name__ == "__main__":
    args = sys.argv[1:]
    asyncio.run(main(args[0], args[1], args[2], args[3], int(args[4]), args[5:]))
    # Everything is closed and printed; the interpreter's teardown only delays the test.
    os._exit(0)
