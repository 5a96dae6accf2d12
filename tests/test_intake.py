"""The resident intake dialog through the core, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import re

import pytest
from sqlalchemy import event, func, select, text

from bot.app import App, build_app
from bot.config import Settings
from handlers.policy.clock import FixedClock
from handlers.policy.lifecycle import CaseState
from nlp.router import Router
from storage.db import create_engine as build_engine_for
from storage.models import Case, CaseEvent, Draft
from tests.support import ResidentClient, texts

NUMBER = re.compile(r"AN20261125-\d{4}")
# Names a known place (建宁路 is in 培黎街道) and a clear matter, so no place question is asked.
CLEAR = "建宁路上的路灯坏了一个多月了，晚上一片漆黑，老人孩子走路很危险"
# A clear matter but no place.
NO_PLACE = "我们小区楼下的垃圾好几天没人清运了，臭气熏天，苍蝇到处飞"


async def _case_count(app: App) -> int:
    async with app.sessionmaker() as session:
        return int((await session.execute(select(func.count()).select_from(Case))).scalar_one())


async def _file_complaint(client: ResidentClient, description: str = CLEAR) -> str:
    await client.send("/start")
    await client.click("投诉")
    await client.send(description)
    if "地点" in client.text():
        await client.send("培黎街道建宁路社区")
    if "照片" in client.text():
        await client.click("跳过")
    await client.click("匿名")
    replies = await client.click("提交")
    match = NUMBER.search(texts(replies))
    assert match, texts(replies)
    return match.group(0)


async def test_complaint_end_to_end_is_stored_and_routed(app: App, router: Router) -> None:
    """A resident files a complaint and gets a number only once the routed case is stored."""
    client = ResidentClient(app.conversation)
    replies = await client.send("/start")
    assert "热线" in texts(replies)
    assert [b.label for b in client.buttons()] == ["投诉", "求助", "建议", "咨询", "表扬"]
    await client.click("投诉")
    assert "描述" in client.text()
    await client.send(CLEAR)
    # The description names 建宁路, a known place: no place question; photos come next.
    assert "照片" in client.text()
    await client.click("跳过")
    await client.click("留下电话")
    await client.send("139 1234 5678")
    assert "承办单位看到您的电话" in client.text()
    await client.click("不允许")
    summary = client.text()
    expected = router.route(CLEAR)
    assert expected.unit is not None
    assert expected.unit in summary and "139****5678" in summary
    replies = await client.click("提交")
    number = NUMBER.search(texts(replies))
    assert number is not None and number.group(0) == "AN20261125-0001"
    async with app.sessionmaker() as session:
        case = (await session.execute(select(Case))).scalar_one()
        events = (await session.execute(select(CaseEvent).order_by(CaseEvent.id))).scalars().all()
        drafts = (await session.execute(select(Draft))).scalars().all()
    assert case.number == number.group(0)
    assert case.state == CaseState.DISPATCHED
    assert case.unit_name == expected.unit and case.category == expected.category
    assert case.contact_phone == "13912345678" and not case.anonymous
    assert not case.share_identity
    assert [e.action for e in events] == ["submitted", "dispatched"]
    # Only the finished dialog is kept, to answer a second 提交 with the number.
    assert [d.step for d in drafts] == ["intake:filed"]


async def test_place_is_asked_when_the_text_names_none(app: App) -> None:
    """Without a place in the text the bot asks where, and a village name finds its subdistrict."""
    client = ResidentClient(app.conversation)
    await client.send("/new")
    await client.click("投诉")
    await client.send(NO_PLACE)
    assert "地点" in client.text()
    await client.send("孔家崖村三社")
    await client.click("跳过")
    await client.click("匿名")
    await client.click("提交")
    async with app.sessionmaker() as session:
        case = (await session.execute(select(Case))).scalar_one()
    assert case.place_unit == "孔家崖街道"
    assert case.place_text == "孔家崖村三社"


async def test_shared_location_maps_to_nearest_subdistrict(app: App, router: Router) -> None:
    """A shared location picks the nearest subdistrict as the place."""
    target = router.directory.subdistricts[0]
    assert target.lat is not None and target.lon is not None
    client = ResidentClient(app.conversation)
    await client.send("/new")
    await client.click("求助")
    await client.send(NO_PLACE)
    await client.location(target.lat, target.lon)
    assert "照片" in client.text()
    await client.click("跳过")
    await client.click("匿名")
    await client.click("提交")
    async with app.sessionmaker() as session:
        case = (await session.execute(select(Case))).scalar_one()
    assert case.place_unit == target.name
    assert case.latitude == pytest.approx(target.lat)


async def test_vague_text_offers_categories_then_goes_to_dispatcher(app: App) -> None:
    """An unclear description offers categories; 'not sure' sends the case to the dispatcher."""
    client = ResidentClient(app.conversation)
    await client.send("/new")
    await client.click("投诉")
    await client.send("我要投诉一个事情，请尽快处理")
    assert "类别" in client.text()
    labels = [b.label for b in client.buttons()]
    assert "都不是 / 不确定" in labels
    await client.click("都不是 / 不确定")
    if "地点" in client.text():
        await client.click("跳过")
    await client.click("跳过")
    await client.click("匿名")
    assert "由热线话务员人工派单" in client.text()
    replies = await client.click("提交")
    assert "话务员" in texts(replies)
    async with app.sessionmaker() as session:
        case = (await session.execute(select(Case))).scalar_one()
    assert case.state == CaseState.PENDING_DISPATCH and case.unit_name is None


async def test_picking_a_category_routes_to_its_unit(app: App, router: Router) -> None:
    """Choosing one of the offered categories routes the case by that category."""
    client = ResidentClient(app.conversation)
    await client.send("/new")
    await client.click("投诉")
    await client.send("我要投诉一个事情，请尽快处理")
    first = next(
        b for b in client.buttons() if b.payload.startswith("cat:") and b.payload != "cat:none"
    )
    await client.press(first.payload)
    if "地点" in client.text():
        await client.send("安宁堡街道桃林村")
    await client.click("跳过")
    await client.click("匿名")
    await client.click("提交")
    async with app.sessionmaker() as session:
        case = (await session.execute(select(Case))).scalar_one()
    assert case.subcategory == first.label
    expected = router.route_category(case.description, first.label, place_hint=case.place_unit)
    assert case.unit_name == expected.unit


async def test_emergency_warns_at_once_and_still_records(app: App) -> None:
    """A gas leak is answered with the number to call first, and the case is still recorded."""
    client = ResidentClient(app.conversation)
    await client.send("/new")
    await client.click("求助")
    replies = await client.send("十里店南街社区3号楼闻到很浓的煤气味，好像燃气泄漏了")
    assert "立即拨打" in replies[0].text
    await _finish(client)
    async with app.sessionmaker() as session:
        case = (await session.execute(select(Case))).scalar_one()
    assert case.emergency and case.urgency == "urgent"


async def _finish(client: ResidentClient) -> None:
    if "类别" in client.text():
        await client.click("都不是 / 不确定")
    if "地点" in client.text():
        await client.click("跳过")
    if "照片" in client.text():
        await client.click("跳过")
    await client.click("匿名")
    await client.click("提交")


async def test_free_text_first_is_kept_as_description(app: App) -> None:
    """Typing the problem straight away keeps it and says so; when the text plainly is a
    complaint, the type is not asked at all."""
    client = ResidentClient(app.conversation)
    await client.send(CLEAR)
    assert "已收到您的描述" in client.text()
    assert "诉求类型" not in client.text()
    assert "照片" in client.text()  # description and place known: on to photos


async def test_free_text_that_may_not_be_a_complaint_asks_the_type(app: App) -> None:
    """A first message that reads as a question is kept too, but the type is asked."""
    client = ResidentClient(app.conversation)
    await client.send("请问建宁路的路灯坏了应该找哪个部门？")
    assert "已收到您的描述" in client.text() and "诉求类型" in client.text()
    await client.click("咨询")
    assert "照片" in client.text()


async def test_second_submit_press_answers_with_the_case_number(app: App) -> None:
    """提交 pressed again on a summary already filed answers with the number, files nothing."""
    client = ResidentClient(app.conversation)
    await client.send(CLEAR)
    if "照片" in client.text():
        await client.click("跳过")
    await client.click("匿名")
    number = NUMBER.search(texts(await client.click("提交")))
    assert number is not None
    again = texts(await client.press("i:submit"))
    assert number.group(0) in again and "已经提交" in again
    async with app.sessionmaker() as session:
        assert (await session.execute(select(func.count()).select_from(Case))).scalar_one() == 1


async def test_photos_are_kept_up_to_the_limit(app: App) -> None:
    """Photos are attached to the case, and extra ones beyond the limit are refused politely."""
    client = ResidentClient(app.conversation)
    await client.send("/new")
    await client.click("投诉")
    await client.send(CLEAR)
    for i in range(6):
        replies = await client.photo(f"file-{i}")
    assert "最多只能附5张" in texts(replies)
    await client.click("完成")
    await client.click("匿名")
    await client.click("提交")
    async with app.sessionmaker() as session:
        case = (await session.execute(select(Case))).scalar_one()
    assert case.photos == [f"file-{i}" for i in range(5)]


async def test_edit_from_summary_returns_to_summary(app: App) -> None:
    """Changing the description from the summary re-routes and comes back to the summary."""
    client = ResidentClient(app.conversation)
    await client.send("/new")
    await client.click("投诉")
    await client.send(CLEAR)
    await client.click("跳过")
    await client.click("匿名")
    await client.click("修改")
    await client.click("内容")
    await client.send("培黎街道建宁路的小区物业不作为，电梯坏了半个月没人修")
    assert "请核对" in client.text() and "电梯" in client.text()


async def test_cancel_drops_the_draft(app: App) -> None:
    """/cancel removes the draft; a second /cancel says there is nothing to cancel."""
    client = ResidentClient(app.conversation)
    await client.send("/new")
    await client.click("投诉")
    assert "已取消" in texts(await client.send("/cancel"))
    assert "没有正在填写" in texts(await client.send("/cancel"))
    assert await _case_count(app) == 0


async def test_mycases_and_status_show_own_cases(app: App) -> None:
    """/mycases lists the resident's cases; /status shows the state and history of one."""
    client = ResidentClient(app.conversation)
    assert "还没有" in texts(await client.send("/mycases"))
    number = await _file_complaint(client)
    assert number in texts(await client.send("/mycases"))
    status = texts(await client.send(f"/status {number.lower()}"))
    assert number in status and "已派单" in status and "办理记录" in status


