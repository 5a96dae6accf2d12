"""Complete intake conversations per second through the core, next to the raw database rate.

Issue 2's target: each resident message costs at most one transaction, so
intakes/s × messages per intake ≥ 70 % of the rate of a simple read-and-update transaction
through SQLAlchemy on the same database, measured in the same run.
"""

from __future__ import annotations

import asyncio
import time

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.common import fresh_database
from bot.app import App, build_app
from bot.config import Settings
from handlers.messages import Inbound
from nlp.router import Router
from storage.models import CaseCounter

TEXT = "建宁路上的路灯坏了一个多月了，晚上一片漆黑，老人孩子走路很危险"
# /new, type, description (names a place), skip photos, anonymous, submit.
SCRIPT: tuple[tuple[str, str], ...] = (
    ("text", "/new"),
    ("choice", "t:complaint"),
    ("text", TEXT),
    ("choice", "skip"),
    ("choice", "anon"),
    ("choice", "submit"),
)


async def _one_intake(app: App, user: str, serial: list[int]) -> None:
    for kind, value in SCRIPT:
        serial[0] += 1
        inbound = Inbound(
            channel="bench",
            user_id=user,
            chat_id=user,
            message_id=f"{user}-{serial[0]}",
            **{kind: value},  # type: ignore[arg-type]
        )
        replies = await app.conversation.handle(inbound)
        assert replies, (kind, value)
    assert "工单号" in replies[-1].text, replies[-1].text


async def _raw_rate(
    sessionmaker: async_sessionmaker[AsyncSession], seconds: float, workers: int
) -> float:
    """Read-and-update transactions per second through the ORM (the database's own pace)."""
    async with sessionmaker() as session, session.begin():
        for i in range(workers):
            session.add(CaseCounter(key=f"raw{workers}-{i}", value=0))
    done = 0
    deadline = time.perf_counter() + seconds

    async def worker(i: int) -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            async with sessionmaker() as session, session.begin():
                row = await session.get(CaseCounter, f"raw{workers}-{i}")
                assert row is not None
                row.value += 1
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(workers)))
    return done / (time.perf_counter() - started)


async def _intake_rate(app: App, count: int, workers: int) -> float:
    serial = [0]
    queue = list(range(count))
    prefix = f"w{workers}-"

    async def worker() -> None:
        while queue:
            n = queue.pop()
            await _one_intake(app, f"{prefix}{n}", serial)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    return count / (time.perf_counter() - started)


async def _bench(kind: str, router: Router, quick: bool) -> None:
    async with fresh_database(kind) as url:
        settings = Settings.model_validate({"database": {"url": url, "pool_size": 8}})
        app = await build_app(settings, router=router)
        try:
            n = 50 if quick else 300
            await _intake_rate(app, 10, 1)  # warm-up: connections, caches
            per = len(SCRIPT)
            for workers in (1, 8):
                raw = await _raw_rate(app.sessionmaker, 1.5 if quick else 4.0, workers)
                rate = await _intake_rate(app, n, workers)
                share = rate * per / raw
                print(
                    f"   {kind:<8} residents={workers}: {rate:7.1f} intakes/s × {per} msgs"
                    f" = {rate * per:7.0f} msgs/s; raw read-and-update {raw:7.0f} tx/s;"
                    f" {share:.0%} of raw",
                    flush=True,
                )
        finally:
            await app.close()


def run(quick: bool) -> None:
    router = Router.load(None)

    async def main() -> None:
        for kind in ("sqlite", "postgres"):
            await _bench(kind, router, quick)

    asyncio.run(main())
