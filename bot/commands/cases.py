"""`hotline case show NUMBER` and `hotline cases`: look at cases from the terminal."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from bot.commands.common import add_actions, app_command
from handlers.policy.lifecycle import CaseState

if TYPE_CHECKING:
    from bot.app import App


def register(sub: Any) -> None:
    case_sub = add_actions(sub, "case", "one case")
    show = case_sub.add_parser("show", help="a case with its history")
    show.add_argument("number")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(func=_show)

    cases = sub.add_parser("cases", help="list cases")
    cases.add_argument("--unit", help="only this unit (exact directory name)")
    cases.add_argument("--state", choices=[s.value for s in CaseState], help="only this state")
    cases.add_argument("--limit", type=positive_int, default=200, help="at most this many")
    cases.add_argument("--json", action="store_true", help="print JSON")
    cases.set_defaults(func=_list)


def positive_int(text: str) -> int:
    """argparse check: a negative LIMIT would reach the database as an SQL error."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


@app_command
async def _show(args: argparse.Namespace, app: App) -> int:
    from handlers.desk.views import case_detail
    from storage.cases import get_case

    async with app.sessionmaker() as session:
        case = await get_case(session=session, number=args.number.strip().upper(), with_events=True)
        if case is None:
            print(f"no case {args.number}", file=sys.stderr)
            return 1
        detail = case_detail(case, list(case.events))
    if args.json:
        print(json.dumps(detail, ensure_ascii=False, indent=2))
        return 0
    for key in (
        "number",
        "state",
        "type",
        "category",
        "subcategory",
        "unit",
        "urgency",
        "place",
        "place_subdistrict",
        "contact",
        "emergency",
        "created_at",
    ):
        print(f"{key:>18}: {detail[key] if detail[key] is not None else '-'}")
    print(f"{'text':>18}: {detail['text']}")
    print("events:")
    for event in detail["events"]:
        note = f"  {event['note']}" if event["note"] else ""
        print(
            f"  {event['at']}  {event['actor']:<10} {event['action']:<18}"
            f" {event['from'] or '-'} -> {event['to'] or '-'}{note}"
        )
    return 0


@app_command
async def _list(args: argparse.Namespace, app: App) -> int:
    from handlers.desk.views import case_row
    from storage.cases import list_cases

    if args.unit and args.unit not in app.router.unit_names():
        print(f"unknown unit {args.unit!r}; see the directory for exact names", file=sys.stderr)
        return 2
    async with app.sessionmaker() as session:
        rows = [
            case_row(c)
            for c in await list_cases(
                session=session, unit=args.unit, state=args.state, limit=args.limit
            )
        ]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("no cases")
    for row in rows:
        print(
            f"{row['number']}  {row['state']:<16} {row['type']:<10} "
            f"{row['category'] or '-':<8} {row['unit'] or '-'}"
        )
    return 0