async def test_status_of_someone_elses_case_leaks_nothing(app: App) -> None:
    """Another resident's case number gets the same answer as a number that does not exist."""
    owner = ResidentClient(app.conversation, user_id="owner")
    number = await _file_complaint(owner)
    other = ResidentClient(app.conversation, user_id="other")
    theirs = texts(await other.send(f"/status {number}"))
    missing = texts(await other.send("/status AN20261125-9999"))
    assert theirs == missing
    assert number not in theirs and "建宁路" not in theirs


@pytest.mark.parametrize(
    ("message", "reply"),
    [
        ("   ", "没有收到文字内容"),
        ("路灯", "内容太短"),
        ("路灯坏了" * 300, "内容太长"),
        ("路灯坏了\x00\x07很久了没人修", "控制字符"),
        ("/frobnicate", "不认识这个命令"),
    ],
)
async def test_bad_description_is_explained_and_draft_kept(
    app: App, message: str, reply: str
) -> None:
    """Bad text at the description step gets a clear reply and the step is asked again."""
    client = ResidentClient(app.conversation)
    await client.send("/new")
    await client.click("投诉")
    replies = await client.send(message)
    assert reply in texts(replies)
    assert "描述" in replies[-1].text
    await client.send(CLEAR)
    assert "照片" in client.text()


