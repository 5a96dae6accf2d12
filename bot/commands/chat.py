"""`hotline chat [--user ID]`: a resident session in the terminal."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from bot.commands.common import run_with_app

if TYPE_CHECKING:
    from bot.app import App


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "chat", help="talk to the bot as a resident in this terminal (reads stdin until EOF)"
    )
    parser.add_argument("--user", default="console-user", help="resident id (default %(default)s)")
    parser.set_defaults(func=_chat)


def _chat(args: argparse.Namespace) -> int:
    async def body(app: App) -> int:
        from bot.console import run_console

        await run_console(app.conversation.handle, user_id=args.user)
        return 0

    # Keep the terminal for the conversation: only warnings go to stderr.
    return run_with_app(args, body, log_level="WARNING", conversations=True)
