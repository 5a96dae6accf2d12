"""The scheduled retrain: train on the stored examples and replace the model file only if the new
model is no worse on the newest weeks than what routes today."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from nlp.learn.labels import UnknownLabelError
from nlp.learn.metrics import accuracy
from nlp.learn.model import StackedModel
from nlp.learn.modelfile import ModelFileError, ModelMeta, load_model, save_model
from nlp.learn.table import LabelledRows
from nlp.learn.training import TrainingError, evidences, fit, predict, train
from nlp.router import Router

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RetrainOutcome:
    """What a retrain did and the figures it decided on (accuracies on the newest weeks)."""

    replaced: bool
    reason: str
    rows: int
    recent_rows: int = 0
    candidate_accuracy: float | None = None
    current_accuracy: float | None = None
    current_is_model: bool = False
    model: StackedModel | None = None
    meta: ModelMeta | None = None
    # False: another instance (or an earlier run) had claimed this night's retrain.
    claimed: bool = True


def _timed(rows: LabelledRows) -> LabelledRows:
    keep = [i for i, t in enumerate(rows.times) if t is not None]
    return rows.subset(keep)


def retrain_if_not_worse(
    router: Router,
    rows: LabelledRows,
    model_path: Path,
    *,
    now: datetime,
    recent: timedelta = timedelta(weeks=2),
    min_rows: int = 50,
    source: str = "database",
) -> RetrainOutcome:
    """Train a candidate on the rows before the newest weeks, score it and the current model
    (or, without one, the keyword router) on those weeks, and replace the file only if the
    candidate is no worse. The file written is then trained on every row.

    The current model may have seen some of the newest rows in an earlier retrain, which favours
    it: the rule errs towards keeping what works.
    """
    rows = _timed(rows)
    if len(rows) < min_rows:
        return RetrainOutcome(False, f"{len(rows)} examples, fewer than {min_rows}", len(rows))
    since = (now - recent).replace(tzinfo=None)
    older = [
        i for i, t in enumerate(rows.times) if t is not None and t.replace(tzinfo=None) < since
    ]
    newest = [
        i for i, t in enumerate(rows.times) if t is not None and t.replace(tzinfo=None) >= since
    ]
    if not newest or len({rows.labels[i] for i in older}) < 2:
        return RetrainOutcome(
            False, f"{len(older)} older and {len(newest)} recent examples: nothing to compare",
            len(rows), len(newest),
        )  # fmt: skip
    found = evidences(router, rows.texts)
    gold = [rows.labels[i] for i in newest]
    texts = [rows.texts[i] for i in newest]
    try:
        candidate = fit(
            router,
            [rows.texts[i] for i in older],
            [found[i] for i in older],
            [rows.labels[i] for i in older],
            "unit",
        )
    except (TrainingError, UnknownLabelError) as exc:
        return RetrainOutcome(False, f"cannot train: {exc}", len(rows), len(newest))
    candidate_acc = accuracy(
        gold, predict(router, candidate, "unit", texts, [found[i] for i in newest]).labels
    )
    current_is_model = model_path.is_file()
    if current_is_model:
        try:
            current = load_model(model_path, router, label_kind="unit").model
        except ModelFileError as exc:
            # A broken current file is no benchmark; anything trained is better than it.
            log.warning("retrain: current model unusable (%s); comparing with the keywords", exc)
            current_is_model = False
    if current_is_model:
        current_labels = predict(router, current, "unit", texts, [found[i] for i in newest]).labels
    else:
        current_labels = [found[i].decision.unit or "" for i in newest]
    current_acc = accuracy(gold, current_labels)

    def outcome(replaced: bool, reason: str, model: StackedModel | None = None,
                meta: ModelMeta | None = None) -> RetrainOutcome:  # fmt: skip
        return RetrainOutcome(
            replaced, reason, len(rows), len(newest), round(candidate_acc, 4),
            round(current_acc, 4), current_is_model, model, meta,
        )  # fmt: skip

    if candidate_acc < current_acc:
        return outcome(False, "candidate worse on the newest weeks")
    try:
        model, meta = train(router, rows, "unit", source=source, now=now)
    except (TrainingError, UnknownLabelError) as exc:
        return outcome(False, f"cannot train: {exc}")
    save_model(model_path, model, meta)
    return outcome(True, "candidate no worse on the newest weeks", model, meta)