async def test_choice_not_offered_is_refused(app: App) -> None:
    """A button payload that is not on offer changes nothing and the question is repeated."""
    client = ResidentClient(app.conversation)
    await client.send("/new")
    replies = await client.press("i:submit")
    assert "选项现在不可用" in texts(replies)
    assert [b.label for b in client.buttons()][:1] == ["投诉"]
    replies = await client.press("t:" + "x" * 60)
    assert "选项现在不可用" in texts(replies)


async def test_invalid_phone_is_refused_then_accepted(app: App) -> None:
    """An invalid phone number is refused with an example; a valid landline is accepted."""
    client = ResidentClient(app.conversation)
    await client.send("/new")
    await client.click("投诉")
    await client.send(CLEAR)
    await client.click("跳过")
    await client.click("留下电话")
    assert "格式不正确" in texts(await client.send("12345"))
    await client.send("0931-7654321")
    await client.click("允许")
    assert "请核对" in client.text() and "093****4321（承办单位可见）" in client.text()
    await client.click("提交")
    async with app.sessionmaker() as session:
        case = (await session.execute(select(Case))).scalar_one()
    assert case.share_identity and case.contact_phone == "0931-7654321"


@pytest.mark.parametrize("argument", ["", "12345", "AN2026-1", "DROP TABLE cases"])
async def test_malformed_status_number(app: App, argument: str) -> None:
    """/status with no number or a malformed one explains the expected format."""
    client = ResidentClient(app.conversation)
    reply = texts(await client.send(f"/status {argument}".strip()))
    assert "AN20261125-0007" in reply


