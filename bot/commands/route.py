"""`hotline route`: show how the router would dispatch a message (or a file of messages)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nlp.router import RouteDecision, Router


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "route", help="route a message: category, unit, place, confidence and reasons"
    )
    parser.add_argument("text", nargs="?", help="the message (omit with --file)")
    parser.add_argument("--json", action="store_true", help="print JSON (one object per message)")
    parser.add_argument("--file", metavar="PATH", help="UTF-8 file, one message per line")
    parser.add_argument("--place", metavar="NAME", default=None, help="place hint (subdistrict)")
    parser.set_defaults(func=run)


def _load_router(args: argparse.Namespace) -> Router:
    from bot.config import load_settings
    from nlp.router import Router

    settings = load_settings(args.config)
    return Router.load(settings.directory.data_dir)


def _readable(decision: RouteDecision) -> str:
    d = decision
    lines = []
    if d.emergency:
        lines.append(f"!! 紧急情况 emergency: 请立即拨打 {d.emergency}")
    lines.append(f"类别 category:    {d.category or '-'} / {d.subcategory or '-'}")
    if d.unit:
        lines.append(f"承办单位 unit:    {d.unit} ({d.unit_kind})")
    elif d.needs_place:
        lines.append("承办单位 unit:    - (属地事项 territorial: place unknown, ask the resident)")
    else:
        lines.append("承办单位 unit:    - (to the dispatcher 待派单)")
    lines.append(f"置信度 confidence: {d.confidence:.2f}")
    lines.append(f"依据 matched:     {', '.join(d.matched) or '-'}")
    place = d.place or "-"
    if d.subdistrict:
        place += f" ({d.subdistrict})"
    lines.append(f"地点 place:       {place}")
    for alt in d.alternatives:
        lines.append(
            f"  备选 alternative: {alt.category}/{alt.subcategory} -> {alt.unit or '-'}"
            f" ({alt.confidence:.2f})"
        )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from nlp.errors import NlpError
    from nlp.router import EMPTY_DECISION

    if args.file is None and args.text is None:
        print("hotline route: give a TEXT or --file PATH", file=sys.stderr)
        return 2
    if args.file is not None:
        try:
            lines = Path(args.file).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            print(f"hotline route: cannot read {args.file}: {exc}", file=sys.stderr)
            return 2
    else:
        lines = [args.text]
    try:
        router = _load_router(args)
    except NlpError as exc:
        print(f"hotline route: {exc}", file=sys.stderr)
        return 2
    out = sys.stdout
    for i, line in enumerate(lines):
        decision = router.route(line, place_hint=args.place) if line.strip() else EMPTY_DECISION
        if args.json:
            out.write(json.dumps(decision.to_json(), ensure_ascii=False) + "\n")
        else:
            if i:
                out.write("\n")
            out.write(_readable(decision) + "\n")
    return 0
