"""`hotline run`: start every configured channel in one event loop.

With no messaging channel configured (the embedded default), it runs the console channel, so
`make run` gives a working bot in the terminal straight away.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from bot.commands.common import run_with_app

if TYPE_CHECKING:
    from bot.app import App


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("run", help="start the bot")
    parser.add_argument(
        "--console", action="store_true", help="also run the console channel in this terminal"
    )
    parser.add_argument("--user", default="console-user", help="console resident id")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    async def body(app: App) -> int:
        from bot.console import run_console

        await run_console(app.conversation.handle, user_id=args.user)
        return 0

    return run_with_app(args, body, log_level="WARNING")
