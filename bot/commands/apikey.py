"""`hotline api-key create|list|revoke`: keys of Open311 GeoReport v2 clients (issue 12).

`create` prints the key once; only its hash is stored, so a lost key is revoked and replaced.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import Any

from bot.app import App
from bot.commands.common import add_actions, app_command, run_with_app
from storage.apikeys import ApiKeyNameTaken, create_api_key, list_api_keys, revoke_api_key

_NAME = re.compile(r"^[\w.@-]{1,64}$")


def register(sub: Any) -> None:
    actions = add_actions(sub, "api-key", "keys of Open311 clients")

    create = actions.add_parser("create", help="print a new key for a client (shown once)")
    create.add_argument("--name", required=True, help="the client's name, e.g. city-platform")
    create.set_defaults(func=_create)

    listing = actions.add_parser("list", help="list keys (never the keys themselves)")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(func=_list)

    revoke = actions.add_parser("revoke", help="revoke a client's key")
    revoke.add_argument("name")
    revoke.set_defaults(func=_revoke)


def _create(args: argparse.Namespace) -> int:
    if not _NAME.match(args.name):
        print("--name: 1-64 letters, digits, '.', '_', '@' or '-'", file=sys.stderr)
        return 2

    async def body(app: App) -> int:
        try:
            async with app.sessionmaker() as session, session.begin():
                _, key = await create_api_key(
                    session=session, name=args.name, now=app.deps.clock.now()
                )
        except ApiKeyNameTaken:
            print(f"{args.name} already has a live key: revoke it first", file=sys.stderr)
            return 1
        print(key)
        print(f"API key for {args.name}: shown once, store it now", file=sys.stderr)
        return 0

    return run_with_app(args, body, log_level="WARNING")


@app_command
async def _list(args: argparse.Namespace, app: App) -> int:
    async with app.sessionmaker() as session:
        rows = [
            {
                "name": k.name,
                "prefix": k.prefix,
                "created_at": k.created_at.isoformat(),
                "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None,
            }
            for k in await list_api_keys(session=session)
        ]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("no API keys")
    for row in rows:
        state = f"  revoked {row['revoked_at']}" if row["revoked_at"] else ""
        print(f"{row['name']:<24} {row['prefix']}…  created {row['created_at']}{state}")
    return 0


@app_command
async def _revoke(args: argparse.Namespace, app: App) -> int:
    async with app.sessionmaker() as session, session.begin():
        done = await revoke_api_key(session=session, name=args.name, now=app.deps.clock.now())
    if not done:
        print(f"no live key for {args.name}", file=sys.stderr)
        return 1
    print(f"revoked the key of {args.name}")
    return 0
