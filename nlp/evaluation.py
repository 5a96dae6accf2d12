"""Accuracy of the router on a labelled set: pure functions over gold and predicted labels.

Labels are strings; "" stands for "no unit / no category" (e.g. a territorial matter with no place,
or a message too vague to route), and is scored like any other label.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from nlp.errors import NlpError

LABEL_COLUMNS = ("unit", "category")


class LabelledDataError(NlpError):
    """The labelled file is missing, unreadable or lacks the needed columns."""


@dataclass(frozen=True, slots=True)
class ClassStats:
    """Precision and recall of one label."""

    label: str
    support: int  # how often it is the gold label
    predicted: int  # how often it was predicted
    correct: int

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.correct / self.support if self.support else 0.0


@dataclass(frozen=True, slots=True)
class EvalReport:
    """Accuracy, per-class figures and the commonest confusions (gold, predicted, count)."""

    total: int
    correct: int
    per_class: tuple[ClassStats, ...]
    confusions: tuple[tuple[str, str, int], ...]

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0


@dataclass(frozen=True, slots=True)
class LabelledSet:
    """Texts and, per label column present in the file, their gold labels."""

    texts: tuple[str, ...]
    labels: dict[str, tuple[str, ...]]


def evaluate(
    gold: Sequence[str], predicted: Sequence[str], *, top_confusions: int = 10
) -> EvalReport:
    """Compare two equally long label sequences."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold labels but {len(predicted)} predictions")
    support: Counter[str] = Counter(gold)
    made: Counter[str] = Counter(predicted)
    right: Counter[str] = Counter(g for g, p in zip(gold, predicted, strict=True) if g == p)
    wrong: Counter[tuple[str, str]] = Counter(
        (g, p) for g, p in zip(gold, predicted, strict=True) if g != p
    )
    labels = sorted(set(support) | set(made), key=lambda lb: (-support[lb], lb))
    per_class = tuple(ClassStats(lb, support[lb], made[lb], right[lb]) for lb in labels)
    confusions = tuple(
        (g, p, n)
        for (g, p), n in sorted(wrong.items(), key=lambda kv: (-kv[1], kv[0]))[:top_confusions]
    )
    return EvalReport(len(gold), sum(right.values()), per_class, confusions)


def read_labelled_csv(path: Path) -> LabelledSet:
    """Read a UTF-8 CSV with a `text` column and a `unit` and/or `category` column."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            columns = [c.strip() for c in reader.fieldnames or ()]
            reader.fieldnames = columns
            rows = list(reader)
    except FileNotFoundError as exc:
        raise LabelledDataError(f"labelled file not found: {path}") from exc
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise LabelledDataError(f"cannot read labelled file {path}: {exc}") from exc
    present = [c for c in LABEL_COLUMNS if c in columns]
    if "text" not in columns or not present:
        raise LabelledDataError(
            f"{path}: needs a 'text' column and a 'unit' and/or 'category' column; "
            f"found columns: {', '.join(columns) or '(none)'}"
        )
    texts = tuple((r.get("text") or "").strip() for r in rows)
    labels = {c: tuple((r.get(c) or "").strip() for r in rows) for c in present}
    return LabelledSet(texts, labels)


def format_report(name: str, report: EvalReport, *, max_classes: int = 60) -> str:
    """A plain-text table for the terminal."""
    lines = [f"{name}: accuracy {report.accuracy:.1%} ({report.correct}/{report.total})"]
    lines.append(f"  {'label':<24} {'support':>7} {'precision':>9} {'recall':>7}")
    for cs in report.per_class[:max_classes]:
        label = cs.label or "(none)"
        lines.append(f"  {label:<24} {cs.support:>7} {cs.precision:>9.2f} {cs.recall:>7.2f}")
    if report.confusions:
        lines.append("  commonest confusions (gold -> predicted: count):")
        for g, p, n in report.confusions:
            lines.append(f"    {g or '(none)'} -> {p or '(none)'}: {n}")
    return "\n".join(lines)
