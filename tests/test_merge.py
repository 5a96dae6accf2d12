"""One matter, one case (issue 13): duplicates merged on filing or by a person, every merged
resident answered and asked for their own rating, unmerge, reports and the 台账 helper."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.app import App
from handlers.cases import commands as cmd
from handlers.cases.commands import Actor, CommandContext, Refusal, RefusalCode
from handlers.followup.sweep import Sweep
from handlers.policy.lifecycle import CaseState
from handlers.report import build_report
from storage.duplicates import merged_children
from storage.models import Case, CaseEvent, Resident, StaffMember
from storage.residents import ensure_resident_id
from tests.desk import button, join, outbox
from tests.followup_support import local
from tests.support import ResidentClient, texts

LIGHT_UNIT = "区城市管理局"  # 路灯照明 goes to the city management bureau
HEAT_UNIT = "区供热管理办公室"  # 供热
# One broken streetlight on 建宁路, as ten people put it.
STREETLIGHT = (
    "建宁路上的路灯坏了一个多月了，晚上一片漆黑",
    "建宁路路灯坏了，晚上一片漆黑",
    "建宁路的路灯坏了好久了，晚上漆黑一片",
    "建宁路路灯坏了一个月了",
    "建宁路上路灯坏了，黑漆漆的",
    "建宁路那边的路灯坏了一个多月",
    "建宁路路灯坏了没人修",
    "建宁路有一盏路灯坏了",
    "建宁路路灯坏掉了，晚上走路很黑",
    "建宁路上的路灯坏了",
)
CHANNELS = ("telegram", "wechat", "console", "open311")


async def chat_filing(app: App, channel: str, user_id: str, text: str) -> str:
    """A resident files a complaint through the chat core; returns the receipt text."""
    client = ResidentClient(app.conversation, user_id=user_id, channel=channel)
    await client.send("/new")
    await client.click("投诉")
    await client.send(text)
    if "地点" in client.text():
        await client.click("跳过")
    if "照片" in client.text():
        await client.click("跳过")
    await client.click("匿名")
    return texts(await client.click("提交"))


async def api_filing(
    app: App, channel: str, user_id: str, text: str, *, routed: bool = True
) -> Case:
    """Another system (Open311) files through the case command directly; `routed=False` drops
    the router's unit, so the case waits for a dispatcher."""
    now = app.deps.clock.now()
    async with app.sessionmaker() as session, session.begin():
        resident_id = await ensure_resident_id(
            session=session, channel=channel, external_id=user_id, chat_id=user_id, now=now
        )
        filing = cmd.NewCase(
            resident_id=resident_id,
            channel=channel,
            request_type="complaint",
            description=text,
            decision={
                k: v for k, v in app.router.route(text).to_json().items() if routed or k != "unit"
            },
        )
        ctx = CommandContext(session, app.deps, now)
        return await cmd.file_case(ctx, Actor.api("open311"), filing)


async def all_cases(app: App) -> list[Case]:
    async with app.sessionmaker() as session:
        return list((await session.execute(select(Case).order_by(Case.id))).scalars())


async def staff_actor(app: App, chat: str) -> Actor:
    async with app.sessionmaker() as session:
        member = (
            await session.execute(select(StaffMember).where(StaffMember.external_id == chat))
        ).scalar_one()
        return Actor.of_staff(member)


async def run(app: App, command: object, *args: object, **kwargs: object) -> object:
    """Run one case command in its own transaction, as a surface would."""
    async with app.sessionmaker() as session, session.begin():
        ctx = CommandContext(session, app.deps, app.deps.clock.now())
        return await command(ctx, *args, **kwargs)  # type: ignore[operator]


async def resident_chats(app: App) -> dict[int, tuple[str, str]]:
    async with app.sessionmaker() as session:
        rows = (await session.execute(select(Resident))).scalars()
        return {r.id: (r.channel, r.chat_id or r.external_id) for r in rows}


async def ten_reports(app: App) -> list[Case]:
    receipts: list[str] = []
    for i, text in enumerate(STREETLIGHT):
        channel = CHANNELS[i % len(CHANNELS)]
        if channel == "open311":
            await api_filing(app, channel, f"req{i}", text)
        else:
            receipts.append(await chat_filing(app, channel, f"u{i}", text))
    first = (await all_cases(app))[0]
    # Every later chat resident was told their matter is already someone's case.
    merged_receipts = [r for r in receipts[1:] if "您的诉求已并入" in r]
    assert len(merged_receipts) == len(receipts) - 1
    assert all(f"该问题已有工单 {first.number} 正在办理" in r for r in merged_receipts)
    return await all_cases(app)


