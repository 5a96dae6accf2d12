"""`hotline report [--from DATE] [--to DATE] [--unit U] [--json]`: the supervisors' figures."""

from __future__ import annotations

import argparse
import json
from typing import Any

from bot.app import App
from bot.commands.common import add_period_args, app_command, read_period
from handlers.report import build_report, format_report

DAYS = 30  # the default period: the last 30 days, today included


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "report", help="received, closed, on time, overdue, resolved and satisfaction rates"
    )
    add_period_args(parser, default_days=DAYS)
    parser.add_argument("--unit", help="only this unit (exact directory name)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(func=_report)


@app_command
async def _report(args: argparse.Namespace, app: App) -> int:
    period = read_period(args, app.deps, default_days=DAYS)
    async with app.sessionmaker() as session:
        report = await build_report(
            session,
            start=period.start,
            end=period.end,
            unit=args.unit,
            now=app.deps.clock.now(),
            calendar=app.deps.calendar,
        )
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        print(format_report(report, app.deps.texts, zone=app.deps.zone))
    return 0
