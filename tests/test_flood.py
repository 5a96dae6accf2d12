"""FloodGuard's window arithmetic and bounded memory."""

from __future__ import annotations

from handlers.conversation.flood import FloodGuard, Verdict


def test_window_slides() -> None:
    """Messages leave the window after `window_seconds`, making room again."""
    guard = FloodGuard(limit=2, window_seconds=10)
    person = ("telegram", "1")
    assert guard.check(person, 0) is Verdict.ADMIT
    assert guard.check(person, 5) is Verdict.ADMIT
    assert guard.check(person, 6) is Verdict.WARN
    assert guard.check(person, 9) is Verdict.DROP
    assert guard.check(person, 10.5) is Verdict.ADMIT  # the message at 0 has left the window
    assert guard.check(person, 11) is Verdict.WARN


def test_memory_is_bounded() -> None:
    """Beyond `max_tracked` people the longest-unseen one is forgotten."""
    guard = FloodGuard(limit=1, window_seconds=60, max_tracked=3)
    for i in range(10):
        guard.check(("telegram", str(i)), 0)
    assert len(guard._seen) == 3