async def test_ten_residents_one_streetlight_one_case_ten_answers(app: App) -> None:
    """Ten residents on four channels reporting one broken light make one case for the unit;
    each of the ten hears the reply and the result and gets, and answers, their own 回访."""
    staff = await join(app, "s1", LIGHT_UNIT)
    cases = await ten_reports(app)
    assert len(cases) == 10
    parents = [c for c in cases if c.parent_id is None]
    assert len(parents) == 1
    parent = parents[0]
    assert all(c.parent_id == parent.id and c.state == "merged" for c in cases[1:])
    unit_cards = [
        row for row in await outbox(app, staff.user_id) if row.idempotency_key.startswith("card:")
    ]
    assert {row.case_id for row in unit_cards} == {parent.id}  # the unit works one case

    actor = await staff_actor(app, "s1")
    await run(app, cmd.sign, actor, parent.id, version=parent.version)
    await run(app, cmd.reply, actor, parent.id, version=parent.version + 1, text="已安排维修")
    await run(app, cmd.resolve, actor, parent.id, version=parent.version + 1, result="灯已修好")

    chats = await resident_chats(app)
    rows = await outbox(app)
    for case in cases:
        channel, chat = chats[case.resident_id]
        mine = [r for r in rows if r.channel == channel and r.recipient == chat]
        said = "\n".join(str(r.payload["text"]) for r in mine)
        assert "已安排维修" in said and "灯已修好" in said, (case.number, said)
        assert case.number in said

    # The working day after 办结: every case, the parent and each merged one, asks its own 回访.
    await Sweep(app.deps).run(local(2026, 11, 26, 10, 0))
    callbacks = [r for r in await outbox(app) if r.idempotency_key.startswith("fu:callback:")]
    assert {r.case_id for r in callbacks} == {c.id for c in cases}
    for case in cases:
        resident = Actor.of_resident(case.resident_id)
        await run(app, cmd.answer_resolved, resident, case.id, resolved=True)
        await run(app, cmd.rate, resident, case.id, satisfaction="satisfied")
    assert {c.state for c in await all_cases(app)} == {CaseState.CLOSED.value}


async def test_no_resident_learns_another_residents_identity(app: App) -> None:
    """A merged resident's messages carry case numbers only: never another resident's phone
    or words."""
    phone = "13912345678"
    first = await api_filing(app, "open311", "req-a", f"建宁路路灯坏了，电话{phone}")
    second = await api_filing(app, "open311", "req-b", "建宁路上的路灯坏了")
    assert second.parent_id == first.id
    actor = await staff_actor(app, (await join(app, "s1", LIGHT_UNIT)).user_id)
    await run(app, cmd.sign, actor, first.id, version=first.version)
    await run(app, cmd.resolve, actor, first.id, version=first.version + 1, result="修好了")
    theirs = [r for r in await outbox(app, "req-b")]
    assert theirs and all(phone not in str(r.payload) for r in theirs)
    assert all("req-a" not in str(r.payload) for r in theirs)


async def test_likely_duplicate_is_shown_with_buttons_and_merged_by_the_dispatcher(
    app: App,
) -> None:
    """A likely duplicate is routed as usual; the unit sees 可能重复 on the case's own card with
    并单 / 不是重复 (no separate message), the dispatchers, who get no card of a case routed
    straight to a unit, a separate notice; the dispatcher's 并单 merges it, the resident is
    told, and 拆单 undoes it."""
    dispatcher = await join(app, "d1", "区政务服务中心", "dispatcher")
    unit = await join(app, "s1", HEAT_UNIT)
    first = await api_filing(app, "open311", "a", "师大社区5号楼暖气不热，家里只有十几度")
    second = await api_filing(app, "open311", "b", "师大社区5号楼暖气一点都不热，冻得受不了")
    assert second.parent_id is None and second.state == "dispatched"
    shown = [r for r in await outbox(app, unit.user_id) if "可能重复" in str(r.payload)]
    assert len(shown) == 1 and shown[0].idempotency_key.startswith("card:"), shown
    card = shown[0].payload
    assert card["text"].startswith("【新工单】") and second.number in card["text"]
    assert f"可能重复: {first.number}（相似度 " in card["text"]
    assert button(card, "签收")  # the unit's own buttons stay
    assert button(card, f"并单 {first.number}") == (f"m:mg:{second.id}:{first.id}:{second.version}")
    assert button(card, f"不是重复 {first.number}") == f"m:nd:{second.id}:{first.id}"
    notices = [r for r in await outbox(app, dispatcher.user_id) if "可能重复" in str(r.payload)]
    assert len(notices) == 1 and notices[0].idempotency_key.startswith("dupe:")
    assert f"可能重复: {first.number}" in str(notices[0].payload["text"])
    notice = next(r for r in await outbox(app, "d1") if "可能重复" in str(r.payload))
    merge_payload = notice.payload["buttons"][0][0]["payload"]
    replies = await dispatcher.press(merge_payload)
    assert "已将" in texts(replies), texts(replies)
    merged = next(c for c in await all_cases(app) if c.id == second.id)
    assert merged.parent_id == first.id and merged.state == "merged"
    assert any("已并入一并办理" in str(r.payload) for r in await outbox(app, "b"))
    # Pressed again (a replayed button): stale, nothing changes.
    assert "已过期" in texts(await dispatcher.press(merge_payload))
    # 拆单 under the confirmation undoes it: the case is the unit's own again.
    undo = next(b.payload for r in replies for b in r.all_buttons() if b.label == "拆单")
    assert "拆出" in texts(await dispatcher.press(undo))
    split = next(c for c in await all_cases(app) if c.id == second.id)
    assert split.parent_id is None and split.state == "dispatched"


