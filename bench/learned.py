"""The learned router (issue 10): k-fold against plain TF-IDF + LinearSVC, the cold start, and
`hotline route --json --file` speed on 400-character messages with and without a model.

There is no real work-order history in the repository. The "history" here is the team's own
labelled sets (tests/data/labelled.csv + public_style.csv, 758 rows with a unit), which the
keywords were written against: the keyword router is strong on them, so these figures show the
stacking works and costs nothing, not how much a real centre's 台账 gains.
"""

from __future__ import annotations

import csv
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from nlp.learn.metrics import accuracy, macro_f1
from nlp.learn.modelfile import save_model
from nlp.learn.routing import LearnedRouter
from nlp.learn.table import LabelledRows
from nlp.learn.training import train
from nlp.learn.validation import Comparison, cross_validate
from nlp.router import Router, normalise

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
HOTLINE = Path(sys.executable).with_name("hotline")


def _history() -> LabelledRows:
    rows: list[dict[str, str]] = []
    for name in ("labelled.csv", "public_style.csv"):
        with (DATA / name).open(encoding="utf-8", newline="") as fh:
            rows.extend(r for r in csv.DictReader(fh) if r["unit"])
    return LabelledRows(
        tuple(r["text"] for r in rows), tuple(r["unit"] for r in rows), (None,) * len(rows)
    )


def _line(name: str, c: Comparison) -> str:
    parts = []
    for who, predicted in (("stacked", c.stacked), ("plain", c.plain), ("keywords", c.keywords)):
        parts.append(
            f"{who} {accuracy(c.gold, predicted):.1%} / F1 {macro_f1(c.gold, predicted):.1%}"
        )
    return f"   {name}: " + "; ".join(parts)


def _folds(router: Router, history: LabelledRows, quick: bool) -> None:
    started = time.perf_counter()
    full = cross_validate(router, history, "unit", 5)
    print(
        f"   history: {len(history)} messages, {len(set(history.labels))} units "
        "(the team's labelled sets; no real 台账 in the repo)"
    )
    print(_line(f"5-fold, {min(full.train_rows)}–{max(full.train_rows)} training rows", full))
    print(f"      ({time.perf_counter() - started:.0f} s for 5 folds × stacked + plain)")
    for size in (100, 200, 300) if not quick else (100,):
        c = cross_validate(router, history, "unit", 5, train_size=size)
        print(_line(f"5-fold, {size} training rows (cold start)", c))


# A centre whose catalogue merges units (a common difference between districts): the same
# messages, relabelled. Synthetic, and said so: it shows whether the stacked model learns a
# convention the keywords cannot know.
MERGED = {
    "区市容环境卫生服务中心": "区城市管理局",
    "区园林绿化局": "区城市管理局",
    "区供热管理办公室": "区住房和城乡建设局",
    "区总工会": "区人力资源和社会保障局",
    "团区委": "区教育局",
}


def _merged_convention(router: Router, history: LabelledRows) -> None:
    merged = LabelledRows(
        history.texts, tuple(MERGED.get(u, u) for u in history.labels), history.times
    )
    moved = sum(1 for u in history.labels if u in MERGED)
    c = cross_validate(router, merged, "unit", 5)
    print(_line(f"5-fold, 5 units merged into others ({moved} rows relabelled, synthetic)", c))
    for size in (100, 300):
        c = cross_validate(router, merged, "unit", 5, train_size=size)
        print(_line(f"  same, {size} training rows", c))


def _long_messages(history: LabelledRows, count: int) -> list[str]:
    """400-character messages made of the labelled texts (a long 12345 record is ~300–600)."""
    rng = random.Random(400)
    out = []
    for _ in range(count):
        text = ""
        while len(text) < 400:
            text += rng.choice(history.texts) + "。"
        out.append(text[:400])
    return out


def _route_file(path: Path, extra: list[str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds of one `hotline route --json --file` process."""
    env = {**os.environ, "HOTLINE_CONFIG": "", "OMP_NUM_THREADS": "1",
           "OPENBLAS_NUM_THREADS": "1"}  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(
        [str(HOTLINE), "route", "--json", "--file", str(path), *extra],
        check=True, stdout=subprocess.DEVNULL, env=env,
    )  # fmt: skip
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _in_process(router: Router, learned: LearnedRouter, texts: list[str]) -> None:
    """CPU per 400-character message inside one process (no start-up), with jieba's own cut of
    the same texts as a yardstick for how much the machine's load slows everything."""
    jieba = router._segmenter.jieba_tokenizer()
    norms = [normalise(t) for t in texts]

    def cpu_ms(work: Callable[[], object]) -> float:
        t0 = time.process_time()
        work()
        return (time.process_time() - t0) / len(texts) * 1e3

    yardstick = cpu_ms(lambda: [jieba.lcut(t, HMM=False) for t in norms])
    cut = cpu_ms(lambda: [router._segmenter.cut(t) for t in norms])
    keywords = cpu_ms(lambda: [router.route(t) for t in texts])
    batches = [texts[i : i + 256] for i in range(0, len(texts), 256)]  # as `route --file` does
    model = cpu_ms(lambda: [learned.route_many(batch) for batch in batches])
    print(
        f"   in-process CPU per 400-char message: keywords {keywords:.2f} ms, with model"
        f" {model:.2f} ms; the router's cut {cut:.2f} ms vs jieba's lcut(HMM=False)"
        f" {yardstick:.2f} ms (≈0.9 ms on a quiet core)"
    )


def _speed(router: Router, history: LabelledRows, quick: bool) -> None:
    count = 500 if quick else 2000
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as folder:
        model_path = Path(folder) / "router.model"
        model, meta = train(router, history, "unit", source="bench history")
        save_model(model_path, model, meta)
        size_mib = model_path.stat().st_size / 2**20
        texts = _long_messages(history, count)
        _in_process(router, LearnedRouter(router, model, "unit"), texts)
        messages = Path(folder) / "long.txt"
        messages.write_text("\n".join(texts) + "\n", encoding="utf-8")
        one = Path(folder) / "one.txt"
        one.write_text(texts[0] + "\n", encoding="utf-8")
        for name, extra in (("keywords only", []), ("with model", ["--model", str(model_path)])):
            starts = [_route_file(one, extra) for _ in range(3)]
            start_wall = statistics.median(w for w, _ in starts)
            start_cpu = statistics.median(c for _, c in starts)
            wall, cpu = _route_file(messages, extra)
            print(
                f"   route --json --file, {count} × 400 chars, {name}: {count / wall:,.0f} msg/s"
                f" whole process ({wall:.1f} s wall, {cpu:.1f} s CPU = {count / cpu:,.0f} msg/s"
                f" of CPU); after start-up {count / max(1e-9, cpu - start_cpu):,.0f} msg/s of"
                f" CPU, {count / max(1e-9, wall - start_wall):,.0f} msg/s wall (start-up"
                f" {start_wall:.2f} s wall, {start_cpu:.2f} s CPU)"
            )
        print(
            f"   model file: {size_mib:.1f} MiB, held-out accuracy {meta.held_out['accuracy']:.1%}"
        )
    after = os.getloadavg()
    print(f"   load average (1 min) {load[0]:.1f} before, {after[0]:.1f} after, on 2 cores")


def run(quick: bool) -> None:
    router = Router.load(None)
    history = _history()
    _folds(router, history, quick)
    _merged_convention(router, history)
    _speed(router, history, quick)
