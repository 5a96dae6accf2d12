"""One of two processes pressing 提交 for the same residents at the same instant (issue 9).

    python -m tests.race_worker URL START_AT TAG USER...

Builds the real app on a PostgreSQL database the test prepared (every USER has a draft at the
summary step), sleeps until the wall-clock time START_AT, then hands the core one "submit" press
per user at once and prints one JSON line: {user: [reply texts]}.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from bot.app import build_app
from bot.config import Settings
from handlers.conversation.messages import Inbound


async def main(url: str, start_at: float, tag: str, users: list[str]) -> None:
    app = await build_app(Settings.model_validate({"database": {"url": url}}), prepare=False)
    try:
        # Open the pool's connections before the start, so both processes press at once.
        async with app.engine.connect():
            pass
        await asyncio.sleep(max(0.0, start_at - time.time()))
        inbounds = [
            Inbound(
                channel="telegram", user_id=u, chat_id=u, message_id=f"{tag}-{u}", choice="i:submit"
            )
            for u in users
        ]
        replies = await asyncio.gather(*(app.conversation.handle(i) for i in inbounds))
        print(json.dumps({u: [r.text for r in rs] for u, rs in zip(users, replies, strict=True)}))
    finally:
        await app.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4:]))
