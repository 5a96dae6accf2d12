"""Writing the 台账 to Excel (.xlsx) or CSV, for `hotline export` and the download button.

Rows are read in batches of cases (keyset by id, with their events) and appended to an
openpyxl write-only sheet, which spills to disk as it goes, so the rows take flat memory for any
range. The appends run in a worker thread so a large export does not stall the chat channels
sharing the event loop. The summary sheet is `build_report`, the code behind `hotline report`.
"""

from __future__ import annotations

import asyncio
import csv
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TextIO, cast

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from bot.app import App
from handlers.ledger import (
    COLUMNS,
    SUMMARY_COLUMNS,
    Cell,
    LedgerCase,
    LedgerEvent,
    ledger_row,
    summary_heading,
    summary_rows,
)
from handlers.report import Report, build_report
from handlers.texts import Texts
from storage.caselist import case_rows_in_range, event_rows_of_cases

BATCH = 1000
# 办结率, 按期办结率, 解决率, 满意率 (indexes in SUMMARY_COLUMNS) are shown as percentages.
_RATE_COLUMNS = frozenset({4, 5, 7, 8})
_TEXTS = Texts("zh")  # the ledger's words are Chinese whatever the bot's language


@dataclass(frozen=True, slots=True)
class LedgerRange:
    """Cases received in [start, end), optionally of one unit, as the log stands at `now`."""

    start: datetime
    end: datetime
    unit: str | None
    now: datetime


async def feed_rows(
    app: App,
    wanted: LedgerRange,
    write: Callable[[list[list[Cell]]], None],
    *,
    batch: int = BATCH,
) -> int:
    """Hand the ledger rows to `write` one batch at a time (in a thread); the row count."""
    zone = app.deps.zone
    count = 0
    async with app.sessionmaker() as session:
        async for cases in case_rows_in_range(
            session=session, start=wanted.start, end=wanted.end, unit=wanted.unit, batch=batch
        ):
            events = await event_rows_of_cases(session=session, case_ids=[c.id for c in cases])
            rows = [
                ledger_row(
                    cast(LedgerCase, case),
                    cast(list[LedgerEvent], events.get(case.id, [])),
                    zone=zone,
                    texts=_TEXTS,
                    now=wanted.now,
                )
                for case in cases
            ]
            await asyncio.to_thread(write, rows)
            count += len(rows)
    return count


async def ledger_report(app: App, wanted: LedgerRange) -> Report:
    async with app.sessionmaker() as session:
        return await build_report(
            session,
            start=wanted.start,
            end=wanted.end,
            unit=wanted.unit,
            now=wanted.now,
            calendar=app.deps.calendar,
        )


async def write_xlsx(app: App, wanted: LedgerRange, path: Path, *, batch: int = BATCH) -> int:
    """The 台账 sheet and the 汇总 sheet; returns the number of case rows."""
    book = Workbook(write_only=True)
    sheet: WriteOnlyWorksheet = book.create_sheet("台账")
    sheet.freeze_panes = "B2"
    sheet.append(list(COLUMNS))

    def append(rows: list[list[Cell]]) -> None:
        for row in rows:
            sheet.append(row)

    count = await feed_rows(app, wanted, append, batch=batch)
    report = await ledger_report(app, wanted)
    summary: WriteOnlyWorksheet = book.create_sheet("汇总")
    for line in summary_heading(report, app.deps.zone):
        summary.append(line)
    summary.append(list(SUMMARY_COLUMNS))
    for values in summary_rows(report):
        summary.append([_summary_cell(summary, i, v) for i, v in enumerate(values)])
    await asyncio.to_thread(book.save, path)
    return count


def _summary_cell(sheet: WriteOnlyWorksheet, index: int, value: Cell) -> object:
    if index in _RATE_COLUMNS and isinstance(value, float):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "0.0%"
        return cell
    return value


async def write_csv(app: App, wanted: LedgerRange, out: TextIO, *, batch: int = BATCH) -> int:
    """The 台账 rows as CSV (write a UTF-8 BOM first if Excel is to open it)."""
    writer = csv.writer(out)
    writer.writerow(COLUMNS)

    def append(rows: list[list[Cell]]) -> None:
        writer.writerows(rows)

    return await feed_rows(app, wanted, append, batch=batch)
