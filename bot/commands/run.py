"""`hotline run`: start every configured channel in one event loop, with the scheduled jobs.

With no messaging channel configured (the embedded default), it runs the console channel, so
`make run` gives a working bot in the terminal straight away. The outbox sender and the
follow-up sweep run beside the channels (see bot.scheduler); a channel that can receive pushes
registers its sender in `app.senders` before the jobs start.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from bot.app import App
from bot.commands.common import run_with_app
from bot.console import run_console
from bot.outbox.console import ConsoleSender
from bot.scheduler import Jobs, build_outbox_sender, build_sweep


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("run", help="start the bot")
    parser.add_argument(
        "--console", action="store_true", help="also run the console channel in this terminal"
    )
    parser.add_argument("--user", default="console-user", help="console resident id")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    async def body(app: App) -> int:
        from bot.wechat.channel import channel_for  # wechatpy only when `run` runs

        app.senders.register(ConsoleSender())
        wechat = channel_for(app)
        if wechat is not None:
            await wechat.start()
            app.senders.register(wechat.sender)
        jobs = Jobs(app, sweep=build_sweep(app), sender=build_outbox_sender(app))
        jobs.start()
        try:
            if wechat is not None and not args.console:
                await asyncio.Event().wait()  # serve until interrupted (Ctrl-C)
            else:
                await run_console(app.conversation.handle, user_id=args.user)
        finally:
            await jobs.stop()
            if wechat is not None:
                await wechat.stop()
        return 0

    return run_with_app(args, body, log_level="WARNING")
