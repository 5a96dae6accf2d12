"""The router on tests/data/public_style.csv: messages written the way residents write to 12345.

The set was written independently of the keyword lists (before reading them) and split by a hash
of the text into `dev` (used to improve the keywords) and `test` (only measured). Measured when
this test was written: all rows unit 90.6 %, category 93.3 %; test split unit 89.6 %, category
90.8 % (before the work: 79.8 % and 82.8 %). The thresholds leave a margin of about 5 points.
The same person wrote the set and the synonyms, so real residents' messages will score lower.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from bot.cli import main
from nlp.directory import load_directory
from nlp.evaluation import evaluate, read_labelled_csv
from nlp.router import Router

PUBLIC = Path(__file__).parent / "data" / "public_style.csv"
MIN_ACCURACY = 0.86  # unit and category, all rows (measured 0.906 and 0.933)
MIN_TEST_SPLIT_ACCURACY = 0.84  # unit and category, test split only (measured 0.896 and 0.908)


def test_eval_on_public_style_set(capsys: pytest.CaptureFixture[str]) -> None:
    """`hotline nlp eval` on every row reaches the threshold for both unit and category."""
    code = main(["nlp", "eval", str(PUBLIC), "--min-accuracy", str(MIN_ACCURACY)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "unit: accuracy" in out and "category: accuracy" in out


def test_test_split_accuracy() -> None:
    """The held-out half alone also stays above its threshold."""
    with PUBLIC.open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["split"] == "test"]
    router = Router.load()
    decisions = [router.route(r["text"]) for r in rows]
    unit = evaluate([r["unit"] for r in rows], [d.unit or "" for d in decisions])
    category = evaluate([r["category"] for r in rows], [d.category or "" for d in decisions])
    assert unit.accuracy >= MIN_TEST_SPLIT_ACCURACY, unit.confusions
    assert category.accuracy >= MIN_TEST_SPLIT_ACCURACY, category.confusions


def test_public_style_set_shape() -> None:
    """At least 300 rows, every unit and every top-level category, about half in each split."""
    data = read_labelled_csv(PUBLIC)
    assert len(data.texts) >= 300
    directory = load_directory()
    assert set(directory.unit_names()) <= set(data.labels["unit"])
    assert set(directory.tops) <= set(data.labels["category"])
    with PUBLIC.open(encoding="utf-8", newline="") as fh:
        splits = [r["split"] for r in csv.DictReader(fh)]
    assert set(splits) == {"dev", "test"}
    assert 0.35 < splits.count("test") / len(splits) < 0.65


def test_generic_complaint_words_decide_nothing() -> None:
    """Words that only say "please handle my complaint" never pick a category on their own."""
    router = Router.load()
    for text in ("领导您好，我要投诉，一直没人管，请尽快处理解决", "反映个问题，多次投诉了没人回复",
                 "区长您好，希望领导重视，尽快解决"):  # fmt: skip
        d = router.route(text)
        assert d.category is None and d.confidence < 0.45, (text, d)


def test_close_call_between_units_has_low_confidence() -> None:
    """Two equally strong categories of different units: the bot should ask (confidence < 0.45)."""
    router = Router.load()
    # Two matters for two units. (Before issue 10 the example was "公园里的健身器材坏了"; 公园
    # is now a context word, so the equipment decides it.)
    d = router.route("小区电梯坏了，暖气也不热")
    assert d.alternatives and d.alternatives[0].unit != d.unit
    assert d.confidence < 0.45


def test_colloquial_variants_and_places() -> None:
    """Colloquial phrasing and place forms residents use ("XX村X社", "XX路XX号")."""
    router = Router.load()
    cases = [
        ("屋里的暖器一点都不热，冻得娃娃直哭", "区供热管理办公室"),
        ("包工头子跑了，欠我们的工钱不给", "区人力资源和社会保障局"),
        ("马家庄村三社的村干部不公开账目", "刘家堡街道"),
        ("福兴路188号楼上天天半夜吵得睡不着", "刘家堡街道"),
        ("这不是物业的问题，是小区门口路灯不亮", "区城市管理局"),
    ]
    for text, unit in cases:
        assert router.route(text).unit == unit, (text, router.route(text))