async def test_unsupported_media_is_answered_and_draft_kept(app: App) -> None:
    """A sticker mid-dialog gets a polite reply and the current question again."""
    from handlers.conversation.messages import Inbound

    client = ResidentClient(app.conversation)
    await client.send("/new")
    await client.click("投诉")
    replies = await client.deliver(
        Inbound(channel="telegram", user_id="u1", message_id="s1", unsupported="sticker")
    )
    assert "暂不支持" in texts(replies) and "描述" in replies[-1].text


async def test_redelivered_message_is_handled_once(app: App) -> None:
    """The same delivery id twice never creates a second case."""
    client = ResidentClient(app.conversation)
    await client.send("/new")
    await client.click("投诉")
    await client.send(CLEAR)
    await client.click("跳过")
    await client.click("匿名")
    first = await client.deliver(client._inbound(choice="i:submit", message_id="same"))
    again = await client.deliver(client._inbound(choice="i:submit", message_id="same"))
    assert NUMBER.search(texts(first)) and again == []
    assert await _case_count(app) == 1


async def test_restart_mid_dialog_resumes_the_draft(
    app: App, settings: Settings, router: Router, clock: FixedClock
) -> None:
    """A new process on the same database picks the dialog up where it stopped."""
    client = ResidentClient(app.conversation)
    await client.send("/new")
    await client.click("投诉")
    await client.send(CLEAR)
    restarted = await build_app(settings, clock=clock, router=router, prepare=False)
    try:
        client.conversation = restarted.conversation
        await client.click("跳过")
        await client.click("匿名")
        assert NUMBER.search(texts(await client.click("提交")))
    finally:
        await restarted.close()


async def test_database_error_apologises_and_keeps_the_draft(app: App) -> None:
    """If storing the case fails, the resident gets an apology, no number, and can submit again."""
    client = ResidentClient(app.conversation)
    await client.send("/new")
    await client.click("投诉")
    await client.send(CLEAR)
    await client.click("跳过")
    await client.click("匿名")
    async with app.engine.begin() as conn:
        await conn.execute(text("ALTER TABLE case_events RENAME TO case_events_away"))
    replies = await client.press("i:submit")
    assert "抱歉" in texts(replies) and not NUMBER.search(texts(replies))
    async with app.engine.begin() as conn:
        await conn.execute(text("ALTER TABLE case_events_away RENAME TO case_events"))
    assert await _case_count(app) == 0  # nothing half-written
    replies = await client.press("i:submit")
    assert NUMBER.search(texts(replies))
    assert await _case_count(app) == 1


async def test_each_message_is_one_transaction(app: App) -> None:
    """Handling a message, submit included, opens exactly one database transaction."""
    begins = 0

    def count(_conn: object) -> None:
        nonlocal begins
        begins += 1

    event.listen(app.engine.sync_engine, "begin", count)
    client = ResidentClient(app.conversation)
    steps = [
        ("text", "/new"),
        ("press", "t:complaint"),
        ("text", CLEAR),
        ("press", "i:skip"),
        ("press", "i:anon"),
        ("press", "i:submit"),
    ]
    for kind, value in steps:
        before = begins
        if kind == "text":
            await client.send(value)
        else:
            await client.press(value)
        assert begins - before == 1, value
    assert await _case_count(app) == 1


