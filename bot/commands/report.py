"""`hotline report [--from DATE] [--to DATE] [--unit U] [--json]`: the supervisors' figures."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime, time, timedelta
from typing import Any

from bot.app import App
from bot.commands.common import run_with_app
from handlers.report import build_report, format_report


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "report", help="received, closed, on time, overdue, resolved and satisfaction rates"
    )
    parser.add_argument(
        "--from", dest="start", type=date.fromisoformat, help="first day (default: 30 days ago)"
    )
    parser.add_argument(
        "--to", dest="end", type=date.fromisoformat, help="last day, included (default: today)"
    )
    parser.add_argument("--unit", help="only this unit (exact directory name)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(func=_report)


def _report(args: argparse.Namespace) -> int:
    async def body(app: App) -> int:
        zone = app.deps.zone
        now = app.deps.clock.now()
        today = now.astimezone(zone).date()
        last: date = args.end or today
        first: date = args.start or last - timedelta(days=29)
        if first > last:
            print("hotline: --from is after --to", file=sys.stderr)
            return 2
        start = datetime.combine(first, time(0), zone)
        end = datetime.combine(last + timedelta(days=1), time(0), zone)
        async with app.sessionmaker() as session:
            report = await build_report(
                session, start=start, end=end, unit=args.unit, now=now, calendar=app.deps.calendar
            )
        if args.json:
            print(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
        else:
            print(format_report(report, app.deps.texts, zone=zone))
        return 0

    return run_with_app(args, body, log_level="WARNING")
