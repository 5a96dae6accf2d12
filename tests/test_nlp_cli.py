"""`hotline route` and `hotline nlp eval` through the real CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main

LABELLED = Path(__file__).parent / "data" / "labelled.csv"
# Measured: unit 91 %, category 93 % on the whole set; the threshold leaves a margin.
MIN_UNIT_ACCURACY = 0.85


def test_route_json_prints_one_object(capsys: pytest.CaptureFixture[str]) -> None:
    """--json prints a single JSON object with the contract keys."""
    assert main(["route", "--json", "安宁西路上的路灯不亮了"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    data = json.loads(out[0])
    assert data["unit"] == "区城市管理局" and data["unit_kind"] == "department"
    assert data["category"] == "城乡建设" and data["emergency"] is None
    assert isinstance(data["matched"], list) and isinstance(data["alternatives"], list)
    assert "路灯" in out[0]  # ensure_ascii=False


def test_route_readable(capsys: pytest.CaptureFixture[str]) -> None:
    """Without --json the decision is explained in words."""
    assert main(["route", "楼下着火了"]) == 0
    out = capsys.readouterr().out
    assert "119" in out and "区消防救援大队" in out and "matched" in out


def test_route_file_keeps_order_and_blank_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--file writes one JSON line per input line, blanks as nulls, same order."""
    src = tmp_path / "in.txt"
    src.write_text("拖欠工资\n\n暖气不热\n", encoding="utf-8")
    assert main(["route", "--json", "--file", str(src)]) == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.strip("\n").split("\n")]
    assert [r["unit"] for r in rows] == ["区人力资源和社会保障局", None, "区供热管理办公室"]
    assert rows[1]["category"] is None


def test_route_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """An unreadable --file is a clear error, not a traceback."""
    assert main(["route", "--json", "--file", str(tmp_path / "none.txt")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_eval_on_labelled_set(capsys: pytest.CaptureFixture[str]) -> None:
    """The labelled set reaches the accuracy we claim."""
    code = main(["nlp", "eval", str(LABELLED), "--min-accuracy", str(MIN_UNIT_ACCURACY)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "unit: accuracy" in out and "category: accuracy" in out
    assert "precision" in out and "confusions" in out


def test_eval_fails_below_threshold_and_on_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--min-accuracy exits 1 below the bar; missing files and columns exit 2 with a message."""
    assert main(["nlp", "eval", str(LABELLED), "--min-accuracy", "0.999"]) == 1
    assert main(["nlp", "eval", str(tmp_path / "none.csv")]) == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("foo,bar\n1,2\n", encoding="utf-8")
    assert main(["nlp", "eval", str(bad)]) == 2
    assert "'text' column" in capsys.readouterr().err


def test_labelled_set_covers_every_unit() -> None:
    """At least 400 messages, every one of the 53 units several times."""
    import csv

    from nlp.directory import load_directory

    with LABELLED.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) >= 400
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["unit"]] = counts.get(row["unit"], 0) + 1
    for name in load_directory().unit_names():
        assert counts.get(name, 0) >= 3, name


def test_route_file_is_read_in_batches_with_splitlines_lines(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--file streams: batches of lines are routed and written before the next is read; lines
    are those of str.splitlines (CRLF, a lone CR and U+2028 end a line too); a file that is not
    UTF-8 is a clear error."""
    import bot.commands.route as route_command

    monkeypatch.setattr(route_command, "_BATCH", 2)
    text = "路灯坏了\r\n\r\n噪音扰民\r下水道堵了\u2028垃圾没人清\n"
    src = tmp_path / "in.txt"
    src.write_bytes(text.encode("utf-8"))
    assert main(["route", "--json", "--file", str(src)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == len(text.splitlines()) == 5
    assert rows[1]["category"] is None and rows[0]["subcategory"] == "路灯照明"
    # Decoding goes by 8 kB blocks: the answers for the blocks before the bad one are out.
    src.write_bytes("路灯坏了\n".encode() * 2000 + b"\xff\xfe bad\n")
    assert main(["route", "--json", "--file", str(src)]) == 2
    captured = capsys.readouterr()
    assert "cannot read" in captured.err and 0 < len(captured.out.splitlines()) < 2000
