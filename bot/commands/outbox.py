"""`hotline outbox [--dead] [--status S] [--json]`: what waits to be sent, and what never will."""

from __future__ import annotations

import argparse
import json
from typing import Any

from bot.app import App
from bot.commands.common import app_command
from storage.outbox import (
    DEAD,
    HELD,
    PENDING,
    SENT,
    SUPERSEDED,
    count_by_status,
    list_messages,
)

_STATUSES = (PENDING, HELD, SENT, DEAD, SUPERSEDED)


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "outbox", help="queued notifications: counts, and the newest rows with their last error"
    )
    parser.add_argument(
        "--dead", action="store_true", help="only dead letters (given up, with the reason)"
    )
    parser.add_argument("--status", choices=_STATUSES, help="only this status")
    parser.add_argument("--limit", type=int, default=50)
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(func=_outbox)


@app_command
async def _outbox(args: argparse.Namespace, app: App) -> int:
    status = DEAD if args.dead else args.status
    async with app.sessionmaker() as session:
        counts = await count_by_status(session=session)
        rows = await list_messages(session=session, status=status, limit=args.limit)
    items = [
        {
            "id": row.id,
            "status": row.status,
            "channel": row.channel,
            "recipient": row.recipient,
            "case_id": row.case_id,
            "attempts": row.attempts,
            "next_attempt_at": row.next_attempt_at.isoformat(),
            "last_error": row.last_error,
            "text": str(row.payload.get("text", ""))[:80],
        }
        for row in rows
    ]
    if args.json:
        print(json.dumps({"counts": counts, "rows": items}, ensure_ascii=False, indent=2))
        return 0
    print("  ".join(f"{name}: {counts.get(name, 0)}" for name in _STATUSES))
    for item in items:
        error = f"  error: {item['last_error']}" if item["last_error"] else ""
        print(
            f"#{item['id']} {item['status']:<10} {item['channel']}/{item['recipient']} "
            f"tries={item['attempts']} {item['text']!r}{error}"
        )
    return 0
