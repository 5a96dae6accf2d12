"""Router throughput and latency, for the project's benchmark (`make bench`)."""

from __future__ import annotations

import time
from collections.abc import Sequence

from nlp.router import Router


def bench_router(router: Router, texts: Sequence[str], *, rounds: int = 3) -> dict[str, float]:
    """Route every text `rounds` times; messages/s and p50/p99 latency in milliseconds."""
    if not texts:
        raise ValueError("no texts to route")
    for text in texts[:50]:  # warm-up
        router.route(text)
    latencies: list[float] = []
    clock = time.perf_counter
    started = clock()
    for _ in range(rounds):
        for text in texts:
            t0 = clock()
            router.route(text)
            latencies.append(clock() - t0)
    elapsed = clock() - started
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000.0

    return {
        "messages": float(len(latencies)),
        "seconds": elapsed,
        "messages_per_second": len(latencies) / elapsed,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
    }
