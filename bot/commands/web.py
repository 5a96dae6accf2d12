"""`hotline web admin-link | link | list | first-run`: web workbench accounts.

Every web account belongs to a staff record (the same person may also work in chat). A link is
one-time and expires (`[web] setup_link_hours`); it sets the password. Only its hash is stored.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from bot.app import App
from bot.commands.common import app_command, run_with_app
from storage.models import StaffMember
from storage.staff import CENTRE_UNIT, ROLES, enrol_staff, unit_exists
from storage.webaccounts import (
    DESK_CHANNEL,
    issue_setup_link,
    list_accounts,
    login_taken,
    web_only_staff,
)

_LOGIN = re.compile(r"^[A-Za-z0-9._@-]{2,64}$")


def register(sub: Any) -> None:
    web = sub.add_parser("web", help="web workbench accounts")
    web_sub = web.add_subparsers(dest="web_command", required=True, metavar="ACTION")

    admin = web_sub.add_parser(
        "admin-link", help="one-time link that sets the password of a supervisor account"
    )
    admin.add_argument("--login", default="admin", help="login name (default: admin)")
    admin.add_argument("--name", default="管理员", help="display name of a new staff record")
    admin.set_defaults(func=_admin_link)

    link = web_sub.add_parser("link", help="one-time set-up link for any staff member")
    link.add_argument("--login", required=True, help="login name")
    link.add_argument("--staff", type=int, help="an existing staff record (e.g. from chat)")
    link.add_argument("--unit", help="unit of a new staff record (exact directory name)")
    link.add_argument("--role", choices=ROLES, help="role of a new staff record")
    link.add_argument("--name", help="display name of a new staff record")
    link.set_defaults(func=_link)

    listing = web_sub.add_parser("list", help="list web accounts")
    listing.set_defaults(func=_list)

    first = web_sub.add_parser(
        "first-run", help="print the workbench URL, and an admin link if nobody can log in yet"
    )
    first.set_defaults(func=_first_run)


async def _issue(app: App, member: StaffMember, login: str) -> str:
    settings = app.settings.web
    async with app.sessionmaker() as session, session.begin():
        token = await issue_setup_link(
            session=session,
            staff_id=member.id,
            login=login,
            now=app.deps.clock.now(),
            ttl=timedelta(hours=settings.setup_link_hours),
        )
    return f"{settings.base_url}/setup/{token}"


async def _new_member(
    app: App, *, login: str, unit: str, role: str, name: str | None
) -> StaffMember | None:
    """A staff record for someone who works in the browser only (channel "desk")."""
    async with app.sessionmaker() as session, session.begin():
        existing = await web_only_staff(session=session, login=login)
        owner = existing.id if existing is not None else -1
        if await login_taken(session=session, login=login, staff_id=owner):
            print(f"login {login!r} is taken by another staff member", file=sys.stderr)
            return None
        if not await unit_exists(session=session, name=unit):
            print(f"unknown unit {unit!r}: use the exact directory name", file=sys.stderr)
            return None
        return await enrol_staff(
            session=session,
            channel=DESK_CHANNEL,
            external_id=login,
            unit=unit,
            role=role,
            display_name=name,
            now=app.deps.clock.now(),
        )


def _print_link(url: str, login: str, hours: int) -> None:
    print(url)
    print(
        f"open it within {hours} h to set the password of {login!r}, then log in at "
        f"{url.split('/setup/')[0]}/login",
        file=sys.stderr,
    )


def _admin_link(args: argparse.Namespace) -> int:
    async def member(app: App) -> StaffMember | None:
        return await _new_member(
            app, login=args.login, unit=CENTRE_UNIT, role="supervisor", name=args.name
        )

    return _print_setup_link(args, member)


def _link(args: argparse.Namespace) -> int:
    if args.staff is None and (args.unit is None or args.role is None):
        print("give --staff ID, or --unit and --role for a new staff record", file=sys.stderr)
        return 2

    async def member(app: App) -> StaffMember | None:
        if args.staff is None:
            return await _new_member(
                app, login=args.login, unit=args.unit, role=args.role, name=args.name
            )
        async with app.sessionmaker() as session:
            found = await session.get(StaffMember, args.staff)
            taken = await login_taken(session=session, login=args.login, staff_id=args.staff)
        if found is None or not found.active:
            print(f"no active staff member {args.staff}", file=sys.stderr)
            return None
        if taken:
            print(f"login {args.login!r} is taken by another staff member", file=sys.stderr)
            return None
        return found

    return _print_setup_link(args, member)


def _print_setup_link(
    args: argparse.Namespace, member_of: Callable[[App], Awaitable[StaffMember | None]]
) -> int:
    """A one-time link that sets the password of `--login` for the staff member chosen."""
    if not _LOGIN.match(args.login):
        print("--login: 2-64 letters, digits, . _ @ -", file=sys.stderr)
        return 2

    async def body(app: App) -> int:
        member = await member_of(app)
        if member is None:
            return 2
        hours = app.settings.web.setup_link_hours
        _print_link(await _issue(app, member, args.login), args.login, hours)
        return 0

    return run_with_app(args, body, log_level="WARNING")


@app_command
async def _list(args: argparse.Namespace, app: App) -> int:
    async with app.sessionmaker() as session:
        rows = await list_accounts(session=session)
    if not rows:
        print("no web accounts")
    for account, member in rows:
        state = "password set" if account.password_hash else "waiting for set-up"
        active = "" if account.active and member.active else "  (disabled)"
        print(
            f"{account.login:<16} staff {member.id:>4}  {member.role:<10} "
            f"{member.unit_name}  {state}{active}"
        )
    return 0


@app_command
async def _first_run(args: argparse.Namespace, app: App) -> int:
    settings = app.settings.web
    if not settings.enabled:
        print("web workbench: off ([web] enabled = false)")
        return 0
    async with app.sessionmaker() as session:
        rows = await list_accounts(session=session)
    print(f"web workbench: {settings.base_url}/login")
    if any(a.password_hash for a, _ in rows):
        print("log in with your account; a new colleague: hotline web link --help")
        return 0
    member = await _new_member(
        app, login="admin", unit=CENTRE_UNIT, role="supervisor", name="管理员"
    )
    if member is None:
        return 2
    url = await _issue(app, member, "admin")
    print(f"first login: open {url}")
    print("to set the password of 'admin' (a supervisor), then log in as admin.")
    return 0
