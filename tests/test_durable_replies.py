"""Replies that cannot be sent are kept (issue 9): the bridge retries, then hands them to the
outbox; SIGTERM (drain) hands over what is left; every reply of a turn is journaled with it
and settled as soon as it is sent. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

from sqlalchemy import select

from bot.app import App
from bot.delivery import DeliveryResult
from bot.outbox.registry import SenderRegistry
from bot.outbox.sender import OutboxSender
from bot.telegram.bridge import CoreBridge
from bot.telegram.replyspool import ReplySpool
from bot.telegram.types import DeliveryError, SentResult
from handlers.conversation.core import Conversation
from handlers.conversation.messages import Inbound, Outbound
from handlers.policy.clock import Clock, FixedClock, SystemClock
from storage.models import OutboxMessage
from storage.replies import ReplyJournal, journal_replies, settle_replies
from tests.fakes.core import ScriptedCore
from tests.support import ResidentClient


async def _rows(app: App) -> list[OutboxMessage]:
    async with app.sessionmaker() as session:
        return list(
            (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars()
        )


def _spool(app: App, journal: ReplyJournal | None = None) -> ReplySpool:
    return ReplySpool(
        sessionmaker=app.sessionmaker, journal=journal or ReplyJournal(), clock=app.deps.clock
    )


async def test_a_reply_failing_past_its_retries_goes_to_the_outbox(app: App) -> None:
    """5xx for longer than the retry budget: both replies are queued, in order, due now."""
    attempts: list[str] = []

    async def failing(chat_id: str, reply: Outbound) -> SentResult:
        attempts.append(reply.text)
        raise DeliveryError("Internal Server Error", chat_id=chat_id, permanent=False)

    core = ScriptedCore(lambda _: [Outbound("一"), Outbound("二")])
    bridge = CoreBridge(core, failing, spool=_spool(app), retry_seconds=1.2)
    await bridge.handle(Inbound(channel="telegram", user_id="5", chat_id="5", message_id="77"))
    rows = await _rows(app)
    assert attempts.count("一") >= 2, "retried before giving up"
    assert [(r.idempotency_key, r.payload["text"], r.status) for r in rows] == [
        ("reply:telegram:77:0", "一", "pending"),
        ("reply:telegram:77:1", "二", "pending"),
    ]
    assert all(r.claimed_until is None for r in rows)


async def test_shutdown_hands_unsent_replies_to_the_outbox_at_once(app: App) -> None:
    """drain() (SIGTERM) stops the retries and queues the reply instead of waiting them out."""

    async def failing(chat_id: str, reply: Outbound) -> SentResult:
        raise DeliveryError("network down", chat_id=chat_id, permanent=False)

    bridge = CoreBridge(ScriptedCore(), failing, spool=_spool(app), retry_seconds=60)
    turn = asyncio.create_task(
        bridge.handle(Inbound(channel="telegram", user_id="6", chat_id="6", message_id="78"))
    )
    await asyncio.sleep(0.3)
    assert await bridge.drain(5)
    await turn
    [row] = await _rows(app)
    assert row.idempotency_key == "reply:telegram:78:0" and row.status == "pending"


async def test_every_reply_is_journaled_with_the_turn_and_settled_as_it_is_sent(
    app: App,
) -> None:
    """The turn's replies (the receipt among them) are in the outbox, leased, in the filing
    transaction; each is marked sent right after it was sent, before the next one goes."""
    journal = ReplyJournal(channels=frozenset({"telegram"}), lease=timedelta(seconds=60))
    conversation = Conversation(dataclasses.replace(app.deps, reply_journal=journal))
    client = ResidentClient(conversation, user_id="8")
    await client.send("/new")
    await client.click("投诉")
    await client.send("建宁路上的路灯坏了一个多月了，晚上一片漆黑")
    for label in ("跳过", "匿名"):
        if any(b.label == label for b in client.buttons()):
            await client.click(label)
    submit = Inbound(
        channel="telegram", user_id="8", chat_id="8", message_id="900", choice="i:submit"
    )
    delivered: list[str] = []

    async def deliver(chat_id: str, reply: Outbound) -> SentResult:
        rows = [r for r in await _rows(app) if r.idempotency_key.startswith("reply:telegram:900:")]
        assert all(r.claimed_until is not None for r in rows if r.status == "pending")
        # Everything before this reply is settled already, this one and the rest are not.
        assert [r.status for r in rows] == ["sent"] * len(delivered) + ["pending"] * (
            len(rows) - len(delivered)
        )
        assert rows[len(delivered)].payload["text"] == reply.text
        delivered.append(reply.text)
        return SentResult(chat_id, ("1",))

    bridge = CoreBridge(conversation, deliver, spool=_spool(app, journal), retry_seconds=1)
    await bridge.handle(submit)
    assert delivered and "已受理，工单号" in delivered[0]
    rows = [r for r in await _rows(app) if r.idempotency_key.startswith("reply:telegram:900:")]
    assert [r.idempotency_key for r in rows] == [
        f"reply:telegram:900:{n}" for n in range(len(delivered))
    ]
    assert all(r.status == "sent" for r in rows)


async def test_a_plain_step_reply_is_journaled_too(app: App) -> None:
    """Not only case numbers: the first answer of an intake (no number in it) is journaled."""
    journal = ReplyJournal(channels=frozenset({"telegram"}), lease=timedelta(seconds=60))
    conversation = Conversation(dataclasses.replace(app.deps, reply_journal=journal))
    first = Inbound(channel="telegram", user_id="9", chat_id="9", message_id="901", text="你好")
    replies = await conversation.handle(first)
    rows = [r for r in await _rows(app) if r.idempotency_key.startswith("reply:")]
    assert replies and [r.payload["text"] for r in rows] == [r.text for r in replies]
    assert all(r.status == "pending" and r.claimed_until is not None for r in rows)


async def test_a_notice_answered_as_a_pop_up_is_settled_with_the_turn(app: App) -> None:
    """A notice goes to the pressed button's pop-up, not the chat; its journaled row is still
    marked sent (with the next reply), so the outbox never posts it into the chat later."""

    def replies(_: Inbound) -> list[Outbound]:
        return [Outbound("只有你能看到", notice=True), Outbound("下一步")]

    notices: list[str] = []

    async def notice(text: str) -> None:
        notices.append(text)

    async def deliver(chat_id: str, reply: Outbound) -> SentResult:
        return SentResult(chat_id, ("1",))

    inbound = Inbound(channel="telegram", user_id="10", chat_id="10", message_id="902")
    journal = await _journal_turn(app, "10", "902", replies(inbound), lease=60)
    bridge = CoreBridge(ScriptedCore(replies), deliver, spool=_spool(app, journal), retry_seconds=1)
    await bridge.handle(inbound, notice=notice)
    assert notices == ["只有你能看到"]
    rows = await _rows(app)
    assert [(r.idempotency_key, r.status) for r in rows] == [
        ("reply:telegram:902:0", "sent"),
        ("reply:telegram:902:1", "sent"),
    ]


async def _journal_turn(
    app: App,
    chat: str,
    message_id: str,
    replies: list[Outbound],
    *,
    user: str | None = None,
    lease: float = 5,
    clock: Clock | None = None,
) -> ReplyJournal:
    """A turn's replies journaled as the core does, leased from the clock's now."""
    journal = ReplyJournal(channels=frozenset({"telegram"}), lease=timedelta(seconds=lease))
    async with app.sessionmaker() as session, session.begin():
        await journal_replies(
            session=session,
            journal=journal,
            channel="telegram",
            recipient=chat,
            message_id=message_id,
            payloads=[r.to_payload() for r in replies],
            now=(clock or app.deps.clock).now(),
            group=user is not None and user != chat,
        )
    return journal


def _recording_outbox(app: App, clock: Clock) -> tuple[OutboxSender, list[str]]:
    """An outbox sender whose Telegram channel only notes the texts it is given."""
    delivered: list[str] = []

    class Recording:
        channel = "telegram"

        async def deliver(self, recipient: str, message: Outbound) -> DeliveryResult:
            delivered.append(message.text)
            return DeliveryResult.sent()

    registry = SenderRegistry()
    registry.register(Recording())
    return OutboxSender(sessionmaker=app.sessionmaker, senders=registry, clock=clock), delivered


async def _drain_after_leases(app: App, clock: FixedClock) -> tuple[list[str], dict[str, str]]:
    """What the outbox sends once the journal leases ran out, and each row's status after."""
    clock.advance(timedelta(seconds=6))
    sender, delivered = _recording_outbox(app, clock)
    await sender.drain()
    return delivered, {str(r.payload["text"]): r.status for r in await _rows(app)}


