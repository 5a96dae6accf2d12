"""Evaluation metrics on a tiny hand-computed example, and the labelled CSV reader."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp.evaluation import LabelledDataError, evaluate, read_labelled_csv


def test_accuracy_precision_recall_and_confusions() -> None:
    """Figures match a hand computation."""
    gold = ["a", "a", "b", "b", "c"]
    pred = ["a", "b", "b", "b", "a"]
    r = evaluate(gold, pred)
    assert (r.total, r.correct) == (5, 3)
    assert r.accuracy == pytest.approx(0.6)
    stats = {c.label: c for c in r.per_class}
    assert stats["a"].precision == pytest.approx(0.5) and stats["a"].recall == pytest.approx(0.5)
    assert stats["b"].precision == pytest.approx(2 / 3) and stats["b"].recall == 1.0
    assert stats["c"].precision == 0.0 and stats["c"].recall == 0.0
    assert set(r.confusions) == {("a", "b", 1), ("c", "a", 1)}


def test_length_mismatch_is_an_error() -> None:
    """Gold and predictions must pair up."""
    with pytest.raises(ValueError):
        evaluate(["a"], [])


def test_reader_needs_text_and_a_label_column(tmp_path: Path) -> None:
    """Missing file and missing columns fail with a clear message."""
    with pytest.raises(LabelledDataError, match="not found"):
        read_labelled_csv(tmp_path / "nope.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("message,label\nx,y\n", encoding="utf-8")
    with pytest.raises(LabelledDataError, match="'text' column"):
        read_labelled_csv(bad)
    good = tmp_path / "good.csv"
    good.write_text("text,category\n暖气不热,城乡建设\n", encoding="utf-8")
    data = read_labelled_csv(good)
    assert data.texts == ("暖气不热",) and data.labels == {"category": ("城乡建设",)}
