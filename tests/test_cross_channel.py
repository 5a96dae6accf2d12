"""A case opened on WeChat is worked in Telegram (issue 5, "Done when" and "Tests").

The real WeChat callback server (signed, encrypted callbacks over HTTP, stand-in WeChat API) and
a real Telegram channel (aiogram or python-telegram-bot against the stand-in Bot API) run on the
same app, with both senders registered for the outbox: the resident only types in the 公众号,
the unit's staff only type and press buttons in Telegram.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.app import App
from bot.delivery import DeliveryStatus
from bot.telegram.delivery import TelegramSender
from handlers.conversation.messages import Outbound
from handlers.followup.sweep import Sweep
from handlers.policy.clock import FixedClock
from handlers.policy.lifecycle import CaseState
from nlp.router import Router
from storage.models import Case, CaseEvent, OutboxMessage
from tests.desk import NUMBER, invite
from tests.fakes.cross_channel import CrossChannel, cross_channel
from tests.fakes.telegram_scenario import Party, texts
from tests.fakes.wechat_api import number_of
from tests.followup_support import local

# python-telegram-bot 22 warns inside its own RetryAfter constructor; not triggered by us.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

OPENID = "oUpF8uCrossChannel_Resident01"
STAFF = 2001
# Names 建宁路 (培黎街道) and a clear matter, so the router places it without questions.
CLEAR = "建宁路上的路灯坏了一个多月了，晚上一片漆黑，老人孩子走路很危险"
REPLY = "已安排维修人员明天上午到现场查看"
RESULT = "路灯已修复，恢复照明"
ADDED = "灯杆旁边还有电线裸露"


@pytest.fixture(params=["aiogram", "ptb"])
def framework(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def cc(app: App, clock: FixedClock, framework: str) -> AsyncIterator[CrossChannel]:
    async with cross_channel(app, clock, framework) as running:
        yield running


def unit_of(router: Router) -> str:
    unit = router.route(CLEAR).unit
    assert unit is not None
    return unit


async def join_staff(cc: CrossChannel, unit: str) -> Party:
    """The unit's staff member sends /join with an invite in their private Telegram chat."""
    staff = cc.telegram.person(STAFF)
    said = texts(await staff.say(f"/join {await invite(cc.app, unit, 'staff')}"))
    assert "绑定成功" in said and unit in said, said
    return staff


async def file_on_wechat(cc: CrossChannel) -> str:
    """The resident follows the 公众号 and files a complaint by typing; returns the number."""
    reply = await cc.wechat_follows(OPENID)
    reply = await cc.wechat_says(OPENID, number_of(reply, "投诉"))
    assert "描述" in (reply.content or ""), reply
    reply = await cc.wechat_says(OPENID, CLEAR)
    for _ in range(2):  # the place and photo questions, whichever the core asks: 跳过
        if "匿名" in (reply.content or ""):
            break
        reply = await cc.wechat_says(OPENID, number_of(reply, "跳过"))
    reply = await cc.wechat_says(OPENID, number_of(reply, "匿名"))
    assert "请核对" in (reply.content or ""), reply
    reply = await cc.wechat_says(OPENID, number_of(reply, "提交"))
    match = NUMBER.search(reply.content or "")
    assert match, reply
    return match.group(0)


async def case_of(app: App, number: str) -> Case:
    async with app.sessionmaker() as session:
        return (await session.execute(select(Case).where(Case.number == number))).scalar_one()


async def wechat_rows(app: App) -> list[OutboxMessage]:
    async with app.sessionmaker() as session:
        statement = (
            select(OutboxMessage)
            .where(OutboxMessage.channel == "wechat", OutboxMessage.recipient == OPENID)
            .order_by(OutboxMessage.id)
        )
        return list((await session.execute(statement)).scalars())


