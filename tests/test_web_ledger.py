"""The 台账: one row per case with the fixed columns, a summary equal to `hotline report`, from the
CLI, the download button and CSV."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import sys
from pathlib import Path

from openpyxl import load_workbook

from bot.app import App
from bot.web.ledgerfile import LedgerRange, write_xlsx
from handlers.ledger import COLUMNS, SUMMARY_COLUMNS
from handlers.policy.clock import FixedClock
from handlers.report import Report
from storage.staff import CENTRE_UNIT
from tests.web_helpers import (
    NOVEMBER,
    Browser,
    november_report,
    rated_scenario,
    web_staff,
)

HOTLINE = str(Path(sys.executable).with_name("hotline"))


def check_workbook(data: bytes | Path, report: Report) -> None:
    """Rows, columns and the summary of an exported workbook against the report."""
    book = load_workbook(data if isinstance(data, Path) else io.BytesIO(data), read_only=True)
    assert book.sheetnames == ["台账", "汇总"]
    rows = list(book["台账"].iter_rows(values_only=True))
    assert rows[0] == COLUMNS
    cases = rows[1:]
    assert len(cases) == report.total.received
    on_time = [r[COLUMNS.index("是否按期")] for r in cases]
    assert on_time.count("是") == report.total.on_time
    assert on_time.count("是") + on_time.count("否") == report.total.on_time_base
    assert all(str(r[1]).startswith("2026-11-25 10:00") for r in cases)  # local time
    summary = list(book["汇总"].iter_rows(values_only=True))
    header = summary.index(SUMMARY_COLUMNS)
    lines = {row[0]: row for row in summary[header + 1 :]}
    total = report.total.to_json()
    line = lines["合计"]
    for name, key in (
        ("受理", "received"),
        ("办结", "closed"),
        ("在办", "in_progress"),
        ("办结率", "closure_rate"),
        ("按期办结率", "on_time_rate"),
        ("解决率", "resolved_rate"),
        ("满意率", "satisfaction_rate"),
        ("超期在办", "overdue_now"),
        ("未评价", "unrated"),
    ):
        assert line[SUMMARY_COLUMNS.index(name)] == total[key], name
    for figures in report.units:
        assert (
            lines[figures.unit][SUMMARY_COLUMNS.index("满意率")]
            == (figures.to_json()["satisfaction_rate"])
        )


async def test_export_rows_and_rates_equal_the_report(
    app: App, clock: FixedClock, tmp_path: Path
) -> None:
    """The workbook has a row per case and a summary whose figures are the report's."""
    now = await rated_scenario(app, clock)
    report = await november_report(app, now)
    path = tmp_path / "ledger.xlsx"
    wanted = LedgerRange(start=NOVEMBER[0], end=NOVEMBER[1], unit=None, now=now)
    assert await write_xlsx(app, wanted, path, batch=3) == 4  # several batches
    check_workbook(path, report)
    rows = list(load_workbook(path, read_only=True)["台账"].iter_rows(values_only=True))[1:]
    solved = sorted(str(r[COLUMNS.index("解决情况")]) for r in rows)
    assert solved == sorted(["已解决", "未解决", "未评价", "—"])
    assert sorted(str(r[COLUMNS.index("是否按期")]) for r in rows) == ["否", "是", "是", "超期"]


async def test_the_download_button_gives_the_same_workbook(
    app: App, clock: FixedClock, browser: Browser
) -> None:
    """A supervisor downloads the 台账 from the page: Excel and CSV with the same rows."""
    now = await rated_scenario(app, clock)
    report = await november_report(app, now)
    await web_staff(app, "boss", CENTRE_UNIT, "supervisor")
    await browser.login("boss")
    query = "from=2026-11-01&to=2026-11-30"
    response = await browser.client.get(f"/desk/ledger/download?{query}&format=xlsx")
    assert response.status == 200
    assert "attachment" in response.headers["Content-Disposition"]
    check_workbook(await response.read(), report)
    response = await browser.client.get(f"/desk/ledger/download?{query}&format=csv")
    text = (await response.read()).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert tuple(rows[0]) == COLUMNS and len(rows) == 1 + report.total.received


async def test_the_export_command_writes_the_workbook(
    app: App, clock: FixedClock, tmp_path: Path, db_url: str
) -> None:
    """`hotline export --from --to --xlsx` writes the same workbook from the command line."""
    now = await rated_scenario(app, clock)
    config = tmp_path / "config.toml"
    config.write_text(f'[database]\nurl = "{db_url}"\n', encoding="utf-8")
    path = tmp_path / "out.xlsx"
    process = await asyncio.create_subprocess_exec(
        HOTLINE,
        "export",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
        "--xlsx",
        str(path),
        "--config",
        str(config),
        env={**os.environ},
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()
    rows = list(load_workbook(path, read_only=True)["台账"].iter_rows(values_only=True))
    # The command reports at its own "now" (the real clock), so the rows, not the rates, are
    # compared with the report.
    report = await november_report(app, now)
    assert rows[0] == COLUMNS and len(rows) == 1 + report.total.received
    assert "4 cases" in stderr.decode()
