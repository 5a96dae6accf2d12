"""Router throughput and latency over the labelled set; start-up time and memory of `hotline route`.

Targets: ≥ 2,000 messages/s on one core (issue 2); `hotline route "TEXT"` starts in ≤ 1 s
(issue 10; the 400-character throughput is in bench/learned.py).
"""

from __future__ import annotations

import csv
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.common import percentile
from nlp.router import Router

LABELLED = Path(__file__).resolve().parents[1] / "tests" / "data" / "labelled.csv"


def _texts() -> list[str]:
    with LABELLED.open(encoding="utf-8", newline="") as handle:
        return [row["text"] for row in csv.DictReader(handle)]


def _throughput(router: Router, texts: list[str], rounds: int) -> None:
    for text in texts[:50]:
        router.route(text)  # warm-up
    latencies: list[float] = []
    started = time.perf_counter()
    for _ in range(rounds):
        for text in texts:
            t0 = time.perf_counter()
            router.route(text)
            latencies.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - started
    p50, p99 = percentile(latencies, 0.5) * 1e3, percentile(latencies, 0.99) * 1e3
    chars = sum(len(t) for t in texts) / len(texts)
    print(
        f"   router: {len(latencies) / elapsed:,.0f} messages/s on one core over"
        f" {len(texts)} labelled messages × {rounds} (mean {chars:.0f} chars);"
        f" p50 {p50:.3f} ms, p99 {p99:.3f} ms"
    )


def _startup(runs: int) -> None:
    """Whole `hotline route "…"` processes without a model: median wall and CPU time."""
    hotline = Path(sys.executable).with_name("hotline")
    command = [str(hotline), "route", "--json", "孔家崖街道科苑社区门口的路灯坏了"]
    env = {**os.environ, "HOTLINE_CONFIG": ""}
    subprocess.run(command, check=True, capture_output=True, env=env)  # builds the caches
    load = os.getloadavg()[0]
    walls: list[float] = []
    cpus: list[float] = []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=env)
        walls.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"   `hotline route` start-up: median {statistics.median(walls):.2f} s wall"
        f" (max {max(walls):.2f} s), median {statistics.median(cpus):.2f} s CPU over {runs} runs;"
        f" peak memory {peak_mib:.0f} MiB; load average {load:.1f} on 2 cores"
    )


def run(quick: bool) -> None:
    t0 = time.perf_counter()
    router = Router.load(None)
    print(f"   Router.load in-process: {time.perf_counter() - t0:.2f} s")
    _throughput(router, _texts(), 2 if quick else 10)
    _startup(3 if quick else 10)
