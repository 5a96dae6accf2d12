"""Knowledge-base retrieval time per question with 5,000 entries (issue 14).

The 5,000 entries are synthetic (for the bench only): titles and variants drawn at random from the
words of the shipped entries, so term statistics look like real ones. Questions are the labelled
resident questions in tests/data/kb_questions.csv.
"""

from __future__ import annotations

import csv
import random
import statistics
import time
from datetime import date
from pathlib import Path

from bench.common import percentile
from nlp.kb import Entry, KnowledgeBase, Source
from nlp.kb.terms import is_sound

QUESTIONS = Path(__file__).resolve().parents[1] / "tests" / "data" / "kb_questions.csv"
DAY = date(2026, 12, 1)


def _questions() -> list[str]:
    with QUESTIONS.open(encoding="utf-8", newline="") as handle:
        return [row["question"] for row in csv.DictReader(handle)]


def _synthetic(shipped: KnowledgeBase, count: int, rng: random.Random) -> list[Entry]:
    words = sorted(
        {
            t
            for e in shipped.entries
            for p in e.phrasings
            for t in shipped.terms(p)
            if not is_sound(t)
        }
    )
    template = shipped.entries[0]
    entries: list[Entry] = []
    for i in range(count):
        title = "".join(rng.sample(words, 3)) + "怎么办理"
        variants = tuple("".join(rng.sample(words, rng.randint(3, 6))) for _ in range(5))
        entries.append(
            Entry(
                id=f"kb-bench-{i}",
                title=title,
                answer="(bench)",
                unit=template.unit,
                tags=(rng.choice(words),),
                variants=variants,
                valid_from=template.valid_from,
                valid_until=template.valid_until,
                source=Source(title="bench", url="https://example.org/bench"),
                file=template.file,
            )
        )
    return entries


def run(quick: bool) -> None:
    count = 1_000 if quick else 5_000
    shipped = KnowledgeBase.load()
    rng = random.Random(14)
    entries = [*shipped.entries, *_synthetic(shipped, count - len(shipped.entries), rng)]
    started = time.perf_counter()
    kb = KnowledgeBase(entries, segmenter=shipped.segmenter)
    build = time.perf_counter() - started
    questions = _questions()
    for q in questions[:20]:
        kb.best(q, today=DAY)  # warm-up
    rounds = 2 if quick else 5
    latencies: list[float] = []
    for _ in range(rounds):
        for q in questions:
            t0 = time.perf_counter()
            kb.search(q, limit=3, today=DAY)
            latencies.append(time.perf_counter() - t0)
    docs = sum(1 + len(e.variants) for e in entries)
    print(f"   entries {len(entries)} ({docs} phrasings), index built in {build:.2f} s")
    mean, p50, p99 = (
        statistics.mean(latencies) * 1e3,
        percentile(latencies, 0.5) * 1e3,
        percentile(latencies, 0.99) * 1e3,
    )
    print(
        f"   search per question: mean {mean:.2f} ms, p50 {p50:.2f} ms, p99 {p99:.2f} ms"
        f" ({len(latencies)} searches)"
    )
    shipped_lat: list[float] = []
    for q in questions:
        t0 = time.perf_counter()
        shipped.search(q, limit=3, today=DAY)
        shipped_lat.append(time.perf_counter() - t0)
    print(
        f"   shipped set ({len(shipped.entries)} entries): p50 "
        f"{percentile(shipped_lat, 0.5) * 1e3:.2f} ms per question"
    )
