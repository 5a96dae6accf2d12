"""One follow-up sweep over 1,000,000 cases in PostgreSQL: how long finding the due work takes.

Issue 4's target: under 100 ms, index-driven (the cost grows with the due work, not with the
number of cases). The cases are bulk-loaded with COPY: 90 % archived (no timer), the rest open
with their next timer spread over two weeks, and a block of cases due one minute ago.
"""

from __future__ import annotations

import asyncio
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text

from bench.common import add_bench_resident, copy_rows, fresh_database
from bot.app import App, build_app
from bot.config import Settings
from handlers.followup.sweep import Sweep
from handlers.policy.casetypes import RequestType, Urgency
from handlers.policy.clock import FixedClock
from handlers.policy.sla import compute_deadlines
from storage.models import Case

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # Wed 10:00 in Lanzhou
UNITS = (
    "培黎街道",
    "西路街道",
    "沙井驿街道",
    "十里店街道",
    "孔家崖街道",
    "银滩路街道",
    "刘家堡街道",
    "安宁堡街道",
)
COLUMNS = (
    "id", "number", "resident_id", "channel", "request_type", "urgency", "state", "unit_name",
    "description", "photos", "anonymous", "share_identity", "routing", "version",
    "reopen_count", "created_at", "updated_at", "dispatched_at", "sign_deadline",
    "handle_deadline", "next_due_at", "clocks_version",
)  # fmt: skip


def _rows(total: int, due: int, app: App) -> list[tuple[Any, ...]]:
    rng = random.Random(4)
    deadlines = compute_deadlines(
        app.deps.calendar,
        app.deps.sla,
        request_type=RequestType.COMPLAINT,
        urgency=Urgency.NORMAL,
        dispatched_at=NOW - timedelta(days=1),
    )
    rows: list[tuple[Any, ...]] = []
    for n in range(1, total + 1):
        created = NOW - timedelta(minutes=rng.randrange(0, 60 * 24 * 365))
        if n <= due:  # due a minute ago: dispatched yesterday, timers never fired
            state, next_due = "dispatched", NOW - timedelta(seconds=60)
            dispatched, sign_by, handle_by = (
                NOW - timedelta(days=1),
                deadlines.sign_by,
                deadlines.handle_by,
            )
        elif n % 10 == 0:  # open, next timer within two weeks
            state = "accepted"
            next_due = NOW + timedelta(seconds=rng.randrange(120, 14 * 86400))
            dispatched, sign_by, handle_by = created, created, next_due + timedelta(days=1)
        else:
            state, next_due, dispatched, sign_by, handle_by = "closed", None, created, None, None
        rows.append(
            (
                n,
                f"AN{n:012d}",
                1,
                "telegram",
                "complaint",
                "normal",
                state,
                UNITS[n % len(UNITS)],
                "路灯不亮",
                "[]",
                True,
                False,
                "{}",
                3,
                0,
                created,
                created,
                dispatched,
                sign_by,
                handle_by,
                next_due,
                3,
            )
        )
    return rows


async def _load(app: App, total: int, due: int) -> float:
    started = time.perf_counter()
    rows = _rows(total, due, app)
    async with app.engine.connect() as conn:
        await add_bench_resident(conn)
        for i, unit in enumerate(UNITS):
            for role, chat in (("staff", 100 + i), ("head", 200 + i)):
                await conn.execute(
                    text(
                        "INSERT INTO staff (unit_name, role, channel, external_id, active, "
                        "created_at) VALUES (:u, :r, 'telegram', :c, true, now())"
                    ),
                    {"u": unit, "r": role, "c": str(chat)},
                )
        await conn.execute(
            text(
                "INSERT INTO staff (unit_name, role, channel, external_id, active, created_at) "
                "VALUES ('培黎街道', 'supervisor', 'telegram', '900', true, now())"
            )
        )
        await conn.commit()
        chunks = [("cases", rows[i : i + 200_000], COLUMNS) for i in range(0, len(rows), 200_000)]
        driver = await copy_rows(conn, chunks)
        await driver.execute("ANALYZE cases")
        await conn.commit()
    return time.perf_counter() - started


async def _explain(app: App) -> list[str]:
    plans = []
    async with app.engine.connect() as conn:
        for where in (
            "next_due_at IS NOT NULL AND next_due_at <= :now ORDER BY next_due_at, id",
            "clocks_version IS DISTINCT FROM version ORDER BY id",
        ):
            result = await conn.execute(
                text(f"EXPLAIN ANALYZE SELECT * FROM cases WHERE {where} LIMIT 200"),
                {"now": NOW},
            )
            lines = [row[0] for row in result]
            plans.append(next((ln.strip() for ln in lines if "Index" in ln), lines[0].strip()))
    return plans


async def _main(quick: bool) -> None:
    total, due = (100_000, 1_000) if quick else (1_000_000, 1_000)
    async with fresh_database("postgres") as url:
        settings = Settings.model_validate({"database": {"url": url}})
        app = await build_app(settings, clock=FixedClock(NOW))
        try:
            seconds = await _load(app, total, due)
            print(f"   loaded {total:,} cases with COPY in {seconds:.1f} s")
            for plan in await _explain(app):
                print(f"   plan: {plan}")
            sweep = Sweep(app.deps)
            first = await sweep.run(NOW)
            print(
                f"   sweep with {due:,} due cases: finding {first.find_ms:.1f} ms, "
                f"whole pass {first.total_ms:.0f} ms, {len(first.fired):,} timers fired"
            )
            again = await sweep.run(NOW)
            print(
                f"   sweep with nothing due: finding {again.find_ms:.1f} ms, "
                f"whole pass {again.total_ms:.1f} ms (target: finding < 100 ms)"
            )
        finally:
            await app.close()


def run(quick: bool) -> None:
    asyncio.run(_main(quick))


assert Case.__tablename__ == "cases"
