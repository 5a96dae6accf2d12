"""Pushes to WeChat followers: the 48-hour customer-service window, its quota, templates, holds."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.app import App
from bot.delivery import DeliveryStatus
from handlers.conversation.messages import Outbound
from handlers.policy.clock import FixedClock
from storage.models import OutboxMessage
from storage.outbox import enqueue, mark_held
from tests.fakes.wechat_api import Rig, make_rig

OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
TEMPLATE = {
    "kind": "template",
    "template_id": "TPL-CASE-UPDATE",
    "fields": {"first": "{summary}", "keyword1": "{time}", "remark": "回复任意消息查看详情"},
}


@pytest.fixture
async def rig(app: App, clock: FixedClock) -> AsyncIterator[Rig]:
    async for built in make_rig(app, clock):
        yield built


async def _queue_push(rig: Rig, key: str, text: str) -> int:
    async with rig.app.sessionmaker() as session, session.begin():
        await enqueue(
            session=session,
            idempotency_key=key,
            channel="wechat",
            recipient=OPENID,
            payload=Outbound(text).to_payload(),
            now=rig.clock.now(),
        )
        row = (
            await session.execute(select(OutboxMessage).where(OutboxMessage.idempotency_key == key))
        ).scalar_one()
        return row.id


async def _row(rig: Rig, row_id: int) -> OutboxMessage:
    async with rig.app.sessionmaker() as session:
        row = await session.get(OutboxMessage, row_id)
        assert row is not None
        return row


async def test_push_outside_the_window_is_held_then_delivered_when_the_person_writes(
    rig: Rig,
) -> None:
    """49 hours after the last message a push is held; the next message releases it."""
    await rig.side.event(OPENID, "subscribe")
    rig.clock.advance(timedelta(hours=49))
    rig.api.close_window(OPENID)  # WeChat's clock agrees
    row_id = await _queue_push(rig, "case-1:dispatched", "您的工单已派往培黎街道。")
    result = await rig.channel.sender.deliver(OPENID, Outbound("您的工单已派往培黎街道。"))
    assert result.status is DeliveryStatus.HOLD
    assert rig.api.kf_sent == []
    async with rig.app.sessionmaker() as session, session.begin():
        await mark_held(session=session, message_id=row_id, reason=result.reason or "")

    reply = await rig.side.text(OPENID, "我的工单怎么样了")
    assert "1条工单通知" in (reply.content or "")
    row = await _row(rig, row_id)
    assert row.status == "pending" and row.next_attempt_at == rig.clock.now()
    again = await rig.channel.sender.deliver(OPENID, Outbound.from_payload(row.payload))
    assert again.status is DeliveryStatus.SENT
    assert rig.api.texts_to(OPENID) == ["您的工单已派往培黎街道。"]


async def test_wechat_saying_45015_holds_even_if_we_thought_the_window_open(rig: Rig) -> None:
    """Our count can be wrong (admin-console messages); WeChat's 45015 wins and is not retried."""
    await rig.side.event(OPENID, "subscribe")
    rig.api.close_window(OPENID)
    first = await rig.channel.sender.deliver(OPENID, Outbound("通知一"))
    assert first.status is DeliveryStatus.HOLD and "45015" in (first.reason or "")
    second = await rig.channel.sender.deliver(OPENID, Outbound("通知二"))
    assert second.status is DeliveryStatus.HOLD  # known closed now: WeChat is not asked again
    assert rig.api.kf_sent == []


async def test_quota_of_a_window_is_kept_and_45047_holds(rig: Rig) -> None:
    """Five customer-service messages per window; the sixth waits for the person's next message."""
    await rig.side.event(OPENID, "subscribe")
    results = [await rig.channel.sender.deliver(OPENID, Outbound(f"通知{i}")) for i in range(6)]
    assert [r.status for r in results] == [DeliveryStatus.SENT] * 5 + [DeliveryStatus.HOLD]
    assert len(rig.api.kf_sent) == 5
    rig.clock.advance(timedelta(minutes=1))
    await rig.side.text(OPENID, "收到")
    rig.api.fail_next.append(45047)
    over = await rig.channel.sender.deliver(OPENID, Outbound("通知6"))
    assert over.status is DeliveryStatus.HOLD and "45047" in (over.reason or "")


