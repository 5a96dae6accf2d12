"""Duplicate detection on filing with 100,000 open cases (PostgreSQL): the time it adds.

Issue 13's target: a few milliseconds, through an index (the cost grows with the cases of one
sub-category × place cell, not with the open cases). The cases are bulk-loaded with COPY, with
their duplicate-index rows: texts from the labelled routing sets (their real sub-categories),
spread over the 8 subdistricts and their gazetteer places. Each measured filing is a real
`find_duplicates` call (index lookup, comparisons, index rows written) in a rolled-back
transaction.
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
import random
import statistics
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench.common import add_bench_resident, copy_rows, fresh_database, percentile
from bot.app import App, build_app
from bot.config import Settings
from handlers.cases.commands.context import CommandContext
from handlers.cases.commands.duplicates import find_duplicates, pack_fingerprint, prepare
from handlers.policy.clock import FixedClock
from nlp.duplicates import DuplicateDetector, Fingerprint
from storage.duplicates import Lookup, candidate_statement
from storage.models import Case

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
CASE_COLUMNS = (
    "id", "number", "resident_id", "channel", "request_type", "urgency", "state", "unit_name",
    "subcategory", "description", "photos", "anonymous", "share_identity", "routing", "version",
    "reopen_count", "created_at", "updated_at", "dupe_fingerprint",
)  # fmt: skip
KEY_COLUMNS = ("case_id", "place_key", "subcategory", "created_at")


def _texts() -> list[str]:
    found: list[str] = []
    for name in ("labelled.csv", "public_style.csv"):
        with (DATA / name).open(encoding="utf-8", newline="") as fh:
            found += [row["text"] for row in csv.DictReader(fh) if row.get("text")]
    return found


def _samples(app: App, detector: DuplicateDetector) -> list[tuple[str, str, Fingerprint]]:
    """(text, sub-category, fingerprint without place) of every routable labelled text."""
    samples = []
    for line in _texts():
        decision = app.router.route(line)
        if decision.subcategory:
            samples.append((line, decision.subcategory, detector.fingerprint(line)))
    return samples


def _places(app: App) -> dict[str, list[str]]:
    by_subdistrict: dict[str, list[str]] = {}
    for place in app.router.directory.places:
        if place.subdistrict is not None:
            by_subdistrict.setdefault(place.subdistrict, []).append(f"{place.kind}:{place.name}")
    return by_subdistrict


def _rows(
    total: int, samples: list[tuple[str, str, Fingerprint]], places: dict[str, list[str]]
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    rng = random.Random(13)
    subdistricts = sorted(places)
    cases: list[tuple[Any, ...]] = []
    keys: list[tuple[Any, ...]] = []
    for n in range(1, total + 1):
        line, sub, fingerprint = samples[rng.randrange(len(samples))]
        subdistrict = rng.choice(subdistricts)
        place = rng.choice(places[subdistrict]) if rng.random() < 0.6 else None
        created = NOW - timedelta(minutes=rng.randrange(60, 60 * 24 * 120))
        at_place = replace(
            fingerprint, places=frozenset([place] if place else []), subdistrict=subdistrict
        )
        packed = json.dumps(pack_fingerprint(at_place), ensure_ascii=False)
        cases.append(
            (n, f"AN{n:012d}", 1, "telegram", "complaint", "normal", "dispatched", subdistrict,
             sub, line, "[]", True, False, "{}", 2, 0, created, created, packed)
        )  # fmt: skip
        keys.append((n, f"sd:{subdistrict}", sub, created))
        if place:
            keys.append((n, place, sub, created))
    return cases, keys


async def _load(app: App, total: int, samples: Any, places: Any) -> float:
    started = time.perf_counter()
    cases, keys = _rows(total, samples, places)
    async with app.engine.connect() as conn:
        await add_bench_resident(conn)
        await conn.commit()
        driver = await copy_rows(
            conn, [("cases", cases, CASE_COLUMNS), ("duplicate_keys", keys, KEY_COLUMNS)]
        )
        await driver.execute("SELECT setval('cases_id_seq', (SELECT max(id) FROM cases))")
        await driver.execute("ANALYZE cases")
        await driver.execute("ANALYZE duplicate_keys")
        await conn.commit()
    return time.perf_counter() - started


async def _explain(app: App, sub: str) -> list[str]:
    """EXPLAIN ANALYZE of the very statement filing runs."""
    params = Lookup(
        subcategory=sub,
        keys=["road:建宁路"],
        area_keys=["sd:培黎街道"],
        area_since=NOW - timedelta(days=14),
        open_states=["submitted", "pending_dispatch", "dispatched", "accepted", "reopened"],
        recent_states=["resolved", "closed"],
        closed_since=NOW - timedelta(days=7),
        exclude_case_id=0,
    ).params()
    compiled = (
        candidate_statement()
        .params(params)
        .compile(
            dialect=app.engine.dialect,
            compile_kwargs={"literal_binds": True, "render_postcompile": True},
        )
    )
    async with app.engine.connect() as conn:
        result = await conn.execute(text(f"EXPLAIN ANALYZE {compiled}"))
        return [row[0] for row in result]


async def _measure(
    app: App, samples: Any, places: Any, rounds: int
) -> tuple[list[float], list[float], int]:
    """Wall and CPU time (this process: Python, the driver; not the server's) per filing."""
    rng = random.Random(7)
    timings: list[float] = []
    cpu: list[float] = []
    jieba: list[float] = []
    found = 0
    for i in range(rounds):
        line, sub, _ = samples[rng.randrange(len(samples))]
        subdistrict = rng.choice(sorted(places))
        async with app.sessionmaker() as session:
            await session.begin()
            case = Case(
                number=f"BENCH{i:08d}", resident_id=1, channel="telegram",
                request_type="complaint", urgency="normal", state="dispatched", version=2,
                subcategory=sub, description=line, place_unit=subdistrict, routing={},
                photos=[], created_at=NOW, updated_at=NOW,
            )  # fmt: skip
            ctx = CommandContext(session, app.deps, NOW)
            assert app.deps.duplicates is not None
            # As filing does: the fingerprint is made and put on the case before its INSERT
            # (which filing does anyway: not counted), then the look-up, the comparisons and
            # the index rows.
            started, cpu_started = time.perf_counter(), time.process_time()
            fingerprint = prepare(app.deps.duplicates, case)
            made, cpu_made = time.perf_counter(), time.process_time()
            jieba.append((made - started) * 1000)
            session.add(case)
            await session.flush()
            resumed, cpu_resumed = time.perf_counter(), time.process_time()
            candidates = await find_duplicates(ctx, case, fingerprint)
            ended, cpu_ended = time.perf_counter(), time.process_time()
            timings.append((made - started + ended - resumed) * 1000)
            cpu.append((cpu_made - cpu_started + cpu_ended - cpu_resumed) * 1000)
            found += len(candidates)
            await session.rollback()
    print(
        f"   of which the text's fingerprint (jieba, places): p50 {statistics.median(jieba):.2f} ms"
    )
    return timings, cpu, found


async def _main(quick: bool) -> None:
    total, rounds = (20_000, 50) if quick else (100_000, 300)
    async with fresh_database("postgres", "hotline_bench_dupes") as url:
        settings = Settings.model_validate({"database": {"url": url}})
        app = await build_app(settings, clock=FixedClock(NOW))
        try:
            assert app.deps.duplicates is not None
            samples = _samples(app, app.deps.duplicates)
            places = _places(app)
            seconds = await _load(app, total, samples, places)
            print(
                f"   loaded {total:,} open cases and their index rows with COPY in {seconds:.1f} s"
            )
            sub = samples[0][1]
            for line in await _explain(app, sub):
                print(f"   plan: {line}")
            load_before = os.getloadavg()[0]
            timings, cpu, found = await _measure(app, samples, places, rounds)
            print(
                f"   detection per filing ({rounds} filings): "
                f"wall p50 {statistics.median(timings):.2f} ms, "
                f"mean {statistics.fmean(timings):.2f} ms, "
                f"p99 {percentile(timings, 0.99):.2f} ms; "
                f"CPU of this process p50 {statistics.median(cpu):.2f} ms, "
                f"p99 {percentile(cpu, 0.99):.2f} ms; "
                f"{found / rounds:.1f} candidates flagged per filing (target: a few ms); "
                f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
            )
        finally:
            await app.close()


def run(quick: bool) -> None:
    asyncio.run(_main(quick))
