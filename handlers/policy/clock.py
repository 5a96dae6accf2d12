"""The time seam: every time-dependent path asks a `Clock` for "now" instead of the system.

Production wires a `SystemClock`; tests and `hotline sweep --now ...` use a `FixedClock`, so SLA
behaviour is checked at exact instants instead of by sleeping.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """A source of the current instant."""

    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        return datetime.now(UTC)


def _as_utc(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        # A naive datetime has no defined instant; guessing a zone here would hide bugs.
        raise ValueError(f"expected a timezone-aware datetime, got naive {at.isoformat()}")
    return at.astimezone(UTC)


class FixedClock:
    """A clock that stands still until it is set or advanced (for tests and replayed sweeps)."""

    def __init__(self, at: datetime) -> None:
        self._at = _as_utc(at)

    def now(self) -> datetime:
        """The instant this clock was last set to, in UTC."""
        return self._at

    def set(self, at: datetime) -> None:
        """Jump to `at` (any timezone; stored as UTC)."""
        self._at = _as_utc(at)

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by `delta` and return the new instant."""
        self._at += delta
        return self._at
