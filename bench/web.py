"""The web workbench over 100,000 cases in PostgreSQL: case list and figures pages (time per
request, p50/p99, measured at the client on this machine, so HTTP and rendering included), the
台账 rows for a year of cases (rows/s) and a month's download with its summary sheet.

The cases (a year of them, 3-4 events each: submitted, dispatched, signed, resolved for most)
are bulk-loaded with COPY; a supervisor signs in once and requests the pages in turn.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from openpyxl import Workbook
from sqlalchemy import text

from bench.common import add_bench_resident, copy_rows, fresh_database, percentile
from bot.app import App, build_app
from bot.config import Settings
from bot.web.app import create_web_app
from bot.web.auth.passwords import hash_password
from bot.web.context import WebDeps
from bot.web.ledgerfile import LedgerRange, feed_rows, write_xlsx
from handlers.ledger import Cell
from handlers.policy.clock import FixedClock
from storage.staff import CENTRE_UNIT, enrol_staff
from storage.webaccounts import account_for_setup, issue_setup_link, set_password

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # Wed 10:00 in Lanzhou
UNITS = ("培黎街道", "西路街道", "沙井驿街道", "十里店街道", "区城市管理局", "区民政局")
CATEGORIES = ("城乡建设", "环境保护", "交通运输", "民政", "劳动和社会保障")
TEXTS = ("建宁路路灯不亮", "小区垃圾无人清运", "噪音扰民严重", "低保申请咨询", "道路破损积水")
CASE_COLUMNS = (
    "id", "number", "resident_id", "channel", "request_type", "urgency", "state", "unit_name",
    "category", "place_unit", "description", "photos", "anonymous", "share_identity", "routing",
    "version", "reopen_count", "created_at", "updated_at", "dispatched_at", "signed_at",
    "resolved_at", "sign_deadline", "handle_deadline", "clocks_version",
)  # fmt: skip
EVENT_COLUMNS = ("case_id", "at", "actor_kind", "action", "from_state", "to_state", "data")


def _rows(total: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    rng = random.Random(11)
    cases: list[tuple[Any, ...]] = []
    events: list[tuple[Any, ...]] = []
    # Numbered in the order received, as a live system numbers them (ids follow time).
    received = sorted(
        NOW - timedelta(minutes=rng.randrange(0, 60 * 24 * 365)) for _ in range(total)
    )
    for n, created in enumerate(received, start=1):
        unit = UNITS[n % len(UNITS)]
        signed = created + timedelta(hours=rng.randrange(1, 30))
        handle_by = created + timedelta(days=7)
        resolved = created + timedelta(hours=rng.randrange(10, 260))
        state = "closed" if resolved < NOW else "accepted" if signed < NOW else "dispatched"
        cases.append(
            (
                n, f"AN{n:012d}", 1, "telegram", "complaint", "normal", state, unit,
                CATEGORIES[n % len(CATEGORIES)], UNITS[n % 4], f"{TEXTS[n % len(TEXTS)]}（{n}）",
                "[]", True, False, "{}", 4, 0, created, created, created,
                signed if signed < NOW else None, resolved if resolved < NOW else None,
                created + timedelta(days=1), handle_by, 4,
            )
        )  # fmt: skip
        flow = [("submitted", None, "submitted", created), ("dispatched", "submitted",
                "dispatched", created)]  # fmt: skip
        if signed < NOW:
            flow.append(("signed", "dispatched", "accepted", signed))
        if resolved < NOW:
            flow.append(("resolved", "accepted", "resolved", resolved))
        for action, before, after, at in flow:
            events.append((n, at, "system", action, before, after, json.dumps({"unit": unit})))
    return cases, events


async def _load(app: App, total: int) -> float:
    started = time.perf_counter()
    cases, events = _rows(total)
    async with app.engine.connect() as conn:
        await add_bench_resident(conn)
        await conn.commit()
        tables = [("cases", cases, CASE_COLUMNS), ("case_events", events, EVENT_COLUMNS)]
        await copy_rows(conn, tables)
        await conn.execute(text("ANALYZE"))
        await conn.commit()
    return time.perf_counter() - started


async def _supervisor(app: App) -> None:
    now = app.deps.clock.now()
    async with app.sessionmaker() as session, session.begin():
        member = await enrol_staff(
            session=session, channel="web", external_id="boss", unit=CENTRE_UNIT,
            role="supervisor", display_name=None, now=now,
        )  # fmt: skip
        token = await issue_setup_link(
            session=session, staff_id=member.id, login="boss", now=now, ttl=timedelta(hours=1)
        )
        account = await account_for_setup(session=session, token=token, now=now)
        assert account is not None
        await set_password(
            session=session, account=account, password_hash=await hash_password("bench pw 123"),
            now=now,
        )  # fmt: skip


Timings = tuple[list[float], list[float]]


async def _timed(client: TestClient, path: str, rounds: int) -> Timings:  # type: ignore[type-arg]
    """Wall time per request and this process's CPU time for it (server and client share the
    process; the database's own CPU is not in it), in ms: the machine is shared, so wall time
    alone says little."""
    samples, cpu = [], []
    for _ in range(rounds):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = await client.get(path)
        await response.read()
        samples.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        assert response.status == 200, (path, response.status)
    return samples, cpu


def _line(name: str, timings: Timings) -> str:
    samples, cpu = timings
    return (
        f"   {name:<44} p50 {percentile(samples, 0.5):7.1f} ms   "
        f"p99 {percentile(samples, 0.99):7.1f} ms   (CPU p50 {percentile(cpu, 0.5):.1f} ms; "
        f"{len(samples)} requests; load {os.getloadavg()[0]:.1f})"
    )


async def _main(quick: bool) -> None:
    total = 10_000 if quick else 100_000
    async with fresh_database("postgres", "hotline_bench_web") as url:
        settings = Settings.model_validate({"database": {"url": url}, "web": {"port": 0}})
        app = await build_app(settings, clock=FixedClock(NOW))
        try:
            loaded = await _load(app, total)
            print(f"   loaded {total:,} cases with their events in {loaded:.1f} s", flush=True)
            await _supervisor(app)
            deps = WebDeps.build(app, settings.web)
            client: TestClient = TestClient(TestServer(create_web_app(deps)))  # type: ignore[type-arg]
            await client.start_server()
            try:
                page = await client.get("/login")
                token = re.search(r'name="csrf" value="([^"]+)"', await page.text())
                assert token
                await client.post(
                    "/login", data={"login": "boss", "password": "bench pw 123", "csrf": token[1]}
                )
                rounds = 10 if quick else 40
                for name, path in (
                    ("case list, newest first", "/desk/cases"),
                    ("case list, page 200", "/desk/cases?page=200"),
                    (
                        "case list, one unit, sorted by deadline",
                        "/desk/cases?unit=西路街道&sort=deadline",
                    ),
                    ("case list, text search", "/desk/cases?q=噪音"),
                    ("case list, overdue only", "/desk/cases?overdue=1"),
                ):
                    print(_line(name, await _timed(client, path, rounds)), flush=True)
                # build_report (shared with `hotline report`) counts in the database.
                print(_line("figures, last 30 days", await _timed(client, "/desk/figures", rounds)))
            finally:
                await client.close()
            await _export(app, total)
        finally:
            await app.close()


async def _export(app: App, total: int) -> None:
    """Ledger rows for the whole year (rows/s), then a month's workbook with its summary."""
    year = LedgerRange(
        start=NOW - timedelta(days=366), end=NOW + timedelta(days=1), unit=None, now=NOW
    )
    with tempfile.TemporaryDirectory() as folder:
        book = Workbook(write_only=True)
        sheet = book.create_sheet("台账")

        def append(rows: list[list[Cell]]) -> None:
            for row in rows:
                sheet.append(row)

        started, started_cpu = time.perf_counter(), time.process_time()
        rows = await feed_rows(app, year, append)
        await asyncio.to_thread(book.save, Path(folder) / "rows.xlsx")
        seconds, cpu = time.perf_counter() - started, time.process_time() - started_cpu
        print(
            f"   台账 rows, {rows:,} cases (a year) to Excel: {seconds:.1f} s "
            f"= {rows / seconds:,.0f} rows/s (CPU {cpu:.1f} s = {rows / cpu:,.0f} rows/s; "
            f"load {os.getloadavg()[0]:.1f})",
            flush=True,
        )
        month = LedgerRange(start=NOW - timedelta(days=30), end=NOW, unit=None, now=NOW)
        started, started_cpu = time.perf_counter(), time.process_time()
        rows = await write_xlsx(app, month, Path(folder) / "month.xlsx")
        seconds, cpu = time.perf_counter() - started, time.process_time() - started_cpu
        print(
            f"   台账 download, last 30 days ({rows:,} cases) with the 汇总 sheet: {seconds:.1f} s "
            f"(CPU {cpu:.1f} s)",
            flush=True,
        )


def run(quick: bool) -> None:
    asyncio.run(_main(quick))
