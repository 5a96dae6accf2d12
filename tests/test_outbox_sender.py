"""The outbox sender: order per recipient, back-off and retry_after, dead letters, held rows,
leases and bounded concurrency; with a fixed clock, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import timedelta

from bot.app import App
from bot.delivery import DeliveryResult, DeliveryStatus
from bot.outbox.policy import OutboxPolicy
from bot.outbox.registry import SenderRegistry
from bot.outbox.sender import OutboxSender
from handlers.conversation.messages import Inbound, Outbound
from handlers.policy.clock import FixedClock
from storage.models import OutboxMessage
from storage.outbox import claim_due, enqueue
from tests.followup_support import outbox


class ScriptedSender:
    """A ChannelSender answering from a per-recipient script (then SENT); records deliveries."""

    def __init__(
        self, script: dict[str, list[DeliveryResult]] | None = None, channel: str = "telegram"
    ) -> None:
        self.channel = channel
        self.script = defaultdict(list, script or {})
        self.delivered: list[tuple[str, str]] = []
        self.in_flight = 0
        self.max_in_flight = 0

    async def deliver(self, recipient: str, message: Outbound) -> DeliveryResult:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0.001)
            result = self.script[recipient].pop(0) if self.script[recipient] else None
            if result is None or result.status is DeliveryStatus.SENT:
                self.delivered.append((recipient, message.text))
                return DeliveryResult.sent()
            return result
        finally:
            self.in_flight -= 1


def _sender(app: App, fake: ScriptedSender, clock: FixedClock, **policy: object) -> OutboxSender:
    registry = SenderRegistry()
    registry.register(fake)
    return OutboxSender(
        sessionmaker=app.sessionmaker,
        senders=registry,
        clock=clock,
        policy=OutboxPolicy(**policy),  # type: ignore[arg-type]
    )


async def _queue(
    app: App, clock: FixedClock, *items: tuple[str, str], channel: str = "telegram"
) -> None:
    async with app.sessionmaker() as session, session.begin():
        for recipient, text in items:
            await enqueue(
                session=session,
                idempotency_key=f"t:{recipient}:{text}",
                channel=channel,
                recipient=recipient,
                payload=Outbound(text).to_payload(),
                now=clock.now(),
            )


async def _statuses(app: App) -> dict[str, str]:
    return {str(row.payload["text"]): row.status for row in await outbox(app)}


async def test_sends_everything_in_order_per_recipient(app: App, clock: FixedClock) -> None:
    """Every row goes out once; a recipient's rows arrive in the order they were queued."""
    fake = ScriptedSender()
    await _queue(app, clock, *[(f"{n % 3}", f"m{n}") for n in range(12)])
    stats = await _sender(app, fake, clock).drain()
    assert stats.sent == 12
    for recipient in "012":
        got = [text for r, text in fake.delivered if r == recipient]
        assert got == [f"m{n}" for n in range(12) if str(n % 3) == recipient]
    assert set((await _statuses(app)).values()) == {"sent"}
    assert (await _sender(app, fake, clock).drain()).claimed == 0


async def test_retry_after_is_honoured_and_holds_back_later_rows(
    app: App, clock: FixedClock
) -> None:
    """A 429 with retry_after=30 waits exactly 30 s, and the chat's next row waits behind it."""
    fake = ScriptedSender({"7": [DeliveryResult(DeliveryStatus.RETRY, retry_after=30)]})
    await _queue(app, clock, ("7", "first"), ("7", "second"), ("8", "other"))
    sender = _sender(app, fake, clock)
    await sender.drain()
    assert fake.delivered == [("8", "other")]
    clock.advance(timedelta(seconds=29))
    await sender.drain()
    assert fake.delivered == [("8", "other")]
    clock.advance(timedelta(seconds=1))
    await sender.drain()
    assert fake.delivered[1:] == [("7", "first"), ("7", "second")]


