"""`hotline sweep [--now ISO-TIME] [--json]`: one follow-up pass at a given time."""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from typing import Any

from bot.app import App
from bot.commands.common import app_command


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "sweep", help="run one follow-up pass (reminders, alerts, callbacks, auto-close, digests)"
    )
    parser.add_argument(
        "--now",
        metavar="ISO-TIME",
        type=iso_time,
        help="pretend it is this time (e.g. 2026-11-27T17:31; no offset = office time zone)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(func=_sweep)


def iso_time(text: str) -> str:
    """argparse check: `--now yesterday` is a usage error, not a traceback."""
    try:
        datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not an ISO time: {text!r} (e.g. 2026-11-27T17:31)"
        ) from None
    return text


def parse_instant(text: str, app: App) -> datetime:
    """An ISO time; without an offset it is read in the office time zone."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=app.deps.zone)
    return moment


@app_command
async def _sweep(args: argparse.Namespace, app: App) -> int:
    from bot.scheduler import build_sweep

    now = parse_instant(args.now, app) if args.now else None
    result = await build_sweep(app).run(now)
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        return 0
    local = result.at.astimezone(app.deps.zone)
    print(f"sweep at {local:%Y-%m-%d %H:%M:%S %Z}: {result.planned} case(s) planned")
    for fired in result.fired:
        due = fired.due_at.astimezone(app.deps.zone)
        what = "skipped (deadline passed)" if fired.skipped else f"{fired.messages} message(s)"
        print(f"  {fired.case_number}  {fired.kind:<13} due {due:%m-%d %H:%M}  {what}")
    if not result.fired:
        print("  nothing due")
    if result.digest is not None:
        print(f"  daily digest: {result.digest} message(s)")
    if result.bulletin is not None:
        print(f"  weekly bulletin: {result.bulletin} message(s)")
    print(f"  due-work queries {result.find_ms:.1f} ms, whole pass {result.total_ms:.1f} ms")
    return 0