async def test_resident_files_on_wechat_and_staff_answer_in_telegram(
    cc: CrossChannel, router: Router, clock: FixedClock
) -> None:
    """A WeChat complaint is signed, answered and closed in Telegram; the resident hears each step
    by 客服 message, then answers the next working day's callback by digits and the case closes."""
    unit = unit_of(router)
    staff = await join_staff(cc, unit)
    number = await file_on_wechat(cc)
    case = await case_of(cc.app, number)
    assert (case.channel, case.state, case.unit_name) == ("wechat", CaseState.DISPATCHED, unit)
    assert cc.wechat_texts(OPENID) == []  # everything so far was a passive reply

    [card] = staff.new()
    assert "【新工单】" in (card.text or "") and number in (card.text or "")
    assert [label for row in card.buttons for label, _ in row] == ["签收", "回复", "退回"]

    assert f"已签收工单 {number}" in texts(await staff.press("签收"))
    assert "请输入给群众的回复" in texts(await staff.press("回复"))
    assert texts(await staff.say(REPLY)) == "回复已转达给群众。"
    assert cc.wechat_texts(OPENID) == [
        f"您的工单 {number} 已由{unit}签收，正在办理。",
        f"{unit}就工单 {number} 回复您：\n{REPLY}\n\n回复数字选择：\n1. 补充",
    ]

    # The reply offers 补充 as a number; what the resident adds reaches the staff in Telegram.
    reply = await cc.wechat_says(OPENID, number_of(cc.wechat_texts(OPENID)[-1], "补充"))
    assert reply.content == f"请发送要补充给工单 {number} 的内容（发送 /cancel 放弃）："
    reply = await cc.wechat_says(OPENID, ADDED)
    assert reply.content == "补充信息已记录并转给承办单位。"
    assert texts(staff.new()) == f"【群众补充】工单 {number}：\n{ADDED}"

    assert "请输入办理结果" in texts(await staff.press("办结"))
    await staff.say(RESULT)
    assert texts(await staff.press("完成")) == f"工单 {number} 已办结，结果已告知群众。"
    assert cc.wechat_texts(OPENID)[-1] == f"您的工单 {number} 已办结。\n办理结果：{RESULT}"
    assert (await case_of(cc.app, number)).state == CaseState.RESOLVED

    clock.set(local(2026, 11, 26, 9, 1))  # Thursday, the working day after 办结
    fired = (await Sweep(cc.app.deps).run(clock.now())).fired
    assert [f.kind for f in fired] == ["callback"]
    await cc.telegram.outbox.drain()
    callback = cc.wechat_texts(OPENID)[-1]
    assert number in callback and RESULT in callback and "解决" in callback
    assert "1. 是\n2. 否" in callback

    reply = await cc.wechat_says(OPENID, number_of(callback, "是"))
    assert "满意吗" in (reply.content or ""), reply
    reply = await cc.wechat_says(OPENID, number_of(reply, "满意"))
    assert "已归档" in (reply.content or ""), reply
    case = await case_of(cc.app, number)
    assert (case.state, case.satisfaction, case.feedback_resolved) == (
        CaseState.CLOSED,
        "satisfied",
        True,
    )
    async with cc.app.sessionmaker() as session:
        actions = (
            await session.scalars(select(CaseEvent.action).where(CaseEvent.case_id == case.id))
        ).all()
    assert {"signed", "replied", "resolved", "callback_sent", "feedback", "closed"} <= set(actions)
    assert all(row.status == "sent" for row in await wechat_rows(cc.app))
    assert staff.new() == []  # a satisfied callback asks nothing more of the unit


async def test_reply_outside_the_48_hour_window_waits_for_the_residents_next_message(
    cc: CrossChannel, router: Router, clock: FixedClock
) -> None:
    """A staff reply 49 hours after the resident last wrote is held without an error, and reaches
    WeChat (after the held-notice) as soon as the resident writes again."""
    staff = await join_staff(cc, unit_of(router))
    number = await file_on_wechat(cc)
    await staff.press("签收")
    sent_before = cc.wechat_texts(OPENID)
    assert sent_before[-1].startswith(f"您的工单 {number} 已由")

    # The hotline's own clock must hold it: the stand-in would still accept a 客服 message.
    clock.advance(timedelta(hours=49))
    await staff.press("回复")
    assert texts(await staff.say(REPLY)) == "回复已转达给群众。"
    assert cc.wechat_texts(OPENID) == sent_before  # not sent: not even tried (it would pass)
    rows = await wechat_rows(cc.app)
    [held] = [r for r in rows if r.status == "held"]
    assert REPLY in held.payload["text"] and held.attempts <= 1

    reply = await cc.wechat_says(OPENID, "请问有进展了吗")
    assert (reply.content or "").startswith("您不在线期间有1条工单通知，马上发给您。"), reply
    assert cc.wechat_texts(OPENID)[len(sent_before) :] == [
        f"{(await case_of(cc.app, number)).unit_name}就工单 {number} 回复您：\n{REPLY}"
        "\n\n回复数字选择：\n1. 补充"
    ]
    assert [r.status for r in await wechat_rows(cc.app)] == ["sent"] * len(rows)


# The smallest real JPEG and PNG starts: the media store knows images by their first bytes.
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"street-lamp-photo-1" + b"\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n" + b"street-lamp-photo-2"


async def file_with_photos(cc: CrossChannel, *media_ids: str) -> str:
    """The resident files the clear complaint with these WeChat photos; returns the number."""
    reply = await cc.wechat_follows(OPENID)
    await cc.wechat_says(OPENID, number_of(reply, "投诉"))
    reply = await cc.wechat_says(OPENID, CLEAR)
    assert "照片" in (reply.content or ""), reply
    for n, media_id in enumerate(media_ids, start=1):
        reply = await cc.wechat.side.image(OPENID, media_id)
        assert f"第{n}张" in (reply.content or ""), reply
    reply = await cc.wechat_says(OPENID, number_of(reply, "完成"))
    reply = await cc.wechat_says(OPENID, number_of(reply, "匿名"))
    reply = await cc.wechat_says(OPENID, number_of(reply, "提交"))
    match = NUMBER.search(reply.content or "")
    assert match, reply
    return match.group(0)


