"""Training a stacked model on labelled rows, with held-out scores for its metadata."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from nlp.errors import NlpError
from nlp.learn.evidence import keyword_matrix
from nlp.learn.labels import LabelKind, check_labels
from nlp.learn.metrics import accuracy, macro_f1
from nlp.learn.model import StackedModel
from nlp.learn.modelfile import ModelMeta, sklearn_version
from nlp.learn.routing import LearnedRouter
from nlp.learn.table import LabelledRows
from nlp.router import KeywordEvidence, Router

# Fewer rows than this: no held-out split (the figures would be noise), and no training below 2.
MIN_HELD_OUT_ROWS = 20
HELD_OUT_SHARE = 0.2
ASK_THRESHOLD = 0.45


class TrainingError(NlpError):
    """Nothing sensible to train on (too few rows, labels of mixed levels)."""


def label_space(router: Router, kind: LabelKind, gold: Sequence[str]) -> tuple[str, ...]:
    """The labels the model chooses among: every unit, or every category of the level the
    training labels use (top-level 城乡建设 or second-level 路灯照明), seen in training or not."""
    if kind == "unit":
        return tuple(router.unit_names())
    infos = router.categories()
    tops = tuple(dict.fromkeys(c.top for c in infos))
    if all(g in tops for g in gold):
        return tops
    subs = tuple(c.sub for c in infos)
    if all(g in subs for g in gold):
        return subs
    raise TrainingError("the category labels mix top-level and second-level names; use one level")


def evidences(router: Router, texts: Sequence[str]) -> list[KeywordEvidence]:
    return [router.evidence(t) for t in texts]


def fit(
    router: Router,
    texts: Sequence[str],
    found: Sequence[KeywordEvidence],
    gold: Sequence[str],
    kind: LabelKind,
) -> StackedModel:
    labels = label_space(router, kind, gold)
    keywords = keyword_matrix(router, found, labels, kind)
    return StackedModel.fit(texts, [e.words for e in found], gold, keywords, labels)


@dataclass(frozen=True, slots=True)
class Predictions:
    labels: list[str]
    confidence: list[float]


def predict(
    router: Router,
    model: StackedModel,
    kind: LabelKind,
    texts: Sequence[str],
    found: Sequence[KeywordEvidence],
) -> Predictions:
    probs = LearnedRouter(router, model, kind, explain=False).probabilities(found, texts)
    best = probs.argmax(axis=1)
    return Predictions(
        [model.labels[int(j)] for j in best], [float(probs[i, j]) for i, j in enumerate(best)]
    )


def held_out_split(rows: LabelledRows) -> tuple[list[int], list[int]]:
    """The newest fifth when rows carry times (what a live model faces), else a seeded random
    fifth."""
    n = len(rows)
    order = list(range(n))
    if all(t is not None for t in rows.times):
        order.sort(key=lambda i: (rows.times[i], i))
    else:
        random.Random(n).shuffle(order)
    cut = n - max(1, int(n * HELD_OUT_SHARE))
    return order[:cut], order[cut:]


def held_out_scores(router: Router, rows: LabelledRows, kind: LabelKind) -> dict[str, float]:
    """Accuracy and macro-F1 of a model trained on the rest, on the held-out fifth, beside the
    keyword router's accuracy on the same rows."""
    if len(rows) < MIN_HELD_OUT_ROWS:
        return {}
    train, test = held_out_split(rows)
    found = evidences(router, rows.texts)
    model = fit(
        router,
        [rows.texts[i] for i in train],
        [found[i] for i in train],
        [rows.labels[i] for i in train],
        kind,
    )
    gold = [rows.labels[i] for i in test]
    got = predict(router, model, kind, [rows.texts[i] for i in test], [found[i] for i in test])
    answered = [i for i, c in enumerate(got.confidence) if c >= ASK_THRESHOLD]
    keyword = [
        (found[i].decision.unit if kind == "unit" else found[i].decision.category) or ""
        for i in test
    ]
    return {
        "rows": float(len(test)),
        "accuracy": round(accuracy(gold, got.labels), 4),
        "macro_f1": round(macro_f1(gold, got.labels), 4),
        "keyword_accuracy": round(accuracy(gold, keyword), 4),
        "answered": round(len(answered) / len(test), 4),
        "accuracy_answered": round(
            sum(1 for i in answered if gold[i] == got.labels[i]) / len(answered), 4
        )
        if answered
        else 0.0,
    }


def train(
    router: Router,
    rows: LabelledRows,
    kind: LabelKind,
    *,
    source: str,
    now: datetime | None = None,
) -> tuple[StackedModel, ModelMeta]:
    """Check the labels, measure on a held-out fifth, then fit on every row."""
    if len(rows) < 2 or len(set(rows.labels)) < 2:
        raise TrainingError(f"{source}: need at least 2 rows and 2 different labels to train")
    check_labels(router, kind, rows.labels, source)
    label_space(router, kind, rows.labels)  # fails early on mixed category levels
    scores = held_out_scores(router, rows, kind)
    model = fit(router, rows.texts, evidences(router, rows.texts), rows.labels, kind)
    meta = ModelMeta(
        label_kind=kind,
        labels=tuple(sorted(set(rows.labels))),
        source=source,
        rows=len(rows),
        trained_at=(now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds"),
        sklearn_version=sklearn_version(),
        held_out=scores,
    )
    return model, meta
