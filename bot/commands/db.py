"""`hotline db upgrade`: apply migrations and sync the units with the directory."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from bot.commands.common import run_with_app

if TYPE_CHECKING:
    from bot.app import App


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("db", help="database maintenance")
    db_sub = parser.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    upgrade = db_sub.add_parser("upgrade", help="migrate the schema to the newest version")
    upgrade.set_defaults(func=_upgrade)


def _upgrade(args: argparse.Namespace) -> int:
    async def body(app: App) -> int:
        # build_app has already migrated and synced the directory.
        print(f"database is up to date: {app.engine.url.render_as_string(hide_password=True)}")
        return 0

    return run_with_app(args, body)
