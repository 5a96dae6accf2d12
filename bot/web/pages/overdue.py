"""超期: open cases past their sign or handle clock, by unit (unit staff: their unit only)."""

from __future__ import annotations

from itertools import groupby

from aiohttp import web

from bot.web.access import viewer_of
from bot.web.context import deps_of
from bot.web.render import render
from bot.web.views import HANDLING, UNSIGNED, case_row
from storage.caselist import CaseFilter, Overdue, find_cases

_SHOWN = 500


async def overdue_board(request: web.Request) -> web.Response:
    deps = deps_of(request)
    viewer = viewer_of(request)
    now = deps.core.clock.now()
    where = CaseFilter(
        unit=viewer.unit_scope, overdue=Overdue(now=now, unsigned=UNSIGNED, handling=HANDLING)
    )
    async with deps.app.sessionmaker() as session:
        found = await find_cases(
            session=session, where=where, sort="deadline", descending=False, limit=_SHOWN
        )
    rows = [case_row(c, now=now, deps=deps.core, texts=deps.texts) for c in found.cases]
    rows.sort(key=lambda r: r.unit)
    groups = [(unit, list(items)) for unit, items in groupby(rows, key=lambda r: r.unit)]
    groups.sort(key=lambda g: -len(g[1]))
    return render(request, "overdue.html", {"groups": groups, "total": found.total})
