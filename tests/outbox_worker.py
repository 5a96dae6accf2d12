"""A stand-in `hotline run` for the two-process outbox test: drains one PostgreSQL outbox with
the real OutboxSender, "delivering" by appending to a file, and can hang mid-send to be killed.

    python -m tests.outbox_worker URL LOG [--concurrency N] [--delay S] [--lease S] [--hang-at N]

Each delivery writes `sent <text> <recipient> <time>` only when it completes; with --hang-at N the
N-th delivery writes `hang <text>` and never completes (the test then kills the process).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from datetime import timedelta

from sqlalchemy import func, select

from bot.delivery import DeliveryResult
from bot.outbox.policy import OutboxPolicy
from bot.outbox.registry import SenderRegistry
from bot.outbox.sender import OutboxSender
from handlers.conversation.messages import Outbound
from handlers.policy.clock import SystemClock
from storage.db import create_engine, create_sessionmaker
from storage.models import OutboxMessage


class FileRecordingSender:
    channel = "telegram"

    def __init__(self, path: str, delay: float, hang_at: int | None) -> None:
        self._file = open(path, "a", encoding="utf-8")  # noqa: SIM115 (open for the process)
        self._delay = delay
        self._hang_at = hang_at
        self._count = 0

    def _write(self, line: str) -> None:
        self._file.write(line + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    async def deliver(self, recipient: str, message: Outbound) -> DeliveryResult:
        self._count += 1
        if self._hang_at is not None and self._count == self._hang_at:
            self._write(f"hang {message.text} {recipient}")
            await asyncio.sleep(3600)
        await asyncio.sleep(self._delay)
        self._write(f"sent {message.text} {recipient} {time.time():.6f}")
        return DeliveryResult.sent()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("log")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--delay", type=float, default=0.02)
    parser.add_argument("--lease", type=float, default=3.0)
    parser.add_argument("--hang-at", type=int, default=None)
    args = parser.parse_args()
    engine = create_engine(args.url)
    sessionmaker = create_sessionmaker(engine)
    registry = SenderRegistry()
    registry.register(FileRecordingSender(args.log, args.delay, args.hang_at))
    sender = OutboxSender(
        sessionmaker=sessionmaker,
        senders=registry,
        clock=SystemClock(),
        policy=OutboxPolicy(
            concurrency=args.concurrency, batch_size=10, lease=timedelta(seconds=args.lease)
        ),
    )
    try:
        while True:
            await sender.drain()
            async with sessionmaker() as session:
                left = (
                    await session.execute(
                        select(func.count())
                        .select_from(OutboxMessage)
                        .where(OutboxMessage.status != "sent")
                    )
                ).scalar_one()
            if left == 0:
                return
            await asyncio.sleep(0.1)
    finally:
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