async def test_a_queued_duplicate_carries_the_line_on_the_dispatchers_card(app: App) -> None:
    """A case waiting for dispatch shows 可能重复 on the queue card itself (no second message);
    the card's 并单 merges it, and the card's 不是重复 on another is recorded."""
    dispatcher = await join(app, "d1", "区政务服务中心", "dispatcher")
    first = await api_filing(app, "open311", "a", "师大社区5号楼暖气不热，家里只有十几度")
    second = await api_filing(
        app, "open311", "b", "师大社区5号楼暖气一点都不热，冻得受不了", routed=False
    )
    assert second.state == "pending_dispatch"
    mine = await outbox(app, dispatcher.user_id)
    shown = [r for r in mine if "可能重复" in str(r.payload)]
    assert len(shown) == 1 and shown[0].idempotency_key.startswith("queue:"), mine
    card = shown[0].payload
    assert f"【待派单】{second.number}" in card["text"]
    assert f"可能重复: {first.number}" in card["text"]
    assert "暖气" in card["text"] and "路由建议" in card["text"]
    replies = await dispatcher.press(button(card, f"并单 {first.number}"))
    assert "已将" in texts(replies), texts(replies)
    merged = next(c for c in await all_cases(app) if c.id == second.id)
    assert merged.parent_id == first.id and merged.state == "merged"


async def test_merge_buttons_are_checked_on_the_server(app: App) -> None:
    """A resident pressing a forged 并单 button, or staff of another unit, change nothing."""
    await join(app, "other", "区城市管理局")
    first = await api_filing(app, "open311", "a", "师大社区5号楼暖气不热，家里只有十几度")
    second = await api_filing(app, "open311", "b", "师大社区5号楼暖气一点都不热，冻得受不了")
    forged = f"m:mg:{second.id}:{first.id}:{second.version}"
    resident = ResidentClient(app.conversation, user_id="intruder")
    await resident.press(forged)
    outsider_unit = await staff_actor(app, "other")
    with pytest.raises(Refusal) as refused:
        await run(app, cmd.merge, outsider_unit, second.id, first.id, version=second.version)
    assert refused.value.code is RefusalCode.NOT_YOUR_UNIT
    with pytest.raises(Refusal) as itself:
        await run(
            app, cmd.merge, Actor(cmd.ActorKind.SUPERVISOR, "1"), second.id, second.id, version=1
        )
    assert itself.value.code is RefusalCode.NOT_MERGEABLE
    assert all(c.parent_id is None for c in await all_cases(app))


async def test_unit_staff_merge_their_own_cases_and_unmerge_restores_the_child(app: App) -> None:
    """The unit's staff may merge two of their cases; unmerge gives the child back to the unit
    with fresh clocks, and both cases log both steps."""
    await join(app, "s1", HEAT_UNIT)
    actor = await staff_actor(app, "s1")
    first = await api_filing(app, "open311", "a", "师大社区5号楼暖气不热，家里只有十几度")
    second = await api_filing(app, "open311", "b", "师大社区5号楼暖气一点都不热，冻得受不了")
    child = await run(app, cmd.merge, actor, second.id, first.id, version=second.version)
    assert isinstance(child, Case) and child.state == "merged"
    child = await run(app, cmd.unmerge, actor, second.id, version=child.version)
    assert isinstance(child, Case)
    assert child.state == "dispatched" and child.parent_id is None
    assert child.unit_name == HEAT_UNIT and child.handle_deadline is not None
    async with app.sessionmaker() as session:
        actions = {
            (e.case_id, e.action) for e in (await session.execute(select(CaseEvent))).scalars()
        }
    assert {(second.id, "merged"), (second.id, "unmerged")} <= actions
    assert {(first.id, "merged_in"), (first.id, "unmerged_out")} <= actions


