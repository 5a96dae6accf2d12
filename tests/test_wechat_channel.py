"""The WeChat callback server over real HTTP, with callbacks signed and encrypted as WeChat does."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.app import App
from bot.delivery import DeliveryStatus
from handlers.conversation.messages import Button, Outbound
from handlers.policy.clock import FixedClock
from storage.models import Case, Resident, WeChatContact
from tests.fakes.wechat_api import REPLY_BUDGET, Rig, WeChatSide, make_rig, number_of

OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
NUMBER = re.compile(r"AN20261125-\d{4}")
CLEAR = "建宁路上的路灯坏了一个多月了，晚上一片漆黑，老人孩子走路很危险"


@pytest.fixture
async def rig(app: App, clock: FixedClock) -> AsyncIterator[Rig]:
    async for built in make_rig(app, clock):
        yield built


async def _cases(app: App) -> list[Case]:
    async with app.sessionmaker() as session:
        return list((await session.execute(select(Case))).scalars().all())


async def _file_case(rig: Rig) -> str:
    side = rig.side
    reply = await side.event(OPENID, "subscribe")
    reply = await side.text(OPENID, number_of(reply, "投诉"))
    reply = await side.text(OPENID, CLEAR)
    if "地点" in (reply.content or ""):
        reply = await side.text(OPENID, "培黎街道建宁路社区")
    reply = await side.text(OPENID, number_of(reply, "跳过"))
    reply = await side.text(OPENID, number_of(reply, "匿名"))
    reply = await side.text(OPENID, number_of(reply, "提交"))
    match = NUMBER.search(reply.content or "")
    assert match, reply
    return match.group(0)


async def test_resident_files_a_case_with_numbered_choices_and_gets_a_push(rig: Rig) -> None:
    """Follow, choose by number, send a photo, submit: one case; a push then arrives by 客服 API."""
    side = rig.side
    reply = await side.event(OPENID, "subscribe")
    assert reply.content is not None and "热线" in reply.content
    assert "回复数字选择：\n1. 投诉\n2. 求助" in reply.content
    reply = await side.text(OPENID, "１")  # a full-width digit, as Chinese keyboards type it
    assert "描述" in (reply.content or "")
    reply = await side.text(OPENID, CLEAR)
    assert "照片" in (reply.content or "")
    reply = await side.image(OPENID, "MEDIA-ID-1")
    assert "第1张" in (reply.content or "")
    reply = await side.text(OPENID, number_of(reply, "完成"))
    reply = await side.text(OPENID, number_of(reply, "匿名"))
    assert "请核对" in (reply.content or "")
    reply = await side.text(OPENID, number_of(reply, "提交"))
    match = NUMBER.search(reply.content or "")
    assert match, reply
    [case] = await _cases(rig.app)
    assert case.number == match.group(0) and case.channel == "wechat"
    assert case.photos == ["MEDIA-ID-1"]

    push = Outbound(f"工单 {case.number} 承办单位回复：路灯已修复。", ((Button("满意", "fb:ok"),),))
    result = await rig.channel.sender.deliver(OPENID, push)
    assert result.status is DeliveryStatus.SENT
    [sent] = rig.api.texts_to(OPENID)
    assert "路灯已修复" in sent and "1. 满意" in sent
    async with rig.app.sessionmaker() as session:
        contact = await session.get(WeChatContact, OPENID)
        assert contact is not None and contact.menu == ["fb:ok"] and contact.menu_current


async def test_a_stale_number_gets_the_not_offered_answer(rig: Rig) -> None:
    """A number typed after the choices it belonged to were replaced is not taken for them."""
    reply = await rig.side.event(OPENID, "subscribe")
    await rig.side.text(OPENID, number_of(reply, "投诉"))  # now a description is asked, no choices
    reply = await rig.side.text(OPENID, "2")
    assert "这个选项现在不可用" in (reply.content or "")
    reply = await rig.side.text(OPENID, "7")
    assert "这个选项现在不可用" in (reply.content or "")


async def test_slow_answer_goes_by_customer_service_and_a_retry_is_not_handled_twice(
    rig: Rig,
) -> None:
    """Past the budget WeChat gets `success`; its retries too; the reply comes once by 客服 API."""
    side = rig.side
    reply = await side.event(OPENID, "subscribe")
    reply = await side.text(OPENID, number_of(reply, "投诉"))
    reply = await side.text(OPENID, CLEAR)
    reply = await side.text(OPENID, number_of(reply, "跳过"))
    reply = await side.text(OPENID, number_of(reply, "匿名"))
    submit = number_of(reply, "提交")
    rig.core.delay = REPLY_BUDGET + 0.5
    calls = rig.core.calls
    first, retry = await asyncio.gather(
        side.text(OPENID, submit, msg_id=777),
        _after(0.3, side.text(OPENID, submit, msg_id=777)),
    )
    assert first.body == "success" and retry.body == "success"
    await _until(lambda: bool(rig.api.texts_to(OPENID)))
    late = await side.text(OPENID, submit, msg_id=777)  # a third delivery, after it is all done
    assert late.body == "success"
    assert rig.core.calls == calls + 1
    [sent] = rig.api.texts_to(OPENID)
    assert NUMBER.search(sent)
    assert len(await _cases(rig.app)) == 1


async def test_a_retry_of_a_passive_answer_gets_the_same_answer(rig: Rig) -> None:
    """WeChat retries only when our answer did not reach it: the same answer, handled once."""
    reply = await rig.side.event(OPENID, "subscribe")
    calls = rig.core.calls
    first = await rig.side.text(OPENID, number_of(reply, "投诉"), msg_id=4242)
    again = await rig.side.text(OPENID, "1", msg_id=4242)
    assert first.content is not None and again.content == first.content
    assert rig.core.calls == calls + 1


async def test_forged_signature_is_refused_and_logged(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    """A callback not signed with our token gets 403 and a warning; nothing is handled."""
    xml = rig.side.message_xml(OPENID, "text", {"Content": "路灯坏了", "MsgId": 1})
    with caplog.at_level(logging.WARNING, logger="bot.wechat.server"):
        reply = await rig.side.post(xml, forge=True)
    assert reply.status == 403
    assert "bad signature" in caplog.text
    forger = WeChatSide(rig.channel.url, rig.clock, token="guessed-token")
    assert (await forger.text(OPENID, "hello")).status == 403
    assert rig.core.calls == 0


async def test_old_timestamp_is_refused(rig: Rig) -> None:
    """A correctly signed callback from 10 minutes ago is a replay: refused."""
    xml = rig.side.message_xml(OPENID, "text", {"Content": "路灯坏了", "MsgId": 2})
    old = int((rig.clock.now() - timedelta(minutes=10)).timestamp())
    assert (await rig.side.post(xml, timestamp=old)).status == 403
    assert rig.core.calls == 0


async def test_garbage_and_oversized_bodies_are_refused_cleanly(rig: Rig) -> None:
    """Broken XML, a bad ciphertext, plaintext in safe mode and a huge body: 4xx, no crash."""
    side = rig.side
    query = side.signed_query()
    assert (await side.post_raw(b"<xml><Encrypt>", query)).status == 400
    encrypted = query | {"encrypt_type": "aes", "msg_signature": "x"}
    bad = b"<xml><Encrypt><![CDATA[bm90IGEgY2lwaGVydGV4dA==]]></Encrypt></xml>"
    assert (await side.post_raw(bad, encrypted)).status in (400, 403)
    plain = side.message_xml(OPENID, "text", {"Content": "hi", "MsgId": 3}).encode()
    assert (await side.post_raw(plain, side.signed_query())).status == 400
    assert (await side.post_raw(b"<xml>" + b"a" * 200_000, side.signed_query())).status == 413
    # Still serving afterwards.
    assert (await side.event(OPENID, "subscribe")).content is not None


async def test_url_verification_echoes_only_when_signed(rig: Rig) -> None:
    """Saving the server URL in the admin console sends a signed GET that must echo echostr."""
    import aiohttp

    async with aiohttp.ClientSession() as session:
        query = rig.side.signed_query() | {"echostr": "4930721368218520"}
        async with session.get(rig.channel.url, params=query) as response:
            assert response.status == 200 and await response.text() == "4930721368218520"
        forged = rig.side.signed_query(forge=True) | {"echostr": "1"}
        async with session.get(rig.channel.url, params=forged) as response:
            assert response.status == 403


async def test_unfollow_stops_pushes_and_follow_greets_again(rig: Rig) -> None:
    """After unfollowing, pushes fail for good; following again greets and makes them reachable."""
    await _file_case(rig)
    unfollow = await rig.side.event(OPENID, "unsubscribe")
    assert unfollow.body == "success"
    async with rig.app.sessionmaker() as session:
        resident = (await session.execute(select(Resident))).scalar_one()
        assert resident.reachable is False
    result = await rig.channel.sender.deliver(OPENID, Outbound("已派单"))
    assert result.status is DeliveryStatus.FAILED
    rig.clock.advance(timedelta(minutes=1))  # events are told apart by CreateTime (seconds)
    greeting = await rig.side.event(OPENID, "subscribe")
    assert "热线" in (greeting.content or "")
    async with rig.app.sessionmaker() as session:
        resident = (await session.execute(select(Resident))).scalar_one()
        assert resident.reachable is True
    result = await rig.channel.sender.deliver(OPENID, Outbound("已派单"))
    assert result.status is DeliveryStatus.SENT


async def test_menu_clicks_reach_the_core(rig: Rig) -> None:
    """我的工单 lists cases; 查询进度 asks for a number and shows that case; 帮助 shows help."""
    number = await _file_case(rig)
    mine = await rig.side.event(OPENID, "CLICK", "HOTLINE_MYCASES")
    assert number in (mine.content or "")
    ask = await rig.side.event(OPENID, "CLICK", "HOTLINE_STATUS")
    assert "工单号" in (ask.content or "")
    status = await rig.side.text(OPENID, number.lower())
    assert number in (status.content or "") and "状态" in (status.content or "")
    helped = await rig.side.event(OPENID, "CLICK", "HOTLINE_HELP")
    assert "/mycases" in (helped.content or "")
    new = await rig.side.event(OPENID, "CLICK", "HOTLINE_NEW")
    assert "1. 投诉" in (new.content or "")
    view = await rig.side.event(OPENID, "VIEW", "https://example.gov.cn/")
    assert view.body == "success"


async def test_location_and_unsupported_messages(rig: Rig) -> None:
    """A shared location is taken as the place; a voice message gets the polite refusal."""
    xml = rig.side.message_xml(OPENID, "voice", {"MediaId": "v1", "Format": "amr", "MsgId": 99})
    reply = await rig.side.post(xml)
    assert "暂不支持" in (reply.content or "")
    reply = await rig.side.location(OPENID, 36.1080, 103.7226, "安宁区")
    assert reply.content is not None


async def test_plain_mode_works_without_encryption(app: App, clock: FixedClock) -> None:
    """In plain (明文) mode callbacks and replies are unencrypted XML, still signed."""
    async for rig in make_rig(app, clock, mode="plain", encoding_aes_key=None):
        reply = await rig.side.event(OPENID, "subscribe")
        assert "<Encrypt>" not in reply.body and "热线" in (reply.content or "")


async def test_two_instances_share_one_token(rig: Rig, app: App) -> None:
    """Two channels on one database fetch the access token once between them."""
    from bot.wechat.channel import build_parts

    second = build_parts(rig.channel.settings, app.deps)
    tokens = await asyncio.gather(rig.channel.parts.token.get(), second.token.get())
    assert tokens[0] == tokens[1]
    assert rig.api.token_fetches == 1


async def test_a_revoked_token_is_refetched_after_a_retry(rig: Rig) -> None:
    """40001 invalidates the shared token: the push is retried and then goes with a new one."""
    await rig.side.event(OPENID, "subscribe")
    await rig.channel.parts.token.get()
    rig.api.revoke_tokens()
    first = await rig.channel.sender.deliver(OPENID, Outbound("通知"))
    assert first.status is DeliveryStatus.RETRY
    second = await rig.channel.sender.deliver(OPENID, Outbound("通知"))
    assert second.status is DeliveryStatus.SENT
    assert rig.api.token_fetches == 2


async def test_menu_push(rig: Rig) -> None:
    """`hotline wechat menu` pushes 我要投诉, 我的工单, 查询进度, 帮助 with the hotline's keys."""
    await rig.channel.parts.push_menu()
    [menu] = rig.api.menus
    names = [b["name"] for b in menu["button"]] + [
        s["name"] for b in menu["button"] for s in b.get("sub_button", [])
    ]
    assert {"我要投诉", "我的工单", "查询进度", "帮助"} <= set(names)
    assert menu["button"][0] == {"type": "click", "name": "我要投诉", "key": "HOTLINE_NEW"}


async def _after(delay: float, coro: object) -> object:
    await asyncio.sleep(delay)
    return await coro  # type: ignore[misc]


async def _until(condition: object, within: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():  # type: ignore[operator]
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def test_a_message_for_another_account_is_refused(app: App, clock: FixedClock) -> None:
    """With [wechat] original_id set, a signed callback addressed to another account is a 403."""
    async for rig in make_rig(app, clock, original_id="gh_ffffffffffff"):
        refused = await rig.side.text(OPENID, "路灯坏了")
        assert refused.status == 403
        assert await _cases(app) == []
    async for rig in make_rig(app, clock, original_id="gh_0123456789ab"):
        accepted = await rig.side.event(OPENID, "subscribe")
        assert accepted.status == 200 and "热线" in (accepted.content or "")
