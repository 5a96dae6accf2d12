"""Flood control: at most N messages per window from one person (design.md §6).

A person over the limit gets one notice, then silence until their window has room again; the
messages in between are not handled (a flood is not a conversation). Counted per process, in
memory: with several instances the effective limit is N per instance, which is still a bound.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from enum import Enum


class Verdict(Enum):
    ADMIT = "admit"
    WARN = "warn"  # the first message over the limit: tell the person once
    DROP = "drop"  # further ones while still over the limit


class FloodGuard:
    def __init__(self, *, limit: int, window_seconds: float, max_tracked: int = 50_000) -> None:
        self.limit = limit
        self.window = window_seconds
        self.max_tracked = max_tracked
        # Person -> times of their admitted messages, oldest first; least recently seen first.
        self._seen: OrderedDict[tuple[str, str], deque[float]] = OrderedDict()
        self._warned: set[tuple[str, str]] = set()

    def check(self, person: tuple[str, str], now: float) -> Verdict:
        times = self._seen.pop(person, None) or deque()
        while times and times[0] <= now - self.window:
            times.popleft()
        self._seen[person] = times
        if len(self._seen) > self.max_tracked:
            # Forget the person seen longest ago: memory stays bounded under many senders.
            stale, _ = self._seen.popitem(last=False)
            self._warned.discard(stale)
        if len(times) < self.limit:
            times.append(now)
            self._warned.discard(person)
            return Verdict.ADMIT
        if person in self._warned:
            return Verdict.DROP
        self._warned.add(person)
        return Verdict.WARN
