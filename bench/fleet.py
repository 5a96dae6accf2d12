"""Residents through real `hotline run` processes and the stand-in Bot API (issue 9).

200 residents file a complaint each (text, then the buttons offered, ~6 updates per person) on
one instance, then on two instances of the same bot token sharing PostgreSQL and, for the rate
limits, Redis. The stand-in enforces Telegram's limits (30 msg/s per bot, 1/s per chat) and
counts its 429s. Reported: updates handled per second, the p50/p99 of an update's answer time
(from the update to the first answer the resident sees), and the send rate against the
token's limit: two instances must not send faster than one token may.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from bench.common import fresh_database
from tests.fakes.fleet import Caller, HotlineProcess, cases_per_resident, config_text
from tests.fakes.telegram_api import FakeTelegramAPI


async def _run(instances: int, residents: int) -> None:
    async with fresh_database("postgres", "hotline_bench_fleet") as url:
        async with FakeTelegramAPI(enforce_limits=True) as api:
            folder = Path(tempfile.mkdtemp())
            bots = []
            for n in range(instances):
                config = folder / f"{n}.toml"
                backend = "redis" if instances > 1 else "memory"
                config.write_text(
                    config_text(api=api, db_url=url, backend=backend, lease=30),
                    encoding="utf-8",
                )
                bots.append(HotlineProcess(config=config, log=folder / f"{n}.log"))
            # One at a time: both would migrate the fresh database at once.
            for bot in bots:
                await bot.start()
                polls = len(api.calls_to("getUpdates"))
                await api.wait_for("getUpdates", count=polls + 1, within=180, ok=None)
            callers = [Caller(api, 100_000 + n) for n in range(residents)]
            started = time.monotonic()
            await asyncio.gather(*(c.file(within=900) for c in callers))
            elapsed = time.monotonic() - started
            for bot in bots:
                await bot.terminate()
            per_user = await cases_per_resident(url)
        updates = sum(len(c.steps) for c in callers)
        steps = sorted(s for c in callers for s in c.steps)
        p50 = statistics.median(steps)
        p99 = steps[min(len(steps) - 1, int(len(steps) * 0.99))]
        sent = sorted(c.at for c in api.sent())
        peak = max(
            (sum(1 for t in sent[i : i + 40] if t - s < 1.0) for i, s in enumerate(sent)),
            default=0,
        )
        # Every request Telegram sees counts against the limit, refused ones too.
        tried = sorted(c.at for c in api.calls if c.method.lower() in ("sendmessage", "sendphoto"))
        tried_peak = max(
            (sum(1 for t in tried[i : i + 80] if t - s < 1.0) for i, s in enumerate(tried)),
            default=0,
        )
        span = (sent[-1] - sent[0]) if len(sent) > 1 else 1.0
        print(
            f"  {instances} instance(s), {residents} residents: {updates} updates"
            f" in {elapsed:.1f} s = {updates / elapsed:.1f} updates/s;"
            f" answer p50 {p50:.2f} s, p99 {p99:.2f} s"
        )
        print(
            f"    sends: {len(sent)} messages, mean {len(sent) / span:.1f}/s, peak {peak} in any"
            f" 1 s, {tried_peak} requests (refused ones too) in any 1 s (token limit 30/s);"
            f" 429s answered: {api.too_many_requests};"
            f" cases {sum(per_user.values())} for {len(per_user)} residents"
        )


def run(quick: bool) -> None:
    residents = 30 if quick else 200
    print(f"fleet: {residents} residents through hotline run and the stand-in Bot API")
    for instances in (1, 2):
        asyncio.run(_run(instances, residents))
