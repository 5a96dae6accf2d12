"""Whole hotline scenarios through the real Telegram client libraries (issue 3, "Tests").

The bot runs on aiogram and on python-telegram-bot against the stand-in Bot API server, with
the real conversation core (`app.conversation`) and the outbox sender pushing through the same
channel. Residents, staff and dispatchers only type and press the buttons the bot showed them.
Every scenario runs on both frameworks and on SQLite and PostgreSQL (the `app` fixture).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from bot.app import App
from handlers.policy.lifecycle import CaseState
from nlp.router import Router
from storage.models import Case, CaseEvent, OutboxMessage
from tests.desk import CLEAR, NUMBER, invite
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.telegram_scenario import Party, TelegramScenario, texts

# python-telegram-bot 22 warns inside its own RetryAfter constructor; not triggered by us.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

RESIDENT = 1001
STAFF = 2001
OTHER_STAFF = 2002
NEW_UNIT_STAFF = 2003
DISPATCHER = 3001
PASSER_BY = 4001
GROUP = -1001234567890
OTHER_UNIT = "区教育局"
NEW_UNIT = "区住房和城乡建设局"
REFUSED = "无法执行该操作。"
UNSUPPORTED = "暂不支持此类消息，请发送文字、图片或位置。"


@pytest.fixture(params=["aiogram", "ptb"])
def framework(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def scenario(app: App, framework: str) -> AsyncIterator[TelegramScenario]:
    async with FakeTelegramAPI() as api, TelegramScenario(app, api, framework) as running:
        yield running


def unit_of(router: Router) -> str:
    unit = router.route(CLEAR).unit
    assert unit is not None and unit not in (OTHER_UNIT, NEW_UNIT)
    return unit


async def join(sc: TelegramScenario, user_id: int, unit: str, role: str = "staff") -> Party:
    """The person sends /join with a fresh invite code in their private chat."""
    person = sc.person(user_id)
    said = await person.say(f"/join {await invite(sc.app, unit, role)}")
    assert "绑定成功" in texts(said) and unit in texts(said), texts(said)
    return person


async def file_case(sc: TelegramScenario, resident: Party, *, photos: int = 0) -> str:
    """The resident goes through the intake dialog by typing and pressing; returns the number."""
    await resident.say("/new")
    await resident.press("投诉")
    said = texts(await resident.say(CLEAR))
    if "地点" in said and resident.has_button("跳过"):
        said = texts(await resident.press("跳过"))
    if "照片" in said:
        for _ in range(photos):
            await resident.send_photo()
        said = texts(await resident.press("完成"))
    await resident.press("匿名")
    submitted = await resident.press("提交")
    match = NUMBER.search(texts(submitted))
    assert match, texts(submitted)
    return match.group(0)


async def case_of(app: App, number: str) -> Case:
    async with app.sessionmaker() as session:
        return (await session.execute(select(Case).where(Case.number == number))).scalar_one()


async def counts(app: App) -> tuple[int, int, int]:
    """(cases, case events, outbox rows): what a refused action must leave alone."""
    async with app.sessionmaker() as session:
        cases = await session.scalar(select(func.count()).select_from(Case))
        events = await session.scalar(select(func.count()).select_from(CaseEvent))
        pushes = await session.scalar(select(func.count()).select_from(OutboxMessage))
    return int(cases or 0), int(events or 0), int(pushes or 0)


async def test_case_is_filed_signed_answered_supplemented_and_closed(
    scenario: TelegramScenario, router: Router
) -> None:
    """A resident's case reaches the unit's staff, who sign, reply and close it; the resident
    hears each step and their added information reaches the staff."""
    sc = scenario
    unit = unit_of(router)
    staff = await join(sc, STAFF, unit)
    resident = sc.person(RESIDENT)
    number = await file_case(sc, resident, photos=2)

    [album, card] = staff.new()
    assert album.method == "sendMediaGroup"
    assert [m["media"] for m in album.params["media"]] == resident.photos
    assert number in (card.text or "") and "139****5678" in (card.text or "")
    assert "13912345678" not in staff.text()
    assert [label for row in card.buttons for label, _ in row] == ["签收", "回复", "退回"]

    signed = texts(await staff.press("签收"))
    assert f"已签收工单 {number}" in signed
    assert texts(resident.new()) == f"您的工单 {number} 已由{unit}签收，正在办理。"
    assert (await case_of(sc.app, number)).state == CaseState.ACCEPTED

    assert "请输入给群众的回复" in texts(await staff.press("回复"))
    assert texts(await staff.say("已安排维修人员明天上午到现场查看")) == "回复已转达给群众。"
    assert texts(resident.new()) == (
        f"{unit}就工单 {number} 回复您：\n已安排维修人员明天上午到现场查看"
    )

    added = await resident.say(f"/add {number} 灯杆旁边还有电线裸露")
    assert texts(added) == "补充信息已记录并转给承办单位。"
    assert texts(staff.new()) == f"【群众补充】工单 {number}：\n灯杆旁边还有电线裸露"

    assert "请输入办理结果" in texts(await staff.press("办结"))
    await staff.say("路灯已修复，恢复照明")
    _, result_photo = await staff.send_photo()
    assert texts(await staff.press("完成")) == f"工单 {number} 已办结，结果已告知群众。"
    told = resident.new()
    assert "\n".join(c.text or "" for c in told) == (
        f"您的工单 {number} 已办结。\n办理结果：路灯已修复，恢复照明"
    )
    assert [c.params.get("photo") for c in told if c.method == "sendPhoto"] == [result_photo]

    case = await case_of(sc.app, number)
    assert case.state == CaseState.RESOLVED
    async with sc.app.sessionmaker() as session:
        actions = (
            await session.scalars(
                select(CaseEvent.action).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
            )
        ).all()
    assert {"signed", "replied", "info_added", "resolved"} <= set(actions)
    assert actions.count("signed") == actions.count("resolved") == 1


async def test_misrouted_case_is_returned_and_redispatched(
    scenario: TelegramScenario, router: Router
) -> None:
    """Staff return a case with a reason; the dispatcher assigns another unit from the menu and
    its staff get the card while the resident is told."""
    sc = scenario
    unit = unit_of(router)
    staff = await join(sc, STAFF, unit)
    dispatcher = await join(sc, DISPATCHER, "区政务服务中心", "dispatcher")
    new_staff = await join(sc, NEW_UNIT_STAFF, NEW_UNIT)
    resident = sc.person(RESIDENT)
    number = await file_case(sc, resident)
    staff.new()
    resident.new()

    assert "请选择退回原因" in texts(await staff.press("退回"))
    await staff.press("非本单位职责")
    returned = await staff.say("路灯归住建局管理")
    assert f"工单 {number} 已退回" in texts(returned)
    case = await case_of(sc.app, number)
    assert case.state == CaseState.PENDING_DISPATCH and case.unit_name is None
    [queued] = dispatcher.new()
    assert number in (queued.text or "") and f"{unit}退回：非本单位职责" in (queued.text or "")
    assert "重新派单" in texts(resident.new())
    assert new_staff.new() == []

    await dispatcher.press("按部门")
    while not dispatcher.has_button(NEW_UNIT):
        await dispatcher.press("下一页")
    assigned = await dispatcher.press(NEW_UNIT)
    assert texts(assigned) == f"工单 {number} 已派往{NEW_UNIT}。"

    case = await case_of(sc.app, number)
    assert case.state == CaseState.DISPATCHED and case.unit_name == NEW_UNIT
    [card] = new_staff.new()
    assert "【新工单】" in (card.text or "") and number in (card.text or "")
    assert ("签收", f"s:sign:{case.id}:{case.version}") in card.buttons[0]
    assert NEW_UNIT in texts(resident.new())
    assert staff.new() == []  # the returning unit hears nothing more

    await new_staff.press("签收")
    assert (await case_of(sc.app, number)).state == CaseState.ACCEPTED
    assert f"已由{NEW_UNIT}签收" in texts(resident.new())


async def test_forged_and_stale_callbacks_are_refused(
    scenario: TelegramScenario, router: Router
) -> None:
    """A resident pressing a staff button, another unit's staff pressing sign and a stale card
    are each answered and refused, and change nothing in the database."""
    sc = scenario
    staff = await join(sc, STAFF, unit_of(router))
    outsider = await join(sc, OTHER_STAFF, OTHER_UNIT)
    resident = sc.person(RESIDENT)
    number = await file_case(sc, resident)
    sign, card_id = staff.button("签收")
    resident.new()
    before = await counts(sc.app)
    version = (await case_of(sc.app, number)).version

    async def refused(party: Party, data: str, message_id: int | None = None) -> str:
        answered = len(sc.api.calls_to("answerCallbackQuery"))
        said = await party.press_data(data, message_id=message_id)
        answers = sc.api.calls_to("answerCallbackQuery")
        assert len(answers) == answered + 1  # no spinner left
        assert said == []  # the refusal is the button's pop-up, never a chat message
        assert await counts(sc.app) == before
        case = await case_of(sc.app, number)
        assert (case.state, case.version) == (CaseState.DISPATCHED, version)
        return str(answers[-1].params.get("text"))

    assert await refused(resident, sign) == REFUSED
    # Staff of another unit are told why.
    assert await refused(outsider, sign) == "该工单不属于本单位，无法操作。"
    assert await refused(outsider, sign.replace("sign", "done")) == "该工单不属于本单位，无法操作。"
    assert await refused(staff, "s:sign:9999:1") == "未找到该工单。"  # no such case
    assert staff.new() == [] and resident.new() == []  # nobody else heard of it

    await staff.press("签收")
    signed = await counts(sc.app)
    assert signed[1] > before[1]
    before, version = signed, version + 1
    assert (await case_of(sc.app, number)).version == version
    await staff.press_data(sign, message_id=card_id)  # the first card's button again
    assert "过期" in str(sc.api.calls_to("answerCallbackQuery")[-1].params.get("text"))
    assert await counts(sc.app) == before
    case = await case_of(sc.app, number)
    assert (case.state, case.version) == (CaseState.ACCEPTED, version)
    assert resident.text().count("签收") == 1


async def redeliver(sc: TelegramScenario, update_id: int) -> None:
    """Telegram sends `update_id` again (a lost acknowledgement); wait until it was handled."""
    times = sc.core.finished[str(update_id)] + 1

    def again() -> int:
        sc.api.redeliver(update_id)
        return update_id

    await sc.step(again, times=times)


async def test_redelivered_updates_never_repeat_a_case_or_an_action(
    scenario: TelegramScenario, router: Router
) -> None:
    """A redelivered submit or sign press, also after a restart of the channel, creates no second
    case, no second event and no second message to anyone."""
    sc = scenario
    staff = await join(sc, STAFF, unit_of(router))
    resident = sc.person(RESIDENT)
    number = await file_case(sc, resident)
    submit = resident.last_press
    await staff.press("签收")
    sign = staff.last_press
    settled = await counts(sc.app)
    assert settled[0] == 1
    resident.new()
    staff.new()

    await redeliver(sc, submit)
    await redeliver(sc, sign)
    assert await counts(sc.app) == settled
    assert resident.new() == [] and staff.new() == []

    await sc.stop()
    await sc.start()  # a new channel object on the same app, as after a restart
    await redeliver(sc, submit)
    await redeliver(sc, sign)
    assert await counts(sc.app) == settled
    assert resident.new() == [] and staff.new() == []
    assert sc.core.finished[str(submit)] == sc.core.finished[str(sign)] == 3

    status = await resident.say(f"/status {number}")  # the restarted bot still answers
    assert number in texts(status) and "签收" in texts(status)
    async with sc.app.sessionmaker() as session:
        signed = await session.scalar(
            select(func.count()).select_from(CaseEvent).where(CaseEvent.action == "signed")
        )
    assert signed == 1


async def test_unsupported_messages_and_strangers_in_a_bound_group(
    scenario: TelegramScenario, router: Router
) -> None:
    """Stickers, voice and edits get the polite answer in private; in a bound group strangers are
    ignored while the unit's cards arrive there and a staff member signs from the group."""
    sc = scenario
    unit = unit_of(router)
    resident = sc.person(RESIDENT)
    for kind in ("sticker", "voice"):
        assert texts(await resident.send_media(kind)) == UNSUPPORTED
    assert texts(await resident.edit("改过的文字")) == UNSUPPORTED

    staff_in_group = sc.person(STAFF, chat_id=GROUP)
    bound = await staff_in_group.say(f"/bindgroup {await invite(sc.app, unit, 'staff')}")
    assert texts(bound) == f"本群已绑定到{unit}，该单位的新工单会推送到这里。"
    await join(sc, STAFF, unit)  # the same person also joins as staff, in private
    stranger = sc.person(PASSER_BY, chat_id=GROUP)
    assert await stranger.say("大家好，这是什么群？") == []
    assert await stranger.say("/help") == []
    assert await stranger.send_media("sticker") == []
    assert await staff_in_group.send_media("voice") == []  # staff chatting in their group
    before = await counts(sc.app)

    number = await file_case(sc, resident)
    [card] = staff_in_group.new()
    assert number in (card.text or "") and card.buttons
    sign, _ = staff_in_group.button("签收")
    # Refused as the button's own pop-up: nothing is posted into the unit's group.
    assert await stranger.press_data(sign) == []
    assert sc.api.calls_to("answerCallbackQuery")[-1].params.get("text") == REFUSED
    assert (await case_of(sc.app, number)).state == CaseState.DISPATCHED
    signed = await staff_in_group.press("签收")
    assert f"已签收工单 {number}" in texts(signed)
    assert (await case_of(sc.app, number)).state == CaseState.ACCEPTED
    await staff_in_group.press("回复")
    assert await stranger.say("收到") == []  # a stranger's words never become the reply
    assert texts(await staff_in_group.say("明天去修")) == "回复已转达给群众。"
    assert texts(resident.new()).endswith(f"{unit}就工单 {number} 回复您：\n明天去修")
    assert (await counts(sc.app))[0] == before[0] + 1
