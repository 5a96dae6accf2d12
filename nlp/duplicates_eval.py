"""Measuring the duplicate detector on labelled pairs (tests/data/dupe_pairs.csv and our own
tests/data/dupe_dev.csv): precision and recall of automatic merges and of suggestions.

Each pair goes through what filing does: the router decides each text's sub-category and
subdistrict (the place field is the hint, as a resident's 地点 answer is), the two must share
the sub-category, then the detector compares the fingerprints.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from nlp.duplicates import DuplicateDetector, Verdict
from nlp.router import Router


@dataclass(frozen=True, slots=True)
class LabelledPair:
    id: str
    text_a: str
    place_a: str
    text_b: str
    place_b: str
    duplicate: bool
    kind: str


def read_pairs(path: Path) -> list[LabelledPair]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [
            LabelledPair(
                row["id"],
                row["text_a"],
                row["place_a"],
                row["text_b"],
                row["place_b"],
                row["label"].strip() == "dup",
                row["kind"],
            )
            for row in csv.DictReader(fh)
        ]


def judge(router: Router, detector: DuplicateDetector, pair: LabelledPair) -> tuple[Verdict, float]:
    """The verdict filing would reach for text B with text A already open."""
    a = router.route(pair.text_a, place_hint=pair.place_a)
    b = router.route(pair.text_b, place_hint=pair.place_b)
    if a.subcategory is None or a.subcategory != b.subcategory:
        return Verdict.NONE, 0.0
    fa = detector.fingerprint(pair.text_a, place_text=pair.place_a, subdistrict=a.subdistrict)
    fb = detector.fingerprint(pair.text_b, place_text=pair.place_b, subdistrict=b.subdistrict)
    return detector.verdict(fa, fb)


@dataclass(slots=True)
class DuplicateScores:
    pairs: int = 0
    duplicates: int = 0
    auto: int = 0
    auto_right: int = 0
    flagged: int = 0  # auto or suggest: shown to a person or merged
    flagged_right: int = 0
    suggest: int = 0
    suggest_right: int = 0
    wrong_auto: list[str] = field(default_factory=list)

    @staticmethod
    def _ratio(a: int, b: int) -> float:
        return a / b if b else 0.0

    @property
    def auto_precision(self) -> float:
        return self._ratio(self.auto_right, self.auto)

    @property
    def auto_recall(self) -> float:
        return self._ratio(self.auto_right, self.duplicates)

    @property
    def suggest_precision(self) -> float:
        """Of the pairs only suggested (not merged), how many were duplicates."""
        return self._ratio(self.suggest_right, self.suggest)

    @property
    def flagged_recall(self) -> float:
        """Of the duplicates, how many were merged or suggested."""
        return self._ratio(self.flagged_right, self.duplicates)

    def to_json(self) -> dict[str, float | int | list[str]]:
        return {
            "pairs": self.pairs,
            "duplicates": self.duplicates,
            "auto": self.auto,
            "auto_precision": round(self.auto_precision, 3),
            "auto_recall": round(self.auto_recall, 3),
            "suggest": self.suggest,
            "suggest_precision": round(self.suggest_precision, 3),
            "flagged_recall": round(self.flagged_recall, 3),
            "wrong_auto": self.wrong_auto,
        }


def evaluate(
    router: Router, detector: DuplicateDetector, pairs: list[LabelledPair]
) -> DuplicateScores:
    scores = DuplicateScores()
    for pair in pairs:
        verdict, _ = judge(router, detector, pair)
        scores.pairs += 1
        scores.duplicates += pair.duplicate
        if verdict is Verdict.AUTO:
            scores.auto += 1
            scores.auto_right += pair.duplicate
            if not pair.duplicate:
                scores.wrong_auto.append(pair.id)
        elif verdict is Verdict.SUGGEST:
            scores.suggest += 1
            scores.suggest_right += pair.duplicate
        if verdict is not Verdict.NONE:
            scores.flagged += 1
            scores.flagged_right += pair.duplicate
    return scores
