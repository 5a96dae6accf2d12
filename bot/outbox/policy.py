"""How hard the sender tries: attempts, back-off, batch and lease sizes (the `[outbox]` table)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True, slots=True)
class OutboxPolicy:
    # Attempts before a row is dead-lettered (status "dead", reason kept in last_error).
    max_attempts: int = 8
    # Back-off after the n-th failed attempt: base * 2**(n-1), capped; a longer retry_after wins.
    base_backoff: timedelta = timedelta(seconds=2)
    max_backoff: timedelta = timedelta(minutes=30)
    # Rows claimed per round (at most one per recipient) and sent concurrently at most.
    batch_size: int = 100
    concurrency: int = 16
    # A claim's lease: a crashed claimer's rows are claimed again after it. One delivery is cut
    # off after half of it, so a live claimer never outlives its own lease. Short (issue 9): a
    # process that lost its connection or died holds a recipient's queue at most this long.
    lease: timedelta = timedelta(seconds=30)

    @property
    def delivery_timeout(self) -> float:
        return self.lease.total_seconds() / 2

    def backoff(self, attempts: int, retry_after: float | None) -> timedelta:
        """The wait before the next attempt, after `attempts` failed ones (1 or more)."""
        exponential: timedelta = self.base_backoff * (2 ** max(attempts - 1, 0))
        wait: timedelta = min(exponential, self.max_backoff)
        if retry_after is not None:
            # The platform's own word wins, even above the cap (Telegram's flood waits can be long).
            wait = max(wait, timedelta(seconds=retry_after))
        return wait
