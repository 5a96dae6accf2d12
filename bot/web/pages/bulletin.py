"""通报: the weekly bulletin page: last week's figures per unit (build_report) and the units
with open cases past their handle deadline, naming those past the escalation line (the same
list as the supervisors' weekly chat bulletin)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from aiohttp import web

from bot.web import params
from bot.web.access import require, viewer_of
from bot.web.context import deps_of
from bot.web.render import render
from handlers.followup.periodic import overdue_by_unit
from handlers.report import build_report


async def bulletin(request: web.Request) -> web.Response:
    viewer = viewer_of(request)
    require(request, viewer.supervises, "the bulletin is for supervisors")
    deps = deps_of(request)
    zone = deps.core.zone
    now = deps.core.clock.now()
    today = now.astimezone(zone).date()
    # The week asked for (any day in it), by default the last full week, Monday to Sunday.
    anchor = params.day(request.query, "week") or today - timedelta(days=7)
    monday = anchor - timedelta(days=anchor.weekday())
    start = datetime.combine(monday, time(0), zone)
    end = start + timedelta(days=7)
    async with deps.app.sessionmaker() as session:
        report = await build_report(
            session, start=start, end=end, unit=None, now=now, calendar=deps.core.calendar
        )
        overdue = await overdue_by_unit(session, now)
    year, week, _ = monday.isocalendar()
    return render(
        request,
        "bulletin.html",
        {
            "report": report,
            "overdue": overdue,
            "week": f"{year}-W{week:02d}",
            "monday": monday,
            "sunday": monday + timedelta(days=6),
            "previous": (monday - timedelta(days=7)).isoformat(),
            "next": (monday + timedelta(days=7)).isoformat(),
            "escalate_days": deps.core.sla.escalate_after_days,
        },
    )
