"""Measured quality on labelled resident questions, with floors a little under the figures.

tests/data/kb_questions.csv was written by another session from the topic list only, without the
entries' wording (208 questions, 45 "none"); it is never edited to fit. The threshold was fitted
on its odd-numbered half and on kb_dev.csv; the even half is reported as held out.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from nlp.kb import KnowledgeBase
from nlp.kb.evaluation import KbEvaluation, evaluate, read_questions

DATA = Path(__file__).resolve().parent / "data"
DAY = date(2026, 12, 1)


def _evaluate(kb: KnowledgeBase, name: str, half: int | None = None) -> KbEvaluation:
    rows = read_questions(DATA / name)
    if half is not None:
        rows = [r for r in rows if int(r.id.lstrip("qd")) % 2 == half]
    return evaluate(kb, rows, today=DAY)


def test_question_set_floors(knowledge_base: KnowledgeBase) -> None:
    """All 208 questions: top-1 68.2 %, top-3 74.4 %, none wrongly answered 10.1 % (measured)."""
    result = _evaluate(knowledge_base, "kb_questions.csv")
    assert len(result.results) >= 150 and len(result.unanswerable) >= 30
    assert result.top1 >= 0.64
    assert result.top3 >= 0.70
    assert result.none_answered <= 0.12
    assert result.wrong_answer <= 0.15


def test_held_out_half_floors(knowledge_base: KnowledgeBase) -> None:
    """Even-numbered half, never tuned on: top-1 65.2 %, none wrongly answered 15.8 %."""
    result = _evaluate(knowledge_base, "kb_questions.csv", half=0)
    assert result.top1 >= 0.60
    assert result.none_answered <= 0.16


def test_dev_set_floors(knowledge_base: KnowledgeBase) -> None:
    """Our own dev questions: top-1 87.9 %, no "none" question answered."""
    result = _evaluate(knowledge_base, "kb_dev.csv")
    assert result.top1 >= 0.85
    assert result.none_answered == 0.0


def test_complaints_in_the_sets_are_never_answered(knowledge_base: KnowledgeBase) -> None:
    """No question with a complaint cue gets an answer, whatever it matches."""
    for name in ("kb_questions.csv", "kb_dev.csv"):
        for r in _evaluate(knowledge_base, name).results:
            if r.complaint:
                assert r.offered is None, r.question.question


def test_a_malformed_question_file_is_refused(tmp_path: Path) -> None:
    """A CSV without the entry_id column is an error naming the file."""
    bad = tmp_path / "q.csv"
    bad.write_text("id,question\n1,社保卡丢了\n", encoding="utf-8")
    with pytest.raises(ValueError, match="missing columns entry_id"):
        read_questions(bad)
