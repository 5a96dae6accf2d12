"""The router on the frozen blind set (tests/data/blind): written and labelled by sessions that
never saw the router's keywords, 200 rows labelled twice. Never tuned on: these figures are
reported, not optimised (issue 10)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from nlp.router import Router

BLIND = Path(__file__).resolve().parents[1] / "tests" / "data" / "blind"
FIELDS = ("unit", "category", "subcategory")


@dataclass(frozen=True)
class BlindFigures:
    rows: int
    accuracy: dict[str, float]
    agreement: dict[str, float]
    agreed_rows: int
    answered_share: float
    answered_unit_accuracy: float

    def lines(self) -> list[str]:
        acc = ", ".join(f"{k} {v:.1%}" for k, v in self.accuracy.items())
        agr = ", ".join(f"{k} {v:.1%}" for k, v in self.agreement.items())
        return [
            f"blind set: {self.rows} messages; router accuracy: {acc}",
            f"two labellers agree on {self.agreed_rows} rows: {agr} (the ceiling)",
            f"answered without asking: {self.answered_share:.1%} of messages, "
            f"unit accuracy on those {self.answered_unit_accuracy:.1%}",
        ]


def _rows(name: str) -> list[dict[str, str]]:
    with (BLIND / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def measure(router: Router, threshold: float) -> BlindFigures:
    rows = _rows("routing.csv")
    decisions = [router.route(r["text"]) for r in rows]
    got = {
        "unit": [d.unit or "" for d in decisions],
        "category": [d.category or "" for d in decisions],
        "subcategory": [d.subcategory or "" for d in decisions],
    }
    accuracy = {
        f: sum(g == r[f] for g, r in zip(got[f], rows, strict=True)) / len(rows) for f in FIELDS
    }
    first = {r["id"]: r for r in rows}
    second = _rows("second_labels.csv")
    agreement = {f: sum(first[s["id"]][f] == s[f] for s in second) / len(second) for f in FIELDS}
    sure = [
        (d, r)
        for d, r in zip(decisions, rows, strict=True)
        if d.unit is not None and d.confidence >= threshold
    ]
    return BlindFigures(
        rows=len(rows),
        accuracy=accuracy,
        agreement=agreement,
        agreed_rows=len(second),
        answered_share=len(sure) / len(rows),
        answered_unit_accuracy=sum(d.unit == r["unit"] for d, r in sure) / max(1, len(sure)),
    )


def run(quick: bool) -> None:
    from bot.config import Settings

    figures = measure(Router.load(None), Settings().router.confidence_threshold)
    for line in figures.lines():
        print(f"   {line}")
