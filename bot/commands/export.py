"""`hotline export --from DATE --to DATE [--unit U] (--xlsx PATH | --csv PATH)`: the 台账."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from bot.app import App
from bot.commands.common import add_period_args, app_command, read_period
from bot.web.ledgerfile import LedgerRange, write_csv, write_xlsx


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "export", help="the case ledger (台账) as Excel or CSV"
    )
    add_period_args(parser, default_days=None)  # days of receipt
    parser.add_argument("--unit", help="only this unit (exact directory name)")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--xlsx", type=Path, metavar="PATH", help="write an Excel workbook")
    target.add_argument("--csv", type=Path, metavar="PATH", help="write CSV (UTF-8 with BOM)")
    parser.set_defaults(func=_export)


@app_command
async def _export(args: argparse.Namespace, app: App) -> int:
    now = app.deps.clock.now()
    period = read_period(args, app.deps)
    wanted = LedgerRange(
        start=period.start,
        end=period.end,
        unit=args.unit,
        now=now,
    )
    started = time.perf_counter()
    if args.xlsx is not None:
        rows = await write_xlsx(app, wanted, args.xlsx)
        path = args.xlsx
    else:
        with args.csv.open("w", encoding="utf-8-sig", newline="") as out:
            rows = await write_csv(app, wanted, out)
        path = args.csv
    seconds = time.perf_counter() - started
    print(f"{rows} cases written to {path} in {seconds:.1f} s", file=sys.stderr)
    return 0
