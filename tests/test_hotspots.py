"""Hotspots (热点, issue 13): a burst of filings in one cell alerts supervisors and the unit
once, against the cell's own history, and shows in the digest, the 通报 and the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from bot.app import App, build_app
from bot.scheduler import hotspot_policy, run_hotspots
from handlers.followup.hotspots import HotspotPolicy, alert_hotspots, find_hotspots
from handlers.followup.periodic import Periodic, PeriodicSchedule
from handlers.policy.clock import FixedClock
from storage.models import HotspotAlert, OutboxMessage
from tests.desk import join
from tests.followup_support import local
from tests.test_merge import api_filing

WATER_UNIT = "区水务局"
OUTAGE = (
    "培黎街道停水了，家里一滴水都没有",
    "师大社区停水了，什么时候来水",
    "培黎社区停水一上午了，做不了饭",
    "建宁路社区突然停水，也没通知",
    "甘铝社区停水好几个小时了",
)


async def outage_burst(app: App, clock: FixedClock) -> None:
    """Five 停水 reports in 培黎街道 in one afternoon, from five residents."""
    clock.set(local(2026, 11, 25, 13, 0))
    for i, text in enumerate(OUTAGE):
        await api_filing(app, "open311", f"w{i}", text)
        clock.advance(timedelta(minutes=30))


async def hot_messages(app: App) -> list[OutboxMessage]:
    async with app.sessionmaker() as session:
        rows = await session.execute(
            select(OutboxMessage).where(OutboxMessage.idempotency_key.like("hot:%"))
        )
        return list(rows.scalars())


async def test_a_burst_of_water_outages_alerts_supervisors_once(
    app: App, clock: FixedClock
) -> None:
    """Five 停水 reports in one subdistrict in an afternoon alert the supervisors and the water
    bureau once, with the cases and common words; later runs and a second instance stay quiet."""
    supervisor = await join(app, "sup", "区政务服务中心", "supervisor")
    head = await join(app, "wh", WATER_UNIT, "head")
    await outage_burst(app, clock)
    assert await run_hotspots(app) == 1
    clock.advance(timedelta(minutes=5))
    assert await run_hotspots(app) == 0  # the next run
    second = await build_app(app.settings, clock=clock, router=app.router, prepare=False)
    try:
        assert await run_hotspots(second) == 0  # another instance
    finally:
        await second.close()
    rows = await hot_messages(app)
    assert sorted(r.recipient for r in rows) == sorted([supervisor.user_id, head.user_id])
    text = str(rows[0].payload["text"])
    assert "【热点预警】培黎街道「供水」" in text and "5 件" in text
    assert "停水" in text
    async with app.sessionmaker() as session:
        alerts = list((await session.execute(select(HotspotAlert))).scalars())
    assert len(alerts) == 1 and alerts[0].count == 5 and "停水" in alerts[0].terms


async def test_a_cell_as_busy_as_usual_is_no_hotspot(app: App, clock: FixedClock) -> None:
    """Five reports a week in a cell that had five the week before are its normal: no alert
    (the baseline is the cell's own history, not a district-wide figure)."""
    weekly = HotspotPolicy(window=timedelta(days=7), baseline_weeks=1, min_count=4, ratio=3.0)
    clock.set(local(2026, 11, 17, 10, 0))
    for i, text in enumerate(OUTAGE):
        await api_filing(app, "open311", f"old{i}", text)
    await outage_burst(app, clock)
    async with app.sessionmaker() as session, session.begin():
        assert await alert_hotspots(session, app.deps, weekly, clock.now()) == []


async def test_a_road_inside_a_spiking_subdistrict_is_the_same_burst(
    app: App, clock: FixedClock
) -> None:
    """Reports that all name one community spike both the community and its subdistrict cell;
    only one of them is alerted."""
    await join(app, "sup", "区政务服务中心", "supervisor")
    clock.set(local(2026, 11, 25, 13, 0))
    for i in range(5):
        await api_filing(app, "open311", f"c{i}", f"师大社区停水了第{i}次反映，一滴水都没有")
        clock.advance(timedelta(minutes=20))
    policy = hotspot_policy(app.settings.hotspots)
    async with app.sessionmaker() as session:
        spots = await find_hotspots(session, app.deps, policy, clock.now())
    assert len(spots) == 1 and spots[0].place_key == "sd:培黎街道"


async def test_hotspots_appear_in_the_digest_and_the_bulletin(app: App, clock: FixedClock) -> None:
    """The next digest lists the day's hotspot and the weekly 通报 the week's common words."""
    await join(app, "sup", "区政务服务中心", "supervisor")
    await outage_burst(app, clock)
    await run_hotspots(app)
    periodic = Periodic(app.deps, PeriodicSchedule())
    async with app.sessionmaker() as session, session.begin():
        await periodic.send_digest(session, local(2026, 11, 26, 8, 30))
        await periodic.send_bulletin(session, local(2026, 11, 30, 9, 0))
    async with app.sessionmaker() as session:
        rows = list((await session.execute(select(OutboxMessage))).scalars())
    digest = next(str(r.payload["text"]) for r in rows if r.idempotency_key.startswith("fu:digest"))
    bulletin = next(
        str(r.payload["text"]) for r in rows if r.idempotency_key.startswith("fu:bulletin")
    )
    assert "热点：" in digest and "培黎街道「供水」5 件" in digest
    assert "【本周热点】" in bulletin and "停水" in bulletin


def test_hotline_hotspots_prints_the_alerts(tmp_path: Path) -> None:
    """`hotline hotspots --json` prints alerts, current spikes and the top terms (empty
    database: all empty, exit 0)."""
    env = {
        **os.environ,
        "HOTLINE_CONFIG": "",
        "HOTLINE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'hotline.db'}",
    }
    hotline = str(Path(sys.executable).with_name("hotline"))
    subprocess.run([hotline, "db", "upgrade"], env=env, check=True, timeout=60)
    result = subprocess.run(
        [hotline, "hotspots", "--json"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["alerts"] == [] and report["spiking_now"] == [] and report["top_terms"] == []
