"""The outbox sender against a stand-in Telegram that enforces the flood limits (30 msg/s per
bot, 1/s per private chat, 20/min per group): 10,000 queued pushes, how fast, and any 429.

The real path: OutboxSender -> TelegramSender -> the aiogram channel's throttle -> HTTP.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from bench.common import fresh_database
from bot.config import TelegramSettings
from bot.outbox.policy import OutboxPolicy
from bot.outbox.registry import SenderRegistry
from bot.outbox.sender import OutboxSender
from bot.telegram.delivery import TelegramSender
from bot.telegram.factory import create_telegram_channel
from bot.telegram.throttle import RateLimits
from handlers.conversation.messages import Inbound, Outbound
from handlers.policy.clock import SystemClock
from storage.db import create_engine, create_sessionmaker
from storage.migrate import upgrade
from storage.outbox import count_by_status, enqueue
from tests.fakes.telegram_api import FakeTelegramAPI


class _NoCore:
    async def handle(self, inbound: Inbound) -> list[Outbound]:
        return []


async def _main(quick: bool) -> None:
    private_chats, per_chat = (90, 10) if quick else (980, 10)
    groups, per_group = (5, 20) if quick else (10, 20)
    total = private_chats * per_chat + groups * per_group
    # Its own database: another section (or a colleague's run) dropping hotline_bench must
    # not cut this five-minute run short.
    async with (
        fresh_database("postgres", "hotline_bench_outbox") as url,
        FakeTelegramAPI(enforce_limits=True) as api,
    ):
        engine = create_engine(url)
        sessionmaker = create_sessionmaker(engine)
        await upgrade(engine)
        async with sessionmaker() as session, session.begin():
            n = 0
            for round_ in range(max(per_chat, per_group)):
                chats = [str(1000 + c) for c in range(private_chats)] if round_ < per_chat else []
                chats += [str(-100 - g) for g in range(groups)] if round_ < per_group else []
                for chat in chats:
                    n += 1
                    await enqueue(
                        session=session,
                        idempotency_key=f"b:{n}",
                        channel="telegram",
                        recipient=chat,
                        payload=Outbound(f"通知 {n}").to_payload(),
                        now=SystemClock().now(),
                    )
        limits = RateLimits()  # Telegram's own: 30/s per bot, 1/s per chat, 1 per 3 s per group
        channel = create_telegram_channel(
            TelegramSettings(token=api.token, api_base_url=api.base_url), _NoCore(), limits=limits
        )
        registry = SenderRegistry()
        registry.register(TelegramSender(channel))  # type: ignore[arg-type]
        sender = OutboxSender(
            sessionmaker=sessionmaker,
            senders=registry,
            clock=SystemClock(),
            policy=OutboxPolicy(batch_size=100, concurrency=32, lease=timedelta(seconds=300)),
        )
        started = time.perf_counter()
        stats = await sender.drain()
        while stats.claimed:
            stats = await sender.drain()
        elapsed = time.perf_counter() - started
        async with sessionmaker() as session:
            counts = await count_by_status(session=session)
        sent = len(api.sent())
        print(
            f"   {total:,} pushes ({private_chats} private chats x {per_chat}, {groups} groups x "
            f"{per_group}): {elapsed:.1f} s, {sent / elapsed:.1f} msg/s (limit 30/s), "
            f"429s: {api.too_many_requests}, rows: {counts}"
        )
        await channel.stop()
        await engine.dispose()


def run(quick: bool) -> None:
    asyncio.run(_main(quick))
