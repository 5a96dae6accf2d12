"""Small labelled histories for the learned-router tests, from the team's labelled set."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from pathlib import Path

LABELLED = Path(__file__).parent / "data" / "labelled.csv"
START = datetime(2026, 1, 5)


def labelled_rows(limit: int | None = None) -> list[dict[str, str]]:
    with LABELLED.open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["unit"]]
    return rows[:limit] if limit else rows


def write_history_csv(path: Path, rows: list[dict[str, str]], *, per_day: int = 4) -> Path:
    """A 台账-like CSV: 诉求内容, 承办单位, 一级分类, 受理时间 (one day per `per_day` rows)."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["诉求内容", "承办单位", "一级分类", "受理时间"])
        for i, row in enumerate(rows):
            day = START + timedelta(days=i // per_day)
            out.writerow([row["text"], row["unit"], row["category"], f"{day:%Y-%m-%d}"])
    return path


def write_history_xlsx(path: Path, rows: list[dict[str, str]]) -> Path:
    """The same as an Excel file, with real date cells, as a centre exports its 台账."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["诉求内容", "承办单位", "一级分类", "受理时间"])
    for i, row in enumerate(rows):
        sheet.append([row["text"], row["unit"], row["category"], START + timedelta(days=i // 4)])
    book.save(path)
    return path