async def test_concurrent_submits_get_unique_numbers(app: App) -> None:
    """Residents submitting at the same moment get distinct, consecutive case numbers."""
    clients = [ResidentClient(app.conversation, user_id=f"r{i}") for i in range(12)]
    for client in clients:
        await client.send("/new")
        await client.click("投诉")
        await client.send(CLEAR)
        await client.click("跳过")
        await client.click("匿名")
    results = await asyncio.gather(*(client.press("i:submit") for client in clients))
    numbers = sorted(NUMBER.search(texts(r)).group(0) for r in results)  # type: ignore[union-attr]
    assert numbers == [f"AN20261125-{i:04d}" for i in range(1, 13)]


async def test_english_texts_by_configuration(
    db_url: str, router: Router, clock: FixedClock
) -> None:
    """With language = "en" the resident sees English texts."""
    from bot.app import sync_directory

    settings = Settings.model_validate({"database": {"url": db_url}, "language": "en"})
    app = await build_app(settings, clock=clock, router=router, prepare=False)
    try:
        await sync_directory(app.sessionmaker, router)
        client = ResidentClient(app.conversation)
        await client.send("/start")
        assert next(b.label for b in client.buttons()) == "Complaint"
        # A typed label is the choice, not a description, however long it is.
        await client.send("Complaint")
        assert "describe" in client.text().lower() and not client.buttons()
    finally:
        await app.close()


async def test_a_dropped_connection_is_retried_not_apologised_for(
    postgres_url: str, router: Router, clock: FixedClock
) -> None:
    """When PostgreSQL drops pooled connections (a restart), the next message still goes through."""
    settings = Settings.model_validate({"database": {"url": postgres_url}})
    app = await build_app(settings, clock=clock, router=router, prepare=False)
    client = ResidentClient(app.conversation, user_id="dropped-connection")
    try:
        await client.send("/new")
        admin = build_engine_for(postgres_url)
        try:
            async with admin.connect() as conn:
                await conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = :db AND pid <> pg_backend_pid()"
                    ),
                    {"db": app.engine.url.database},
                )
                await conn.commit()
        finally:
            await admin.dispose()
        replies = await client.click("投诉")
    finally:
        await app.close()
    assert "抱歉" not in texts(replies) and "描述" in texts(replies)


async def test_a_flood_is_told_once_then_ignored_until_the_window_clears(
    app: App, clock: FixedClock
) -> None:
    """Over the per-person limit the resident is told once; later messages wait for the window."""
    from datetime import timedelta

    client = ResidentClient(app.conversation)
    limit = app.deps.policy.flood_messages
    for _ in range(limit):
        assert await client.send("/help")
    warned = await client.send("/help")
    assert "太快" in texts(warned)
    assert await client.send("/help") == []
    other = ResidentClient(app.conversation, user_id="someone-else")
    assert await other.send("/help")  # the limit is per person
    clock.advance(timedelta(seconds=app.deps.policy.flood_window_seconds + 1))
    assert "/mycases" in texts(await client.send("/help"))


async def test_free_text_at_the_type_buttons_is_kept_as_description(app: App) -> None:
    """Telegram's START shows the type buttons; most residents type the complaint anyway. It is
    kept as the description, as if typed first, instead of "option not available"."""
    client = ResidentClient(app.conversation)
    await client.send("/start")
    assert [b.label for b in client.buttons()][:1] == ["投诉"]
    replies = await client.send(CLEAR)
    assert "选项现在不可用" not in texts(replies)
    assert "已收到您的描述" in client.text()
    assert "照片" in client.text()  # a plain complaint with a known place: on to photos
    await client.click("跳过")
    await client.click("匿名")
    assert NUMBER.search(texts(await client.click("提交")))


async def test_a_short_word_at_the_type_buttons_asks_for_the_type_again(app: App) -> None:
    """A greeting is no description: the type buttons are shown again, saying both ways on;
    a typed button label is still the choice."""
    client = ResidentClient(app.conversation)
    await client.send("/start")
    replies = await client.send("你好")
    assert "也可以直接描述" in texts(replies)
    assert [b.label for b in client.buttons()][:1] == ["投诉"]
    await client.send("投诉")
    assert "描述" in client.text() and "已收到您的描述" not in client.text()