async def test_staff_see_the_photo_a_wechat_resident_sent(cc: CrossChannel, router: Router) -> None:
    """A WeChat photo is downloaded into the media store as it arrives; the case keeps a
    channel-neutral reference and the staff card in Telegram carries the uploaded photo."""
    staff = await join_staff(cc, unit_of(router))
    cc.wechat.api.media["WX-MEDIA-ID-1"] = JPEG
    number = await file_with_photos(cc, "WX-MEDIA-ID-1")
    ref = "media:" + hashlib.sha256(JPEG).hexdigest()
    assert (await case_of(cc.app, number)).photos == [ref]
    assert cc.app.media.open(ref) == JPEG

    [card] = staff.new()
    assert card.method == "sendPhoto" and card.ok
    assert number in (card.text or "") and "附照片1张" in (card.text or "")
    assert [label for row in card.buttons for label, _ in row] == ["签收", "回复", "退回"]
    [upload] = cc.telegram.api.uploads
    assert (upload.method, upload.chat_id, upload.content) == ("sendPhoto", str(STAFF), JPEG)
    assert f"已签收工单 {number}" in texts(await staff.press("签收"))


async def test_staff_see_an_album_of_wechat_photos(cc: CrossChannel, router: Router) -> None:
    """Two WeChat photos reach the staff as an uploaded album, then the card with its buttons;
    the same photo sent again is stored once."""
    staff = await join_staff(cc, unit_of(router))
    cc.wechat.api.media |= {"WX-1": JPEG, "WX-2": PNG, "WX-1-AGAIN": JPEG}
    number = await file_with_photos(cc, "WX-1", "WX-2", "WX-1-AGAIN")
    refs = [f"media:{hashlib.sha256(p).hexdigest()}" for p in (JPEG, PNG, JPEG)]
    assert (await case_of(cc.app, number)).photos == refs
    assert sum(1 for f in cc.app.media.root.rglob("*") if f.is_file()) == 2

    album, card = staff.new()
    assert album.method == "sendMediaGroup" and album.ok
    assert card.method == "sendMessage" and number in (card.text or "")
    assert [label for row in card.buttons for label, _ in row] == ["签收", "回复", "退回"]
    uploaded = [(u.method, u.content) for u in cc.telegram.api.uploads]
    assert uploaded == [("sendMediaGroup", JPEG), ("sendMediaGroup", PNG), ("sendMediaGroup", JPEG)]


async def test_a_photo_that_cannot_be_downloaded_stays_a_media_id(
    cc: CrossChannel, router: Router
) -> None:
    """When WeChat will not hand over a photo (here: an unknown media id), the message still
    counts with its raw media id; Telegram refuses that id, and the staff still get the card,
    with its buttons and the photo count, and can sign it."""
    staff = await join_staff(cc, unit_of(router))
    # Telegram's answer to a photo "file_id" it never issued, as the real Bot API words it.
    for method in ("sendPhoto", "sendMediaGroup"):
        cc.telegram.api.fail_next_with(
            method, 400, "Bad Request: wrong file identifier/HTTP URL specified", chat_id=STAFF
        )
    number = await file_with_photos(cc, "WX-MEDIA-ID-GONE")  # the stand-in has no such media
    assert (await case_of(cc.app, number)).photos == ["WX-MEDIA-ID-GONE"]

    [card] = staff.new()
    assert card.method == "sendMessage"
    assert number in (card.text or "") and "附照片1张" in (card.text or "")
    assert [label for row in card.buttons for label, _ in row] == ["签收", "回复", "退回"]
    assert cc.telegram.api.uploads == []
    assert [r.status for r in await staff_rows(cc.app)] == ["sent"]
    assert f"已签收工单 {number}" in texts(await staff.press("签收"))
    assert cc.wechat_texts(OPENID)[-1].startswith(f"您的工单 {number} 已由")


async def staff_rows(app: App) -> list[OutboxMessage]:
    async with app.sessionmaker() as session:
        statement = (
            select(OutboxMessage)
            .where(OutboxMessage.channel == "telegram", OutboxMessage.recipient == str(STAFF))
            .order_by(OutboxMessage.id)
        )
        return list((await session.execute(statement)).scalars())


async def test_a_photo_gone_from_the_store_is_left_off_the_card(cc: CrossChannel) -> None:
    """A media reference whose file is gone is refused before any upload; the outbox's Telegram
    sender then shows the text without it."""
    staff = cc.telegram.person(STAFF)
    assert cc.telegram.channel is not None
    missing = "media:" + "0" * 64
    result = await TelegramSender(cc.telegram.channel).deliver(
        str(STAFF), Outbound("【新工单】附照片1张", photos=(missing,))
    )
    assert result.status is DeliveryStatus.SENT
    [card] = staff.new()
    assert (card.method, card.text) == ("sendMessage", "【新工单】附照片1张")
    assert cc.telegram.api.uploads == []
    assert cc.telegram.api.calls_to("sendPhoto") == []