async def test_other_errors_retry_or_fail_sensibly(rig: Rig) -> None:
    """System busy → retry; a refused message → failed; neither uses up the window's quota."""
    await rig.side.event(OPENID, "subscribe")
    rig.api.fail_next.extend([-1, 45009, 40008])
    assert (await rig.channel.sender.deliver(OPENID, Outbound("a"))).status is DeliveryStatus.RETRY
    assert (await rig.channel.sender.deliver(OPENID, Outbound("b"))).status is DeliveryStatus.RETRY
    assert (await rig.channel.sender.deliver(OPENID, Outbound("c"))).status is DeliveryStatus.FAILED
    results = [await rig.channel.sender.deliver(OPENID, Outbound(f"d{i}")) for i in range(5)]
    assert all(r.status is DeliveryStatus.SENT for r in results)


async def test_long_push_is_split_within_the_byte_limit(rig: Rig) -> None:
    """A text over 2048 bytes goes as several messages, each within the limit."""
    await rig.side.event(OPENID, "subscribe")
    line = "承办单位已到现场核实并安排维修，预计三天内完成。"
    long = "\n".join(f"第{i}行：{line}" for i in range(60))
    assert (await rig.channel.sender.deliver(OPENID, Outbound(long))).status is DeliveryStatus.SENT
    sent = rig.api.texts_to(OPENID)
    assert len(sent) > 1 and all(len(s.encode()) <= 2048 for s in sent)
    assert "\n".join(sent) == long


async def test_template_notice_outside_the_window(app: App, clock: FixedClock) -> None:
    """With a template configured, a push outside the window sends the notice and keeps the text."""
    async for rig in make_rig(app, clock, template=TEMPLATE):
        await rig.side.event(OPENID, "subscribe")
        rig.clock.advance(timedelta(hours=50))
        rig.api.close_window(OPENID)
        push = Outbound("工单已办结。\n办理结果：已修复")
        result = await rig.channel.sender.deliver(OPENID, push)
        assert result.status is DeliveryStatus.HOLD and "template notice sent" in (
            result.reason or ""
        )
        [notice] = rig.api.templates
        assert notice["template_id"] == "TPL-CASE-UPDATE" and notice["touser"] == OPENID
        assert notice["data"]["first"]["value"] == "工单已办结。"
        assert notice["data"]["keyword1"]["value"] == "2026-11-27 12:00"
        assert rig.api.kf_sent == []


async def test_outbox_sender_drives_the_wechat_sender_end_to_end(rig: Rig) -> None:
    """Queued pushes go out by 客服 API; outside the window they are held, then released."""
    from bot.outbox.registry import SenderRegistry
    from bot.outbox.sender import OutboxSender

    registry = SenderRegistry()
    registry.register(rig.channel.sender)
    outbox = OutboxSender(sessionmaker=rig.app.sessionmaker, senders=registry, clock=rig.clock)
    await rig.side.event(OPENID, "subscribe")
    await _queue_push(rig, "case-1:signed", "承办单位已签收您的工单。")
    assert (await outbox.drain()).sent == 1
    rig.clock.advance(timedelta(hours=49))
    rig.api.close_window(OPENID)
    late = await _queue_push(rig, "case-1:reply", "承办单位回复：已安排维修。")
    assert (await outbox.drain()).held == 1
    assert (await _row(rig, late)).status == "held"
    reply = await rig.side.text(OPENID, "修好了吗")
    assert "1条工单通知" in (reply.content or "")
    assert (await outbox.drain()).sent == 1
    assert rig.api.texts_to(OPENID) == ["承办单位已签收您的工单。", "承办单位回复：已安排维修。"]
