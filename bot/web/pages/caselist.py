"""工单: the case list with filters, sorting, pages and SLA lights; new cases appear by polling.

Unit staff see only their unit's cases whatever the query says.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from bot.web import params
from bot.web.access import viewer_of
from bot.web.context import WebDeps, deps_of
from bot.web.render import render
from bot.web.views import HANDLING, UNSIGNED, CaseRow, case_row
from handlers.policy.casetypes import RequestType
from handlers.policy.lifecycle import CaseState
from storage.caselist import (
    SORTS,
    CaseFilter,
    Overdue,
    cases_after,
    find_cases,
    newest_case_id,
)
from storage.models import Case


def _filter(request: web.Request, deps: WebDeps) -> tuple[CaseFilter, dict[str, str]]:
    query = request.query
    viewer = viewer_of(request)
    zone = deps.core.zone
    chosen = {
        name: value
        for name in (
            "unit",
            "state",
            "type",
            "category",
            "subdistrict",
            "from",
            "to",
            "q",
            "overdue",
            "sort",
            "dir",
        )
        if (value := params.text(query, name)) is not None
    }
    state = chosen.get("state")
    start, end = params.day(query, "from"), params.day(query, "to")
    where = CaseFilter(
        unit=viewer.unit_scope or chosen.get("unit"),
        states=[state] if state in {s.value for s in CaseState} else [],
        request_type=chosen.get("type"),
        category=chosen.get("category"),
        subdistrict=chosen.get("subdistrict"),
        created_from=params.day_start(start, zone) if start else None,
        created_before=params.day_after(end, zone) if end else None,
        text=chosen.get("q"),
        overdue=(
            Overdue(now=deps.core.clock.now(), unsigned=UNSIGNED, handling=HANDLING)
            if chosen.get("overdue") == "1"
            else None
        ),
    )
    return where, chosen


def _stamp(rows: Sequence[CaseRow], cases: Sequence[Case]) -> str:
    """What the listed rows show, in a few characters: their cases' versions and lights."""
    shown = "|".join(f"{c.id}:{c.version}:{r.light}" for c, r in zip(cases, rows, strict=True))
    return hashlib.blake2b(shown.encode(), digest_size=8).hexdigest()


async def case_list(request: web.Request) -> web.Response:
    return render(request, "cases.html", await _listing(request))


async def live_rows(request: web.Request) -> web.Response:
    """The htmx poll of the listed rows: 204 while they show what the page shows."""
    context = await _listing(request)
    if context["stamp"] == request.query.get("stamp"):
        return web.Response(status=204)
    return render(request, "_live_rows.html", context)


async def _listing(request: web.Request) -> dict[str, Any]:
    deps = deps_of(request)
    viewer = viewer_of(request)
    where, chosen = _filter(request, deps)
    size = deps.settings.page_size
    page = params.integer(request.query, "page", 1, low=1, high=100_000)
    sort = chosen.get("sort", "created")
    descending = chosen.get("dir", "desc") != "asc"
    now = deps.core.clock.now()
    async with deps.app.sessionmaker() as session:
        found = await find_cases(
            session=session,
            where=where,
            sort=sort,
            descending=descending,
            offset=(page - 1) * size,
            limit=size,
        )
        newest = await newest_case_id(session=session, unit=viewer.unit_scope)
    # The menu comes from the taxonomy, not from the cases (a DISTINCT over every case per view).
    categories = sorted({c.top for c in deps.app.router.categories()})
    units = deps.app.router.directory.units
    pages = max(1, -(-found.total // size))
    rows = [case_row(c, now=now, deps=deps.core, texts=deps.texts) for c in found.cases]
    stamp = _stamp(rows, found.cases)
    return {
        "rows": rows,
        "stamp": stamp,
        "rows_link": _link(chosen, {"page": page}, "/desk/cases/rows", stamp=stamp),
        "total": found.total,
        "page": page,
        "pages": pages,
        "chosen": chosen,
        "link": lambda **change: _link(chosen, change),
        "sorts": list(SORTS),
        "states": [(s.value, deps.texts(f"state.{s.value}")) for s in CaseState],
        "types": [(t.value, deps.texts(f"type.{t.value}")) for t in RequestType],
        "categories": categories,
        "units": [u.name for u in units],
        "subdistricts": [u.name for u in units if u.kind == "subdistrict"],
        "newest": newest,
    }


def _link(
    chosen: dict[str, str], change: dict[str, object], path: str = "/desk/cases", **extra: object
) -> str:
    merged: dict[str, object] = {**chosen, **change, **extra}
    return f"{path}?" + urlencode({k: v for k, v in merged.items() if v not in (None, "")})


async def fresh_cases(request: web.Request) -> web.Response:
    """The htmx poll: cases that arrived since the page was opened (the viewer's own scope)."""
    deps = deps_of(request)
    viewer = viewer_of(request)
    after = params.integer(request.query, "after", 0, low=0, high=2**62)
    now = deps.core.clock.now()
    async with deps.app.sessionmaker() as session:
        cases = await cases_after(session=session, after_id=after, unit=viewer.unit_scope)
    rows = [case_row(c, now=now, deps=deps.core, texts=deps.texts) for c in cases]
    return render(request, "_fresh.html", {"rows": rows, "after": after})
