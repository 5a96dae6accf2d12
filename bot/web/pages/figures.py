"""统计: per unit 受理 / 办结 / 在办 / 按期办结率 / 解决率 / 满意率 from `build_report` (the code
behind `hotline report`), trends by day and week, top categories and subdistricts, and the
period's 热点. The charts read their numbers from a JSON data block (no inline script: the CSP
forbids it)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.scheduler import hotspot_policy
from bot.web.pages.period import supervisors_range
from bot.web.render import render
from bot.web.views import local
from handlers.followup.hotspots import period_hotspots
from handlers.report import build_report
from handlers.trends import build_trends

T = TypeVar("T")


async def figures(request: web.Request) -> web.Response:
    deps, period, unit = supervisors_range(request, "figures are for supervisors")
    now = deps.core.clock.now()
    until = min(period.end, now)

    async def read(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        async with deps.app.sessionmaker() as session:
            return await work(session)

    # Three independent reads, each on its own connection, so their database time overlaps.
    report, trends, hotspots = await asyncio.gather(
        read(
            lambda session: build_report(
                session,
                start=period.start,
                end=period.end,
                unit=unit,
                now=now,
                calendar=deps.core.calendar,
            )
        ),
        read(
            lambda session: build_trends(
                session, start=period.start, end=period.end, unit=unit, zone=deps.core.zone
            )
        ),
        # 热点 (issue 13): the period's alerts, the cells spiking at its end (now, for a period
        # running to today) and the words of its last week; district-wide, as the alerts are.
        read(
            lambda session: period_hotspots(
                session,
                deps.core,
                hotspot_policy(deps.app.settings.hotspots),
                start=period.start,
                end=period.end,
                spikes_at=until,
                terms_since=max(period.start, until - timedelta(days=7)),
            )
        ),
    )
    charts: dict[str, Any] = {
        "daily": {
            "labels": trends.daily.labels,
            "received": trends.daily.received,
            "closed": trends.daily.closed,
        },
        "weekly": {
            "labels": trends.weekly.labels,
            "received": trends.weekly.received,
            "closed": trends.weekly.closed,
        },
        "categories": [{"name": n, "value": v} for n, v in trends.categories],
        "subdistricts": [{"name": n, "value": v} for n, v in trends.subdistricts],
    }
    return render(
        request,
        "figures.html",
        {
            "report": report,
            "trends": trends,
            "charts": charts,
            "hotspots": hotspots,
            "when": lambda moment: local(moment, deps.core.zone),
            "period": period,
            "unit": unit,
            "units": [u.name for u in deps.app.router.directory.units],
        },
    )
