"""Complete intake conversations per second through the core, next to the raw database rate.

Issue 2's target: each resident message costs at most one transaction, so
intakes/s × messages per intake ≥ 70 % of the rate of a simple read-and-update transaction
through SQLAlchemy on the same database, measured in the same run.

The machine has two cores and may be busy with other work, so raw and intake runs alternate in
short rounds and each figure is the median over the rounds (the share is the median of each
round's intake rate over the raw rate measured just before it). Statements are counted with an
engine listener: per resident message, and per raw transaction.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bench.common import fresh_database
from bot.app import build_app
from bot.config import Settings
from handlers.conversation.core import Conversation
from handlers.conversation.messages import Inbound
from nlp.router import Router
from storage.models import CaseCounter
from storage.replies import ReplyJournal

TEXT = "建宁路上的路灯坏了一个多月了，晚上一片漆黑，老人孩子走路很危险"
# /new, type, description (names a place), skip photos, anonymous, submit.
# Every message and resident is new: a repeated id would be dropped as a redelivery.
_message_ids = itertools.count()
_residents = itertools.count()
SCRIPT: tuple[tuple[str, str], ...] = (
    ("text", "/new"),
    ("choice", "t:complaint"),
    ("text", TEXT),
    ("choice", "i:skip"),
    ("choice", "i:anon"),
    ("choice", "i:submit"),
)


async def _one_intake(conversation: Conversation, user: str) -> None:
    for kind, value in SCRIPT:
        inbound = Inbound(
            channel="bench",
            user_id=user,
            chat_id=user,
            message_id=f"m{next(_message_ids)}",
            **{kind: value},  # type: ignore[arg-type]
        )
        replies = await conversation.handle(inbound)
        assert replies, (kind, value)
    # Identical reports are merged as duplicates (issue 13): their receipt says 诉求编号.
    assert "工单号" in replies[-1].text or "诉求编号" in replies[-1].text, replies[-1].text


async def _raw_rate(
    sessionmaker: async_sessionmaker[AsyncSession], seconds: float, workers: int
) -> tuple[float, int]:
    """Read-and-update transactions per second through the ORM (the database's own pace),
    and how many were done."""
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
    return done / (time.perf_counter() - started), done


async def _raw_rows(sessionmaker: async_sessionmaker[AsyncSession], workers: int) -> None:
    async with sessionmaker() as session, session.begin():
        for i in range(workers):
            session.add(CaseCounter(key=f"raw{workers}-{i}", value=0))


async def _intake_rate(conversation: Conversation, count: int, workers: int) -> float:
    queue = [f"r{next(_residents)}" for _ in range(count)]

    async def worker() -> None:
        while queue:
            await _one_intake(conversation, queue.pop())

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    return count / (time.perf_counter() - started)


@contextmanager
def _counting(engine: AsyncEngine) -> Iterator[list[int]]:
    """Counts the statements sent to the database while the block runs."""
    count = [0]

    def count_one(*_args: Any) -> None:
        count[0] += 1

    event.listen(engine.sync_engine, "before_cursor_execute", count_one)
    try:
        yield count
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count_one)


async def _bench(kind: str, router: Router, quick: bool) -> None:
    async with fresh_database(kind) as url:
        settings = Settings.model_validate({"database": {"url": url, "pool_size": 8}})
        app = await build_app(settings, router=router)
        try:
            rounds, n, seconds = (3, 20, 0.5) if quick else (7, 60, 1.5)
            # issue 9: with the journal on, every turn also writes its replies to the outbox
            # (one multi-row INSERT), as Telegram's turns do; off is the console's path.
            journals = {
                "off": app.conversation,
                "on": Conversation(
                    dataclasses.replace(
                        app.deps, reply_journal=ReplyJournal(channels=frozenset({"bench"}))
                    )
                ),
            }
            await _intake_rate(app.conversation, 10, 1)  # warm-up: connections, caches
            per = len(SCRIPT)
            for workers, (journal, conversation) in itertools.product((1, 8), journals.items()):
                if journal == "off":  # the raw counters, once per number of workers
                    await _raw_rows(app.sessionmaker, workers)
                raws: list[float] = []
                rates: list[float] = []
                shares: list[float] = []
                statements = raw_statements = messages = raw_done = 0
                cpu = 0.0
                for _ in range(rounds):
                    with _counting(app.engine) as counted:
                        raw, done = await _raw_rate(app.sessionmaker, seconds, workers)
                    raw_statements += counted[0]
                    raw_done += done
                    cpu_before = time.process_time()
                    with _counting(app.engine) as counted:
                        rate = await _intake_rate(conversation, n, workers)
                    cpu += time.process_time() - cpu_before
                    statements += counted[0]
                    messages += n * per
                    raws.append(raw)
                    rates.append(rate)
                    shares.append(rate * per / raw)
                rate, raw = statistics.median(rates), statistics.median(raws)
                print(
                    f"   {kind:<8} residents={workers} journal={journal:<3}: {rate:7.1f} intakes/s"
                    f" × {per} msgs = {rate * per:5.0f} msgs/s,"
                    f" {cpu / messages * 1000:.2f} ms CPU/msg,"
                    f" {statements / messages:.2f} statements/msg;"
                    f" raw read-and-update {raw:5.0f} tx/s, {raw_statements / raw_done:.2f}"
                    f" statements/tx; {statistics.median(shares):.0%} of raw"
                    f" (rounds {min(shares):.0%}–{max(shares):.0%})",
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
