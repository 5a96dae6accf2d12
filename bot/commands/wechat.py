"""`hotline wechat menu`: push the configured custom menu to the 公众号 (or `--show` it)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from bot.config import Settings


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("wechat", help="WeChat Official Account")
    commands = parser.add_subparsers(dest="wechat_command", required=True, metavar="COMMAND")
    menu = commands.add_parser("menu", help="push the [wechat.menu] custom menu")
    menu.add_argument(
        "--show", action="store_true", help="print the menu JSON instead of pushing it"
    )
    menu.set_defaults(func=_menu)


def _menu(args: argparse.Namespace) -> int:
    # Heavy imports here, not at start-up of every command.
    from bot.config import load_settings
    from bot.logs import setup_logging
    from bot.wechat.api import WeChatApiError
    from bot.wechat.menu import MenuError, menu_definition

    settings = load_settings(args.config)
    setup_logging(settings.log_level)
    try:
        definition = menu_definition(settings.wechat.menu)
    except MenuError as exc:
        print(f"hotline: [wechat.menu]: {exc}", file=sys.stderr)
        return 2
    if args.show:
        print(json.dumps(definition, ensure_ascii=False, indent=2))
        return 0
    if not settings.wechat.configured:
        print("hotline: [wechat] is not configured (app_id, secret, token...)", file=sys.stderr)
        return 2
    try:
        asyncio.run(_push(settings))
    except WeChatApiError as exc:
        print(f"hotline: WeChat refused the menu: {exc}", file=sys.stderr)
        return 1
    print("menu pushed; WeChat shows it to followers within minutes")
    return 0


async def _push(settings: Settings) -> None:
    from bot.app import build_app
    from bot.wechat.channel import build_parts

    # The one composition root: the same database (the shared access token lives there),
    # clock and texts as `hotline run`.
    app = await build_app(settings)
    try:
        parts = build_parts(settings.wechat, app.deps)
        await parts.push_menu()
    finally:
        await app.close()
