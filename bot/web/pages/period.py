"""The date range of the figures, bulletin and ledger pages: ?from=&to= (local days, both
included), by default the last 30 days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from aiohttp import web

from bot.web import params
from bot.web.access import require, viewer_of
from bot.web.context import WebDeps, deps_of

MAX_DAYS = 3 * 366


@dataclass(frozen=True, slots=True)
class Period:
    first: date
    last: date
    start: datetime
    end: datetime


def period_of(request: web.Request, deps: WebDeps, *, default_days: int = 30) -> Period:
    zone = deps.core.zone
    today = deps.core.clock.now().astimezone(zone).date()
    last = params.day(request.query, "to") or today
    first = params.day(request.query, "from") or last - timedelta(days=default_days - 1)
    if first > last:
        first, last = last, first
    first = max(first, last - timedelta(days=MAX_DAYS))
    return Period(first, last, params.day_start(first, zone), params.day_after(last, zone))


def supervisors_range(request: web.Request, why: str) -> tuple[WebDeps, Period, str | None]:
    """For the supervisors' range pages (figures, 台账): refuses anyone else (403, logged with
    `why`), then the deps, the period asked for and the unit (None: all units)."""
    require(request, viewer_of(request).supervises, why)
    deps = deps_of(request)
    return deps, period_of(request, deps), request.query.get("unit") or None
