"""Figures for a learned router: accuracy, macro-F1, recall per label, accuracy against coverage."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from nlp.evaluation import evaluate

# Confidence thresholds reported in the coverage table (0.45 is the bot's default ask threshold).
COVERAGE_THRESHOLDS = (0.0, 0.3, 0.45, 0.6, 0.8)


def accuracy(gold: Sequence[str], predicted: Sequence[str]) -> float:
    return evaluate(gold, predicted).accuracy if gold else 0.0


def macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """Mean F1 over the gold labels (a label never in the gold set does not count)."""
    report = evaluate(gold, predicted)
    scores = []
    for stats in report.per_class:
        if stats.support == 0:
            continue
        p, r = stats.precision, stats.recall
        scores.append(2 * p * r / (p + r) if p + r else 0.0)
    return sum(scores) / len(scores) if scores else 0.0


def recall_per_label(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, float]:
    return {s.label: s.recall for s in evaluate(gold, predicted).per_class if s.support}


@dataclass(frozen=True, slots=True)
class CoveragePoint:
    """At a threshold: the share of messages answered without asking, and how many of those are
    right."""

    threshold: float
    answered: float
    accuracy: float


def coverage(
    gold: Sequence[str],
    predicted: Sequence[str],
    confidence: Sequence[float],
    thresholds: Sequence[float] = COVERAGE_THRESHOLDS,
) -> list[CoveragePoint]:
    points = []
    for t in thresholds:
        kept = [i for i, c in enumerate(confidence) if c >= t]
        right = sum(1 for i in kept if gold[i] == predicted[i])
        points.append(
            CoveragePoint(
                t, len(kept) / len(gold) if gold else 0.0, right / len(kept) if kept else 0.0
            )
        )
    return points
