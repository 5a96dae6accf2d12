"""Shared plumbing for commands that need the database: build the app, run, close."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from bot.config import load_settings
from bot.logs import setup_logging

if TYPE_CHECKING:
    # Imported lazily below: the app pulls in SQLAlchemy, which quick commands do not need.
    from bot.app import App


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