async def test_not_a_duplicate_is_recorded(app: App) -> None:
    """不是重复 writes an event on the case naming the other case, and merges nothing."""
    dispatcher = await join(app, "d1", "区政务服务中心", "dispatcher")
    first = await api_filing(app, "open311", "a", "师大社区5号楼暖气不热，家里只有十几度")
    second = await api_filing(app, "open311", "b", "师大社区5号楼暖气一点都不热，冻得受不了")
    await dispatcher.press(f"m:nd:{second.id}:{first.id}")
    async with app.sessionmaker() as session:
        event = (
            await session.execute(
                select(CaseEvent).where(
                    CaseEvent.case_id == second.id, CaseEvent.action == "not_duplicate"
                )
            )
        ).scalar_one()
    assert event.note == first.number
    assert all(c.parent_id is None for c in await all_cases(app))


async def test_withdrawn_parent_releases_its_merged_children(app: App) -> None:
    """A parent withdrawn by its resident leaves each merged child a case of its own at the
    unit, so no report is lost."""
    first = await api_filing(app, "open311", "a", "建宁路上的路灯坏了一个多月了")
    second = await api_filing(app, "open311", "b", "建宁路路灯坏了一个月了")
    assert second.parent_id == first.id
    await run(app, cmd.withdraw, Actor.of_resident(first.resident_id), first.id)
    released = next(c for c in await all_cases(app) if c.id == second.id)
    assert released.parent_id is None and released.state == "dispatched"
    assert released.unit_name == LIGHT_UNIT


async def test_reports_count_filings_and_cases_apart_and_list_children(app: App) -> None:
    """The report counts every filing as 诉求 and only unmerged ones as 工单; merged_children
    gives the 台账 each parent's children."""
    first = await api_filing(app, "open311", "a", "建宁路上的路灯坏了一个多月了")
    await api_filing(app, "open311", "b", "建宁路路灯坏了一个月了")
    await api_filing(app, "open311", "c", "建宁路有一盏路灯坏了")
    await api_filing(app, "open311", "d", "福兴路社区楼下烧烤店油烟太大")
    now = app.deps.clock.now()
    async with app.sessionmaker() as session:
        report = await build_report(
            session,
            start=datetime(2026, 11, 1, tzinfo=UTC),
            end=datetime(2026, 12, 1, tzinfo=UTC),
            unit=None,
            now=now,
            calendar=app.deps.calendar,
        )
        children = await merged_children(session, [first.id])
    assert report.total.received == 4 and report.total.work_orders == 2
    assert report.to_json()["total"]["filings"] == 4
    assert [c.description for c in children[first.id]] == [
        "建宁路路灯坏了一个月了",
        "建宁路有一盏路灯坏了",
    ]


async def test_merged_case_gets_the_parents_replies_only_while_merged(app: App) -> None:
    """A reply on the parent reaches the merged residents on their own case numbers; the parent's
    own resident gets it once."""
    first = await api_filing(app, "open311", "a", "建宁路上的路灯坏了一个多月了")
    second = await api_filing(app, "open311", "b", "建宁路路灯坏了一个月了")
    actor = await staff_actor(app, (await join(app, "s1", LIGHT_UNIT)).user_id)
    await run(app, cmd.reply, actor, first.id, version=first.version, text="明天去修")
    to_b = [str(r.payload["text"]) for r in await outbox(app, "b") if "明天去修" in str(r.payload)]
    to_a = [str(r.payload["text"]) for r in await outbox(app, "a") if "明天去修" in str(r.payload)]
    assert len(to_b) == 1 and second.number in to_b[0]
    assert len(to_a) == 1 and first.number in to_a[0]


async def test_a_merged_residents_added_information_reaches_the_unit(app: App) -> None:
    """补充 on a merged case is relayed to the unit working the parent, without who wrote it."""
    unit = await join(app, "s1", LIGHT_UNIT)
    await api_filing(app, "open311", "a", "建宁路上的路灯坏了一个多月了")
    second = await api_filing(app, "open311", "b", "建宁路路灯坏了一个月了")
    assert second.state == "merged"
    resident = Actor.of_resident(second.resident_id)
    await run(app, cmd.add_info, resident, second.id, text="就在师大后门那一段")
    relayed = [r for r in await outbox(app, unit.user_id) if "师大后门" in str(r.payload)]
    assert len(relayed) == 1 and "req" not in str(relayed[0].payload)
