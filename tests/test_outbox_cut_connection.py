"""The outbox records a delivery even when its connection was cut meanwhile (issue 9, on
PostgreSQL): one retry on a fresh connection, so the card is not sent a second time after the
lease, and the row does not stay leased."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.delivery import DeliveryResult
from bot.outbox.policy import OutboxPolicy
from bot.outbox.registry import SenderRegistry
from bot.outbox.sender import OutboxSender
from handlers.conversation.messages import Outbound
from handlers.policy.clock import SystemClock
from storage.db import create_engine, create_sessionmaker
from storage.models import OutboxMessage
from storage.outbox import enqueue
from tests.conftest import T0, _truncate
from tests.fakes.fleet import cut_connections


class CuttingSender:
    """Delivers (records the text) and, while doing so, has every connection cut."""

    channel = "telegram"

    def __init__(self, url: str) -> None:
        self.url = url
        self.delivered: list[str] = []

    async def deliver(self, recipient: str, message: Outbound) -> DeliveryResult:
        self.delivered.append(message.text)
        assert await cut_connections(self.url) >= 1
        return DeliveryResult.sent()


@pytest.fixture
async def pg(postgres_url: str) -> AsyncIterator[str]:
    await _truncate(postgres_url)
    yield postgres_url


async def test_outcome_is_recorded_after_the_connection_was_cut(pg: str) -> None:
    """The card goes out once, is marked sent, and is never claimed again."""
    engine = create_engine(pg)
    sessionmaker = create_sessionmaker(engine)
    try:
        async with sessionmaker() as session, session.begin():
            await enqueue(
                session=session,
                idempotency_key="card:1",
                channel="telegram",
                recipient="42",
                payload=Outbound("工单卡片").to_payload(),
                now=T0,
            )
        fake = CuttingSender(pg)
        registry = SenderRegistry()
        registry.register(fake)
        sender = OutboxSender(
            sessionmaker=sessionmaker,
            senders=registry,
            clock=SystemClock(),
            policy=OutboxPolicy(lease=timedelta(seconds=30)),
        )
        first = await sender.run_round()
        second = await sender.run_round()
        async with sessionmaker() as session:
            row = (await session.execute(select(OutboxMessage))).scalar_one()
    finally:
        await engine.dispose()
    assert (first.claimed, first.sent) == (1, 1)
    assert second.claimed == 0
    assert fake.delivered == ["工单卡片"]
    assert row.status == "sent" and row.claimed_until is None
