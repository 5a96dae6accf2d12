"""`hotline kb eval`: how the knowledge base does on labelled resident questions.

A CSV with columns id, question, entry_id ("none" when no entry answers it). The bot answers a
question when it holds no complaint cue and the best entry clears the threshold, so that is what
is scored. A label naming an entry the knowledge base does not have counts as "none": no entry
can answer it (the figure `unknown_labels` says how many).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from nlp.kb.intent import read_intent
from nlp.kb.retrieval import KnowledgeBase

NONE = "none"


@dataclass(frozen=True, slots=True)
class LabelledQuestion:
    id: str
    question: str
    entry_id: str | None  # None: no entry answers it


@dataclass(frozen=True, slots=True)
class QuestionResult:
    question: LabelledQuestion
    expected: str | None  # the label, or None when the knowledge base lacks that entry
    offered: str | None  # the entry the bot would answer with
    top3: tuple[str, ...]  # entries above the threshold, best first
    score: float
    complaint: bool

    @property
    def correct(self) -> bool:
        return self.offered == self.expected


@dataclass(frozen=True, slots=True)
class KbEvaluation:
    results: tuple[QuestionResult, ...]
    unknown_labels: int

    @property
    def answerable(self) -> list[QuestionResult]:
        return [r for r in self.results if r.expected is not None]

    @property
    def unanswerable(self) -> list[QuestionResult]:
        return [r for r in self.results if r.expected is None]

    @property
    def top1(self) -> float:
        rows = self.answerable
        return sum(r.correct for r in rows) / len(rows) if rows else 0.0

    @property
    def top3(self) -> float:
        rows = self.answerable
        return sum(r.expected in r.top3 for r in rows) / len(rows) if rows else 0.0

    @property
    def none_answered(self) -> float:
        """Share of "none" questions that would wrongly get an answer."""
        rows = self.unanswerable
        return sum(r.offered is not None for r in rows) / len(rows) if rows else 0.0

    @property
    def wrong_answer(self) -> float:
        """Share of answerable questions answered with another entry (worse than no answer)."""
        rows = self.answerable
        wrong = sum(r.offered is not None and not r.correct for r in rows)
        return wrong / len(rows) if rows else 0.0

    @property
    def accuracy(self) -> float:
        return sum(r.correct for r in self.results) / len(self.results) if self.results else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "questions": len(self.results),
            "answerable": len(self.answerable),
            "none": len(self.unanswerable),
            "unknown_labels": self.unknown_labels,
            "top1": round(self.top1, 4),
            "top3": round(self.top3, 4),
            "none_answered": round(self.none_answered, 4),
            "wrong_answer": round(self.wrong_answer, 4),
            "accuracy": round(self.accuracy, 4),
            "errors": [
                {
                    "id": r.question.id,
                    "question": r.question.question,
                    "expected": r.expected,
                    "offered": r.offered,
                    "score": round(r.score, 3),
                }
                for r in self.results
                if not r.correct
            ],
        }


def read_questions(path: Path) -> list[LabelledQuestion]:
    """Rows of a labelled CSV; a malformed file raises ValueError naming the line."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = {"id", "question", "entry_id"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path}: missing columns {', '.join(sorted(missing))}")
        rows: list[LabelledQuestion] = []
        for line, row in enumerate(reader, start=2):
            question = (row.get("question") or "").strip()
            label = (row.get("entry_id") or "").strip()
            if not question or not label:
                raise ValueError(f"{path}:{line}: empty question or entry_id")
            rows.append(
                LabelledQuestion(
                    (row.get("id") or str(line)).strip(),
                    question,
                    None if label.lower() == NONE else label,
                )
            )
    return rows


def evaluate(
    kb: KnowledgeBase, questions: Sequence[LabelledQuestion], *, today: date | None = None
) -> KbEvaluation:
    known = {e.id for e in kb.entries}
    results: list[QuestionResult] = []
    unknown = 0
    for q in questions:
        expected = q.entry_id if q.entry_id in known else None
        if q.entry_id is not None and expected is None:
            unknown += 1
        complaint = read_intent(q.question).complaint
        found = kb.search(q.question, limit=3, today=today)
        above = tuple(a.entry.id for a in found if kb.confident(a))
        # The bot shows the top entry only if it is confident itself (as `KnowledgeBase.best`).
        offered = found[0].entry.id if found and not complaint and kb.confident(found[0]) else None
        results.append(
            QuestionResult(
                question=q,
                expected=expected,
                offered=offered,
                top3=() if complaint else above,
                score=found[0].score if found else 0.0,
                complaint=complaint,
            )
        )
    return KbEvaluation(tuple(results), unknown)
