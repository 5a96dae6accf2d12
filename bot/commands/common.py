"""Shared plumbing for commands that need the database: build the app, run, close."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from bot.commands.errors import UsageError
from bot.config import load_settings
from bot.logs import setup_logging

if TYPE_CHECKING:
    # Imported lazily below: the app pulls in SQLAlchemy, which quick commands do not need.
    from bot.app import App
    from handlers.context import CoreDeps


def run_with_app(
    args: argparse.Namespace,
    body: Callable[[App], Awaitable[int]],
    *,
    log_level: str | None = None,
    conversations: bool = False,
) -> int:
    """Build the app, run `body`, close it. `conversations` is for commands that talk to
    residents (run, chat): they load the knowledge base too when [kb] is enabled."""
    settings = load_settings(args.config)
    setup_logging(log_level or settings.log_level)

    async def main() -> int:
        from bot.app import build_app

        app = await build_app(settings, knowledge=conversations)
        try:
            return await body(app)
        finally:
            await app.close()

    return asyncio.run(main())


def add_actions(sub: Any, name: str, help: str) -> Any:
    """A command whose first argument is an action (`hotline NAME ACTION …`); returns the
    sub-parsers to add the actions to."""
    parser = sub.add_parser(name, help=help)
    dest = f"{name.replace('-', '_')}_command"
    return parser.add_subparsers(dest=dest, required=True, metavar="ACTION")


def app_command(
    body: Callable[[argparse.Namespace, App], Awaitable[int]],
) -> Callable[[argparse.Namespace], int]:
    """A sub-command's `func` that needs the database: `body(args, app)` runs with the app
    built from the configuration and closed after, logging warnings only (the output is the
    command's own)."""

    def run(args: argparse.Namespace) -> int:
        return run_with_app(args, lambda app: body(args, app), log_level="WARNING")

    return run


@dataclass(frozen=True, slots=True)
class Period:
    """Whole local days, `first` to `last` included, and the instants that bound them."""

    first: date
    last: date
    start: datetime
    end: datetime  # midnight after `last`


def add_period_args(parser: argparse.ArgumentParser, *, default_days: int | None) -> None:
    """`--from DATE --to DATE` (local dates); required when there is no default span."""
    required = default_days is None
    first = "first day" if required else f"first day (default: {default_days} days up to --to)"
    last = "last day, included" + ("" if required else " (default: today)")
    parser.add_argument(
        "--from", dest="start", type=date.fromisoformat, required=required, help=first
    )
    parser.add_argument("--to", dest="end", type=date.fromisoformat, required=required, help=last)


def read_period(args: argparse.Namespace, deps: CoreDeps, *, default_days: int = 1) -> Period:
    """The whole local days the arguments name (ending today by default)."""
    zone, now = deps.zone, deps.clock.now()
    last: date = args.end or now.astimezone(zone).date()
    first: date = args.start or last - timedelta(days=default_days - 1)
    if first > last:
        raise UsageError("--from is after --to")
    start = datetime.combine(first, time(0), zone)
    return Period(first, last, start, datetime.combine(last + timedelta(days=1), time(0), zone))