async def test_exponential_backoff_then_dead_letter(app: App, clock: FixedClock) -> None:
    """Failures back off 2 s, 4 s, ...; after max_attempts the row is dead with its reason,
    and the chat's later rows go on."""
    fake = ScriptedSender({"7": [DeliveryResult(DeliveryStatus.RETRY, reason="network down")] * 3})
    await _queue(app, clock, ("7", "doomed"), ("7", "next"))
    sender = _sender(app, fake, clock, max_attempts=3)
    await sender.drain()
    [row, *_] = await outbox(app)
    assert row.next_attempt_at == clock.now() + timedelta(seconds=2)
    clock.advance(timedelta(seconds=2))
    await sender.drain()
    [row, *_] = await outbox(app)
    assert row.next_attempt_at == clock.now() + timedelta(seconds=4)
    clock.advance(timedelta(seconds=4))
    await sender.drain()
    [row, nxt] = await outbox(app)
    assert (row.status, row.attempts, row.last_error) == ("dead", 3, "network down")
    assert nxt.status == "sent" and fake.delivered == [("7", "next")]


async def test_permanent_failure_dead_letters_at_once(app: App, clock: FixedClock) -> None:
    """A blocked bot is not retried."""
    fake = ScriptedSender({"7": [DeliveryResult(DeliveryStatus.FAILED, reason="blocked")]})
    await _queue(app, clock, ("7", "x"))
    assert (await _sender(app, fake, clock).drain()).dead == 1
    assert await _statuses(app) == {"x": "dead"}


async def test_held_rows_wait_until_the_person_writes(app: App, clock: FixedClock) -> None:
    """HOLD keeps the row (and the chat's later rows) until the person writes to the bot; then
    they go out in order."""
    fake = ScriptedSender(
        {"u9": [DeliveryResult(DeliveryStatus.HOLD, reason="48h window")]}, channel="wechat"
    )
    await _queue(app, clock, ("u9", "one"), ("u9", "two"), channel="wechat")
    sender = _sender(app, fake, clock)
    await sender.drain()
    assert await _statuses(app) == {"one": "held", "two": "pending"}
    clock.advance(timedelta(days=3))
    await sender.drain()
    assert fake.delivered == []
    await app.conversation.handle(
        Inbound(channel="wechat", user_id="u9", chat_id="u9", message_id="x1", text="/help")
    )
    await sender.drain()
    assert fake.delivered == [("u9", "one"), ("u9", "two")]


async def test_a_crashed_claim_comes_back_after_its_lease(app: App, clock: FixedClock) -> None:
    """Rows claimed by a process that died are sent once the lease has run out, not before."""
    await _queue(app, clock, ("7", "orphan"))
    async with app.sessionmaker() as session, session.begin():
        claimed = await claim_due(
            session=session,
            now=clock.now(),
            channels=["telegram"],
            limit=10,
            lease_until=clock.now() + timedelta(seconds=120),
        )
    assert [row.recipient for row in claimed] == ["7"]
    fake = ScriptedSender()
    sender = _sender(app, fake, clock)
    clock.advance(timedelta(seconds=119))
    await sender.drain()
    assert fake.delivered == []
    clock.advance(timedelta(seconds=1))
    await sender.drain()
    assert fake.delivered == [("7", "orphan")]


async def test_concurrency_is_bounded(app: App, clock: FixedClock) -> None:
    """No more deliveries in flight than `concurrency`, however many are due."""
    fake = ScriptedSender()
    await _queue(app, clock, *[(f"{n}", "m") for n in range(40)])
    await _sender(app, fake, clock, concurrency=4, batch_size=20).drain()
    assert len(fake.delivered) == 40
    assert 1 < fake.max_in_flight <= 4


async def test_rows_of_channels_not_running_here_are_left_alone(
    app: App, clock: FixedClock
) -> None:
    """A WeChat row waits for an instance that runs WeChat instead of failing here."""
    async with app.sessionmaker() as session, session.begin():
        session.add(
            OutboxMessage(
                idempotency_key="w1",
                channel="wechat",
                recipient="o1",
                payload=Outbound("x").to_payload(),
                status="pending",
                attempts=0,
                next_attempt_at=clock.now(),
                created_at=clock.now(),
            )
        )
    assert (await _sender(app, ScriptedSender(), clock).drain()).claimed == 0
    assert await _statuses(app) == {"x": "pending"}
