"""Reading query-string values safely: a bad value is ignored, never a 500."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def text(query: Mapping[str, str], name: str, limit: int = 100) -> str | None:
    value = query.get(name, "").strip()
    return value[:limit] or None


def integer(query: Mapping[str, str], name: str, default: int, *, low: int, high: int) -> int:
    raw = query.get(name, "")
    if not raw.isdigit():
        return default
    return max(low, min(high, int(raw)))


def day(query: Mapping[str, str], name: str) -> date | None:
    try:
        return date.fromisoformat(query.get(name, ""))
    except ValueError:
        return None


def day_start(value: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(value, time(0), zone)


def day_after(value: date, zone: ZoneInfo) -> datetime:
    """The start of the next local day: a "to" date is included."""
    return datetime.combine(value + timedelta(days=1), time(0), zone)
