"""`hotline staff invite|list|remove`: who may work cases in the bot.

An invite prints a one-time code; the person sends `/join CODE` to the bot (or `/bindgroup CODE`
in a unit's group chat). Only the code's hash is stored.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from datetime import timedelta
from typing import Any

from bot.app import App
from bot.commands.common import add_actions, app_command, run_with_app
from storage.staff import CENTRE_UNIT, ROLES, create_invite, list_staff, remove_staff, unit_exists
from storage.units import active_units

_CENTRE_ROLES = ("dispatcher", "supervisor")


def register(sub: Any) -> None:
    staff_sub = add_actions(sub, "staff", "unit staff, dispatchers and supervisors")

    invite = staff_sub.add_parser("invite", help="print a one-time code to join the bot")
    invite.add_argument(
        "--unit",
        help=f"exact directory name of the unit (dispatchers and supervisors: {CENTRE_UNIT})",
    )
    invite.add_argument("--role", choices=ROLES, required=True)
    invite.add_argument("--ttl-hours", type=int, default=72, help="hours until the code expires")
    invite.set_defaults(func=_invite)

    listing = staff_sub.add_parser("list", help="list staff")
    listing.add_argument("--unit", help="only this unit (exact directory name)")
    listing.add_argument("--all", action="store_true", help="include removed staff")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(func=_list)

    remove = staff_sub.add_parser("remove", help="remove a member (their history is kept)")
    remove.add_argument("id", type=int)
    remove.set_defaults(func=_remove)


async def _check_unit(app: App, unit: str) -> bool:
    async with app.sessionmaker() as session:
        if await unit_exists(session=session, name=unit):
            return True
        names = [u.name for u in await active_units(session=session)]
    close = difflib.get_close_matches(unit, names, n=3, cutoff=0.3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    print(f"unknown unit {unit!r}: use the exact directory name{hint}", file=sys.stderr)
    return False


def _invite(args: argparse.Namespace) -> int:
    if args.ttl_hours < 1:
        print("--ttl-hours must be at least 1", file=sys.stderr)
        return 2
    unit = args.unit or (CENTRE_UNIT if args.role in _CENTRE_ROLES else None)
    if unit is None:
        print(f"--unit is required for the role {args.role}", file=sys.stderr)
        return 2

    async def body(app: App) -> int:
        if not await _check_unit(app, unit):
            return 2
        ttl = timedelta(hours=args.ttl_hours)
        async with app.sessionmaker() as session, session.begin():
            now = app.deps.clock.now()
            code = await create_invite(session=session, unit=unit, role=args.role, now=now, ttl=ttl)
        expires = (now + ttl).astimezone(app.deps.zone).strftime("%Y-%m-%d %H:%M")
        print(code)
        print(
            f"one-time code for {args.role} of {unit}, valid until {expires}: send "
            f"/join {code} to the bot in a private chat, or /bindgroup {code} in the unit's group",
            file=sys.stderr,
        )
        return 0

    return run_with_app(args, body, log_level="WARNING")


@app_command
async def _list(args: argparse.Namespace, app: App) -> int:
    if args.unit and not await _check_unit(app, args.unit):
        return 2
    async with app.sessionmaker() as session:
        members = await list_staff(session=session, unit=args.unit, include_removed=args.all)
        rows = [
            {
                "id": m.id,
                "unit": m.unit_name,
                "role": m.role,
                "channel": m.channel,
                "account": m.external_id,
                "name": m.display_name,
                "active": m.active,
                "joined_at": m.created_at.isoformat(),
            }
            for m in members
        ]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("no staff")
    for row in rows:
        state = "" if row["active"] else "  (removed)"
        print(
            f"{row['id']:>4}  {row['role']:<10} {row['unit']}  "
            f"{row['channel']}:{row['account']}  {row['name'] or '-'}{state}"
        )
    return 0


@app_command
async def _remove(args: argparse.Namespace, app: App) -> int:
    async with app.sessionmaker() as session, session.begin():
        member = await remove_staff(session=session, staff_id=args.id)
    if member is None:
        print(f"no staff member {args.id}", file=sys.stderr)
        return 1
    print(f"removed {member.id}: {member.role} of {member.unit_name}")
    return 0
