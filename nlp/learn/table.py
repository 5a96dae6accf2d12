"""Reading a labelled history (台账): a CSV or Excel file with a text and a label column."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from nlp.errors import NlpError

_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y/%m/%d %H:%M:%S",
                 "%Y/%m/%d %H:%M", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")  # fmt: skip


class TrainingDataError(NlpError):
    """The history file is missing, unreadable or lacks a named column; says which."""


@dataclass(frozen=True, slots=True)
class LabelledRows:
    """Texts with their labels (and, when asked for, the time of each row)."""

    texts: tuple[str, ...]
    labels: tuple[str, ...]
    times: tuple[datetime | None, ...]
    skipped: int = 0  # rows without text or label

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, indexes: Sequence[int]) -> LabelledRows:
        return LabelledRows(
            tuple(self.texts[i] for i in indexes),
            tuple(self.labels[i] for i in indexes),
            tuple(self.times[i] for i in indexes),
        )


def parse_time(value: object) -> datetime | None:
    """A cell as a datetime: Excel dates, ISO strings and the usual Chinese forms; else None."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    text = str(value or "").strip()
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def _csv_rows(path: Path) -> Iterator[list[Any]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        yield from csv.reader(fh)


def _xlsx_rows(path: Path) -> Iterator[list[Any]]:
    # openpyxl only for Excel files: CSV users never pay for importing it.
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield list(row)
    finally:
        book.close()


def read_labelled_rows(
    path: Path, *, text_column: str, label_column: str, time_column: str | None = None
) -> LabelledRows:
    """Rows of a .csv (UTF-8) or .xlsx file (first sheet, header in the first row)."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise TrainingDataError(f"{path}: expected a .csv or .xlsx file")
    reader = _xlsx_rows if suffix == ".xlsx" else _csv_rows
    try:
        rows = reader(path)
        header = [str(c or "").strip() for c in next(rows, [])]
        wanted = [text_column, label_column] + ([time_column] if time_column else [])
        missing = [c for c in wanted if c not in header]
        if missing:
            raise TrainingDataError(
                f"{path}: no column {missing[0]!r}; found: {', '.join(h for h in header if h)}"
            )
        ti, li = header.index(text_column), header.index(label_column)
        tm = header.index(time_column) if time_column else None
        texts: list[str] = []
        labels: list[str] = []
        times: list[datetime | None] = []
        skipped = 0
        for row in rows:
            cells = list(row) + [None] * (len(header) - len(row))
            text = str(cells[ti] or "").strip()
            label = str(cells[li] or "").strip()
            if not text or not label:
                skipped += 1
                continue
            texts.append(text)
            labels.append(label)
            times.append(parse_time(cells[tm]) if tm is not None else None)
    except FileNotFoundError as exc:
        raise TrainingDataError(f"{path}: file not found") from exc
    except TrainingDataError:
        raise
    except Exception as exc:  # csv, zip and XML errors of a damaged file all mean "cannot read"
        raise TrainingDataError(f"{path}: cannot read: {exc}") from exc
    return LabelledRows(tuple(texts), tuple(labels), tuple(times), skipped)
