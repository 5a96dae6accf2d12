"""The figures and bulletin pages show the numbers `hotline report` computes."""

from __future__ import annotations

import json
import re
from html import unescape

from bot.app import App
from handlers.policy.clock import FixedClock
from storage.staff import CENTRE_UNIT
from tests.web_helpers import Browser, november_report, rated_scenario, web_staff


def _table_rows(html: str) -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", html, re.S):
        cells = [
            unescape(re.sub(r"<[^>]+>", "", c)).strip()
            for c in re.findall(r"<td>(.*?)</td>", row, re.S)
        ]
        if cells:
            rows[cells[0]] = cells[1:]
    return rows


def _pct(value: float | None) -> str:
    return f"{value * 100:.1f}%" if value is not None else "—"


async def test_figures_page_equals_the_report(
    app: App, clock: FixedClock, browser: Browser
) -> None:
    """Every unit's line and the total on the page are the report's counts and rates."""
    now = await rated_scenario(app, clock)
    report = await november_report(app, now)
    await web_staff(app, "boss", CENTRE_UNIT, "supervisor")
    await browser.login("boss")
    status, html = await browser.page("/desk/figures?from=2026-11-01&to=2026-11-30")
    assert status == 200
    rows = _table_rows(html)
    for name, f in [*((u.unit or "（未派单）", u) for u in report.units), ("合计", report.total)]:
        assert rows[name] == [
            str(f.received),
            str(f.closed),
            str(f.in_progress),
            _pct(f.closure_rate),
            _pct(f.on_time_rate),
            str(f.overdue_now),
            _pct(f.resolved_rate),
            _pct(f.satisfaction_rate),
            str(f.unrated),
        ], name
    data = json.loads(unescape(re.search(r'id="chart-data">(.*?)</script>', html, re.S)[1]))
    assert sum(data["daily"]["received"]) == report.total.received
    assert sum(data["weekly"]["received"]) == report.total.received
    assert sum(item["value"] for item in data["categories"]) <= report.total.received


async def test_bulletin_lists_units_with_overdue_cases(
    app: App, clock: FixedClock, browser: Browser
) -> None:
    """The weekly page names the unit whose case is past its handle deadline."""
    await rated_scenario(app, clock)
    await web_staff(app, "boss", CENTRE_UNIT, "supervisor")
    await browser.login("boss")
    status, html = await browser.page("/desk/bulletin?week=2026-11-25")
    assert status == 200 and "2026-W48" in html
    overdue_part = html.split("本周受理工单办理情况")[0]
    assert _table_rows(overdue_part)["培黎街道"][0] == "1"


async def test_figures_show_a_seeded_burst_as_a_hotspot(
    app: App, clock: FixedClock, browser: Browser
) -> None:
    """Five 停水 reports in 培黎街道 in one afternoon: the figures page lists the alert (category,
    place, count against the usual, the cases as links), the cell spiking now, and 停水 among
    the week's words."""
    from bot.scheduler import run_hotspots
    from tests.test_hotspots import outage_burst

    await outage_burst(app, clock)
    assert await run_hotspots(app) == 1
    await web_staff(app, "boss", CENTRE_UNIT, "supervisor")
    await browser.login("boss")
    status, html = await browser.page("/desk/figures")
    assert status == 200
    section = html.split('class="card hotspots"')[1]
    alert = re.search(r'<tr class="alert">(.*?)</tr>', section, re.S)
    assert alert is not None
    cells = [
        unescape(re.sub(r"<[^>]+>", "", c)).strip()
        for c in re.findall(r"<td[^>]*>(.*?)</td>", alert[1], re.S)
    ]
    assert cells[1:5] == ["供水", "培黎街道", "5", "0.0"]
    links = re.findall(r'href="/desk/cases/([^"]+)"', alert[1])
    assert len(links) == 5
    status, case_page = await browser.page(f"/desk/cases/{links[0]}")
    assert status == 200 and "停水" in case_page
    assert '<tr class="spike">' in section  # the same burst is still inside the window
    assert '<span class="term">停水</span>' in section