async def test_an_unsettled_prompt_is_not_sent_again_once_the_person_has_moved_on(
    app: App, clock: FixedClock
) -> None:
    """A crash between the Bot API accepting a prompt and its settle leaves the row pending; the
    person answered it anyway (a later turn). The outbox drops the old prompt instead of asking
    again, but the case number (lasting) is sent again: twice beats never."""
    await _journal_turn(app, "11", "950", [Outbound("已保存"), Outbound("是否留下联系电话？")])
    await _journal_turn(app, "11", "951", [Outbound("工单号：AN1", lasting=True), Outbound("谢谢")])
    async with app.sessionmaker() as session, session.begin():
        await settle_replies(
            session=session, channel="telegram", message_id="951", indexes=[1], now=clock.now()
        )
    delivered, statuses = await _drain_after_leases(app, clock)
    assert delivered == ["工单号：AN1"]
    assert statuses == {
        "已保存": "superseded",
        "是否留下联系电话？": "superseded",
        "工单号：AN1": "sent",
        "谢谢": "sent",
    }


async def test_an_unsettled_prompt_with_no_later_turn_is_sent(app: App, clock: FixedClock) -> None:
    """The last turn of a chat may never have reached the person: all of it goes out, in order."""
    await _journal_turn(app, "12", "960", [Outbound("已保存"), Outbound("是否留下联系电话？")])
    await _journal_turn(app, "13", "961", [Outbound("别人的下一步")])
    delivered, statuses = await _drain_after_leases(app, clock)
    assert sorted(delivered) == sorted(["已保存", "是否留下联系电话？", "别人的下一步"])
    assert delivered.index("已保存") < delivered.index("是否留下联系电话？")
    assert set(statuses.values()) == {"sent"}


