"""`hotline run`: start every configured channel in one event loop, with the scheduled jobs.

With no messaging channel configured (the embedded default), it runs the console channel, so
`make run` gives a working bot in the terminal straight away. The outbox sender and the
follow-up sweep run beside the channels (see bot.scheduler); a channel that can receive pushes
registers its sender in `app.senders` before the jobs start.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from typing import Any, Protocol

from bot.app import App
from bot.commands.common import run_with_app
from bot.console import run_console
from bot.outbox.console import ConsoleSender
from bot.scheduler import Jobs, build_outbox_sender, build_sweep
from bot.telegram.throttle import SlotLimiter

log = logging.getLogger(__name__)


class _Channel(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("run", help="start the bot")
    parser.add_argument(
        "--console", action="store_true", help="also run the console channel in this terminal"
    )
    parser.add_argument("--user", default="console-user", help="console resident id")
    parser.set_defaults(func=_run)


async def _start_channels(app: App) -> list[_Channel]:
    """Start each configured messaging channel and register its push sender."""
    started: list[_Channel] = []
    telegram_settings = app.settings.telegram
    if telegram_settings.active:
        from bot.telegram import create_telegram_channel  # the chosen framework only
        from bot.telegram.delivery import TelegramSender
        from bot.telegram.replyspool import ReplySpool

        spool = ReplySpool(
            sessionmaker=app.sessionmaker, journal=app.deps.reply_journal, clock=app.deps.clock
        )
        telegram = create_telegram_channel(
            telegram_settings,
            app.conversation,
            media=app.media,
            spool=spool,
            limiter=await _shared_limiter(app),
        )
        await telegram.start()
        app.senders.register(TelegramSender(telegram))
        started.append(telegram)
        log.warning(
            "telegram: %s, %s via %s",
            telegram_settings.framework,
            telegram_settings.mode,
            telegram_settings.api_base_url,
        )
    from bot.wechat.channel import channel_for  # wechatpy only when configured

    wechat = channel_for(app)
    if wechat is not None:
        await wechat.start()
        app.senders.register(wechat.sender)
        started.append(wechat)
        log.warning("wechat: callback server at %s", wechat.url)
    return started


async def _shared_limiter(app: App) -> SlotLimiter | None:
    """The Redis limiter when `[telegram] rate_limit_backend = "redis"`, checked at start-up."""
    settings = app.settings.telegram
    if settings.rate_limit_backend != "redis" or settings.token is None:
        return None
    from bot.telegram.redis_limiter import RedisLimiter

    limiter = RedisLimiter.from_url(settings.redis_url, settings.token.get_secret_value())
    await limiter.check()
    return limiter


async def _until_stopped() -> None:
    """Wait for Ctrl-C or SIGTERM (a service manager stopping the bot)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def _start_web(app: App) -> _Channel | None:
    """The web workbench in this event loop, beside the channels ([web] enabled)."""
    if not app.settings.web.enabled:
        return None
    from bot.web.installers import INSTALLERS  # aiohttp-jinja2 and the pages only when on
    from bot.web.server import WebInbox, WebServer

    workbench = WebServer(app, installers=INSTALLERS)
    try:
        await workbench.start()
    except OSError as exc:
        # The chat channels keep serving residents; the operator sees why the pages are missing.
        log.error("web workbench not started on %s: %s", workbench.url, exc)
        await workbench.stop()
        return None
    app.senders.register(WebInbox())
    # Printed, not logged: `make run` shows it to a newcomer at the console.
    print(
        f"web workbench: {workbench.url}/login  (first login: `hotline web admin-link` "
        "prints a one-time link that sets the admin password)",
        file=sys.stderr,
        flush=True,
    )
    return workbench


def _run(args: argparse.Namespace) -> int:
    async def body(app: App) -> int:
        channels = await _start_channels(app)
        if not channels or args.console:
            app.senders.register(ConsoleSender())
        web = await _start_web(app)
        jobs = Jobs(app, sweep=build_sweep(app), sender=build_outbox_sender(app))
        jobs.start()
        try:
            if channels and not args.console:
                await _until_stopped()
            else:
                await run_console(app.conversation.handle, user_id=args.user)
        finally:
            await jobs.stop()
            for channel in reversed(channels):
                await channel.stop()
            if web is not None:
                await web.stop()
        return 0

    return run_with_app(args, body, log_level="WARNING", conversations=True)
