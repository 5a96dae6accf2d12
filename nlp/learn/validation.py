"""Honest figures for a learned router: stratified k-fold and a time-ordered split, each beside
plain TF-IDF + LinearSVC on the same folds and the keyword router alone."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from nlp.learn.labels import LabelKind
from nlp.learn.metrics import accuracy, coverage, macro_f1, recall_per_label
from nlp.learn.model import PlainModel
from nlp.learn.table import LabelledRows
from nlp.learn.training import TrainingError, evidences, fit, predict
from nlp.router import KeywordEvidence, Router

_SEED = 20261128


@dataclass(slots=True)
class Comparison:
    """Gold labels and three predictions for the same test rows."""

    gold: list[str] = field(default_factory=list)
    stacked: list[str] = field(default_factory=list)
    stacked_confidence: list[float] = field(default_factory=list)
    plain: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    keywords_confidence: list[float] = field(default_factory=list)
    folds: int = 0
    train_rows: list[int] = field(default_factory=list)


def _run_fold(
    router: Router,
    rows: LabelledRows,
    found: Sequence[KeywordEvidence],
    kind: LabelKind,
    train: Sequence[int],
    test: Sequence[int],
    into: Comparison,
) -> None:
    texts = [rows.texts[i] for i in train]
    gold = [rows.labels[i] for i in train]
    model = fit(router, texts, [found[i] for i in train], gold, kind)
    plain = PlainModel.fit(texts, [found[i].words for i in train], gold)
    test_texts = [rows.texts[i] for i in test]
    got = predict(router, model, kind, test_texts, [found[i] for i in test])
    into.gold.extend(rows.labels[i] for i in test)
    into.stacked.extend(got.labels)
    into.stacked_confidence.extend(got.confidence)
    into.plain.extend(plain.predict(test_texts, [found[i].words for i in test]))
    for i in test:
        d = found[i].decision
        into.keywords.append((d.unit if kind == "unit" else d.category) or "")
        into.keywords_confidence.append(d.confidence)
    into.folds += 1
    into.train_rows.append(len(train))


def cross_validate(
    router: Router,
    rows: LabelledRows,
    kind: LabelKind,
    folds: int = 5,
    *,
    train_size: int | None = None,
    seed: int = _SEED,
) -> Comparison:
    """Stratified k-fold; with `train_size`, each fold trains on that many of its training rows
    only (the cold start: what a centre has after its first weeks)."""
    import numpy as np
    from sklearn.model_selection import StratifiedKFold

    if len(rows) < folds * 2:
        raise TrainingError(f"{len(rows)} rows are too few for {folds}-fold cross-validation")
    found = evidences(router, rows.texts)
    result = Comparison()
    rng = np.random.default_rng(seed)
    with warnings.catch_warnings():
        # Labels with fewer rows than folds are expected in a real 台账; sklearn warns each time.
        warnings.simplefilter("ignore", UserWarning)
        splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
        for train, test in splitter.split(rows.texts, rows.labels):
            chosen = list(train)
            if train_size is not None and train_size < len(chosen):
                chosen = sorted(rng.choice(chosen, size=train_size, replace=False).tolist())
            if len({rows.labels[i] for i in chosen}) < 2:
                continue
            _run_fold(router, rows, found, kind, chosen, list(test), result)
    return result


def time_split(
    router: Router, rows: LabelledRows, kind: LabelKind, test_from: datetime
) -> Comparison:
    """Train on the rows before `test_from`, test on the rows from it on."""
    if any(t is None for t in rows.times):
        missing = sum(1 for t in rows.times if t is None)
        raise TrainingError(f"{missing} rows have no readable time")
    limit = test_from.replace(tzinfo=None)
    train = [
        i for i, t in enumerate(rows.times) if t is not None and t.replace(tzinfo=None) < limit
    ]
    test = [
        i for i, t in enumerate(rows.times) if t is not None and t.replace(tzinfo=None) >= limit
    ]
    if len({rows.labels[i] for i in train}) < 2 or not test:
        raise TrainingError(
            f"{len(train)} rows before and {len(test)} from {test_from:%Y-%m-%d}: not enough to "
            "train and test"
        )
    found = evidences(router, rows.texts)
    result = Comparison()
    _run_fold(router, rows, found, kind, train, test, result)
    return result


def format_comparison(title: str, c: Comparison, *, threshold: float, max_labels: int = 60) -> str:
    """The terminal report: the three routers side by side, recall per label, coverage."""
    lines = [f"{title}: {len(c.gold)} test rows in {c.folds} fold(s)"]
    lines.append(f"  {'':<34} {'accuracy':>9} {'macro-F1':>9}")
    for name, predicted in (
        ("learned (stacked on keywords)", c.stacked),
        ("TF-IDF + LinearSVC alone", c.plain),
        ("keyword router alone", c.keywords),
    ):
        lines.append(
            f"  {name:<34} {accuracy(c.gold, predicted):>9.1%} {macro_f1(c.gold, predicted):>9.1%}"
        )
    lines.append(f"  recall per label (learned / plain / keywords), {max_labels} most frequent:")
    stacked, plain, keywords = (
        recall_per_label(c.gold, p) for p in (c.stacked, c.plain, c.keywords)
    )
    support = {g: c.gold.count(g) for g in set(c.gold)}
    for label in sorted(support, key=lambda g: (-support[g], g))[:max_labels]:
        lines.append(
            f"    {label:<24} {support[label]:>4}  {stacked.get(label, 0):>5.2f}"
            f" {plain.get(label, 0):>5.2f} {keywords.get(label, 0):>5.2f}"
        )
    lines.append("  accuracy against coverage (answered without asking):")
    for who, conf, pred in (
        ("learned", c.stacked_confidence, c.stacked),
        ("keywords", c.keywords_confidence, c.keywords),
    ):
        for p in coverage(c.gold, pred, conf):
            mark = "  <- ask threshold" if abs(p.threshold - threshold) < 1e-9 else ""
            lines.append(
                f"    {who:<9} confidence ≥ {p.threshold:.2f}: answers {p.answered:>6.1%},"
                f" right {p.accuracy:>6.1%}{mark}"
            )
    return "\n".join(lines)