async def test_in_a_group_chat_another_members_turn_supersedes_nothing(
    app: App, clock: FixedClock
) -> None:
    """One member's next message says nothing about what another saw: group replies are sent."""
    await _journal_turn(app, "-100", "970", [Outbound("已签收")], user="21")
    await _journal_turn(app, "-100", "971", [Outbound("已回复")], user="22")
    delivered, statuses = await _drain_after_leases(app, clock)
    assert delivered == ["已签收", "已回复"]
    assert set(statuses.values()) == {"sent"}


async def test_replies_held_up_in_the_limiter_keep_their_lease(app: App) -> None:
    """A burst holds a turn's second reply in the rate limiter longer than the journal's lease:
    the answering instance renews the lease meanwhile, so the outbox never sends it as well."""
    clock = SystemClock()
    replies = [Outbound("一"), Outbound("二")]
    inbound = Inbound(channel="telegram", user_id="14", chat_id="14", message_id="980")
    journal = await _journal_turn(app, "14", "980", replies, lease=0.3, clock=clock)
    spool = ReplySpool(sessionmaker=app.sessionmaker, journal=journal, clock=clock)
    direct: list[str] = []

    async def deliver(chat_id: str, reply: Outbound) -> SentResult:
        if reply.text == "二":
            await asyncio.sleep(1.0)  # waiting for its place, three leases long
        direct.append(reply.text)
        return SentResult(chat_id, ("1",))

    sender, outboxed = _recording_outbox(app, clock)
    bridge = CoreBridge(ScriptedCore(lambda _: replies), deliver, spool=spool, retry_seconds=1)
    turn = asyncio.create_task(bridge.handle(inbound))
    for _ in range(8):  # the outbox drains every 0.1 s while the reply waits
        await asyncio.sleep(0.1)
        await sender.drain()
    await turn
    await sender.drain()
    assert direct == ["一", "二"]
    assert outboxed == []
    assert [r.status for r in await _rows(app)] == ["sent", "sent"]
