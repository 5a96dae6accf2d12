"""`hotline nlp train`, `hotline route --model` and `hotline nlp eval --cv / --test-from` through
the real CLI entry point, on a small 台账 written as CSV and as Excel."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from nlp.learn.modelfile import read_meta
from tests.learn_support import labelled_rows, write_history_csv, write_history_xlsx

COLUMNS = ["--text-column", "诉求内容", "--label-column", "承办单位"]


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_history_csv(tmp_path_factory.mktemp("h") / "台账.csv", labelled_rows(200))


@pytest.fixture(scope="module")
def model(history: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("m") / "router.model"
    assert main(["nlp", "train", "--file", str(history), *COLUMNS, "--out", str(out)]) == 0
    return out


def test_train_on_csv_writes_a_described_model(
    model: Path, history: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Training on a CSV writes a model whose header names the file, rows and label kind."""
    meta = read_meta(model)
    assert (meta.source, meta.rows, meta.label_kind) == (history.name, 200, "unit")
    assert meta.held_out["rows"] == 40


def test_train_on_xlsx_with_time_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An Excel 台账 trains the same way; with a time column the newest fifth is held out."""
    xlsx = write_history_xlsx(tmp_path / "台账.xlsx", labelled_rows(120))
    out = tmp_path / "x.model"
    code = main(["nlp", "train", "--file", str(xlsx), *COLUMNS, "--time-column", "受理时间",
                 "--out", str(out)])  # fmt: skip
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "trained a unit model on 120 rows from 台账.xlsx" in printed
    assert "held-out 24 rows: accuracy" in printed and "keywords alone" in printed
    assert read_meta(out).source == "台账.xlsx"


def test_train_category_kind(tmp_path: Path, history: Path) -> None:
    """--label-kind category trains on the 一级分类 column."""
    out = tmp_path / "c.model"
    code = main(["nlp", "train", "--file", str(history), "--text-column", "诉求内容",
                 "--label-column", "一级分类", "--label-kind", "category",
                 "--out", str(out)])  # fmt: skip
    assert code == 0 and read_meta(out).label_kind == "category"


def test_train_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A missing column or an unknown unit stops training with exit 2 and a message."""
    history = write_history_csv(tmp_path / "h.csv", labelled_rows(10))
    assert main(["nlp", "train", "--file", str(history), "--out", str(tmp_path / "m")]) == 2
    assert "no column 'text'" in capsys.readouterr().err
    rows = labelled_rows(6)
    bad = write_history_csv(tmp_path / "b.csv", [*rows[:5], {**rows[5], "unit": "火星局"}])
    assert main(["nlp", "train", "--file", str(bad), *COLUMNS, "--out", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err
    assert "火星局" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "m").exists()


def test_route_with_model_uses_the_learned_label(
    model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`route --json --model` gives the learned unit, keyword and model evidence in matched."""
    src = tmp_path / "in.txt"
    src.write_text("安宁西路上的路灯坏了半个月\n\n楼下着火了\n", encoding="utf-8")
    assert main(["route", "--json", "--model", str(model), "--file", str(src)]) == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.strip("\n").split("\n")]
    assert rows[0]["unit"] == "区城市管理局" and rows[0]["model"] == model.name
    assert "路灯坏" in rows[0]["matched"]
    assert any(m.startswith("model:") for m in rows[0]["matched"])
    assert rows[1]["unit"] is None and rows[2]["emergency"] == "火警 119"


def test_route_model_from_config(
    model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`[router] model = PATH` works like --model."""
    config = tmp_path / "c.toml"
    config.write_text(f'[router]\nmodel = "{model}"\n', encoding="utf-8")
    assert main(["route", "--json", "--config", str(config), "路灯不亮"]) == 0
    assert json.loads(capsys.readouterr().out)["model"] == model.name


def test_route_with_a_bad_model_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A damaged model file stops `route` with exit 2 and one line, not a traceback."""
    bad = tmp_path / "bad.model"
    bad.write_bytes(b"garbage")
    assert main(["route", "--json", "--model", str(bad), "路灯不亮"]) == 2
    err = capsys.readouterr().err
    assert "not a hotline router model file" in err and "Traceback" not in err


def test_eval_cv_compares_with_plain_tfidf(
    history: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--cv prints the learned model, plain TF-IDF + LinearSVC and the keywords on the same
    folds, with macro-F1, recall per label and accuracy against coverage."""
    assert main(["nlp", "eval", str(history), *COLUMNS, "--cv", "3"]) == 0
    out = capsys.readouterr().out
    assert "3-fold cross-validation: 200 test rows in 3 fold(s)" in out
    for line in ("learned (stacked on keywords)", "TF-IDF + LinearSVC alone",
                 "keyword router alone", "macro-F1", "recall per label", "区城市管理局",
                 "<- ask threshold"):  # fmt: skip
        assert line in out


def test_eval_time_split(history: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--time-column with --test-from trains before the date and tests from it on."""
    code = main(["nlp", "eval", str(history), *COLUMNS, "--time-column", "受理时间",
                 "--test-from", "2026-02-01"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    # 4 rows a day from 2026-01-05: 27 days (108 rows) before February.
    assert "train before 2026-02-01 (108 rows)" in out and "92 test rows in 1 fold(s)" in out
    assert main(["nlp", "eval", str(history), *COLUMNS, "--test-from", "2026-02-01"]) == 2
