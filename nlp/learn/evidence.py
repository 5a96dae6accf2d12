"""The keyword router's evidence as numbers per label, for stacking.

For each message and each label: how strongly the keywords point at it (its best category score
over the message's best, in [0, 1]), whether it is the router's own decision, and the router's
confidence in that decision. Labels the model never saw still get these, which is how the keyword
router keeps deciding for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from nlp.learn.labels import LabelKind
from nlp.router import KeywordEvidence, Router

FloatMatrix = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class KeywordMatrix:
    """Per message (row) and label (column): relative strength, decision flag, confidence."""

    strength: FloatMatrix
    chosen: FloatMatrix
    confidence: FloatMatrix


def label_scores(router: Router, evidence: KeywordEvidence, kind: LabelKind) -> dict[str, float]:
    """The best category score behind each label this message gives any evidence for."""
    out: dict[str, float] = {}
    subdistrict = evidence.decision.subdistrict
    # Built only for category labels: 0.02 ms a message that unit models need not pay.
    tops = {c.sub: c.top for c in router.categories()} if kind == "category" else {}
    for sub, score in evidence.scores.items():
        if kind == "unit":
            names: tuple[str | None, ...] = (router.unit_for(sub, subdistrict),)
        else:
            names = (sub, tops[sub])
        for name in names:
            if name is not None and score > out.get(name, 0.0):
                out[name] = score
    return out


def decided_label(evidence: KeywordEvidence, kind: LabelKind) -> str | None:
    d = evidence.decision
    return d.unit if kind == "unit" else d.category


def keyword_matrix(
    router: Router,
    evidences: Sequence[KeywordEvidence],
    labels: Sequence[str],
    kind: LabelKind,
) -> KeywordMatrix:
    index = {label: i for i, label in enumerate(labels)}
    shape = (len(evidences), len(labels))
    strength = np.zeros(shape)
    chosen = np.zeros(shape)
    confidence = np.zeros(shape)
    for row, ev in enumerate(evidences):
        scores = label_scores(router, ev, kind)
        best = max(scores.values(), default=0.0)
        for name, score in scores.items():
            column = index.get(name)
            if column is not None:
                strength[row, column] = score / max(best, 1.0)
        # A sub-category label also counts as decided when the router picked that sub-category.
        decided = (decided_label(ev, kind), ev.decision.subcategory if kind == "category" else None)
        for label in decided:
            column = index.get(label) if label else None
            if column is not None:
                chosen[row, column] = 1.0
                confidence[row, column] = ev.decision.confidence
    return KeywordMatrix(strength, chosen, confidence)
