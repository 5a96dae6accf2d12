"""The callback (回访) and the resident's answers: close, reopen (重办), supervisor review,
auto-close as 未评价, comments."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.app import App
from handlers.followup.payloads import resolved_button, satisfaction_button
from handlers.followup.sweep import Sweep
from handlers.policy.clock import FixedClock
from storage.models import CaseEvent
from tests.followup_support import (
    by_recipient,
    dispatched_case,
    get_case,
    local,
    move,
    outbox,
    seed_staff,
)
from tests.support import ResidentClient, texts

RESOLVED_FRIDAY = local(2026, 11, 27, 15, 0)
CALLBACK_MONDAY = local(2026, 11, 30, 9, 0)


async def _resolved_case(app: App, clock: FixedClock) -> int:
    await seed_staff(app, clock.now())
    case_id = await dispatched_case(app, local(2026, 11, 25, 10, 0))
    await move(app, case_id, "accepted", local(2026, 11, 25, 11, 0))
    await move(app, case_id, "resolved", RESOLVED_FRIDAY, note="路灯已修复")
    return case_id


async def _callback(app: App, case_id: int) -> None:
    fired = (await Sweep(app.deps).run(CALLBACK_MONDAY)).fired
    assert [f.kind for f in fired] == ["callback"]


async def test_callback_comes_the_working_day_after_resolution(app: App, clock: FixedClock) -> None:
    """Resolved on Friday afternoon: the callback is queued for the resident on Monday 09:00,
    with the unit's result and the resolved? buttons."""
    case_id = await _resolved_case(app, clock)
    sweep = Sweep(app.deps)
    assert [f.kind for f in (await sweep.run(CALLBACK_MONDAY - timedelta(seconds=1))).fired] == []
    await _callback(app, case_id)
    [text] = by_recipient(await outbox(app))["u1"]
    assert "路灯已修复" in text and "解决" in text
    row = next(r for r in await outbox(app) if r.recipient == "u1")
    payloads = [b["payload"] for b in row.payload["buttons"][0]]
    assert payloads == [resolved_button(case_id, "y"), resolved_button(case_id, "n")]


async def test_satisfied_answer_closes_the_case(app: App, clock: FixedClock) -> None:
    """是 then 满意: archived, with the answers in the log; the comment that follows is kept."""
    case_id = await _resolved_case(app, clock)
    await _callback(app, case_id)
    clock.set(CALLBACK_MONDAY + timedelta(hours=1))
    resident = ResidentClient(app.conversation, user_id="u1")
    replies = await resident.press(resolved_button(case_id, "y"))
    assert [b.label for b in resident.buttons()] == ["满意", "基本满意", "不满意"]
    replies = await resident.click("满意")
    assert "已归档" in texts(replies)
    case = await get_case(app, case_id)
    assert (case.state, case.satisfaction, case.feedback_resolved) == ("closed", "satisfied", True)
    replies = await resident.send("修得很快，谢谢")
    assert "意见已记录" in texts(replies)
    async with app.sessionmaker() as session:
        actions = (
            (
                await session.execute(
                    select(CaseEvent.action)
                    .where(CaseEvent.case_id == case_id)
                    .order_by(CaseEvent.id)
                )
            )
            .scalars()
            .all()
        )
    assert actions[-4:] == ["feedback_resolved", "feedback", "closed", "feedback_comment"]
    # An old button pressed again changes nothing.
    assert "评价过" in texts(await resident.press(satisfaction_button(case_id, "dis")))


async def test_dissatisfied_reopens_to_the_same_unit_with_fresh_clocks(
    app: App, clock: FixedClock
) -> None:
    """不满意 reopens (重办) to the same unit, with deadlines counted from the answer."""
    case_id = await _resolved_case(app, clock)
    await _callback(app, case_id)
    clock.set(local(2026, 11, 30, 10, 0))
    before = (await outbox(app))[-1].id
    resident = ResidentClient(app.conversation, user_id="u1")
    await resident.press(resolved_button(case_id, "n"))
    replies = await resident.press(satisfaction_button(case_id, "dis"))
    assert "重办" in texts(replies)
    case = await get_case(app, case_id)
    assert (case.state, case.unit_name, case.reopen_count) == ("reopened", "培黎街道", 1)
    assert case.sign_deadline == local(2026, 12, 1, 17, 30)
    assert case.handle_deadline == local(2026, 12, 7, 17, 30)
    assert set(by_recipient(await outbox(app, after_id=before))) == {"501", "502"}
    # The reopened case runs its clocks again: the sign reminder comes at half the sign clock.
    fired = (await Sweep(app.deps).run(local(2026, 12, 1, 10, 30))).fired
    assert [f.kind for f in fired] == ["sign_remind"]


async def test_reopened_case_reaches_the_unit_as_a_card_it_can_sign(
    app: App, clock: FixedClock
) -> None:
    """The unit gets the reopened case as a card with 签收, and signing it works again."""
    case_id = await _resolved_case(app, clock)
    await _callback(app, case_id)
    clock.set(local(2026, 11, 30, 10, 0))
    before = (await outbox(app))[-1].id
    resident = ResidentClient(app.conversation, user_id="u1")
    await resident.press(resolved_button(case_id, "n"))
    await resident.press(satisfaction_button(case_id, "dis"))
    row = next(r for r in await outbox(app) if r.id > before and r.recipient == "501")
    labels = {b["label"]: b["payload"] for line in row.payload["buttons"] for b in line}
    assert {"签收", "办结"} <= set(labels)
    staff = ResidentClient(app.conversation, user_id="501")
    await staff.press(labels["签收"])
    assert (await get_case(app, case_id)).state == "accepted"


async def test_after_max_reopens_dissatisfied_goes_to_supervisors(
    app: App, clock: FixedClock
) -> None:
    """With sla.max_reopens = 2, the third 不满意 archives the case for supervisor review."""
    case_id = await _resolved_case(app, clock)
    resident = ResidentClient(app.conversation, user_id="u1")
    resolved_at = RESOLVED_FRIDAY
    for round_ in range(3):
        callback_at = app.deps.calendar.next_workday_start(resolved_at)
        assert [f.kind for f in (await Sweep(app.deps).run(callback_at)).fired] == ["callback"]
        clock.set(callback_at + timedelta(minutes=5))
        before = (await outbox(app))[-1].id
        replies = await resident.press(satisfaction_button(case_id, "dis"))
        case = await get_case(app, case_id)
        if round_ < 2:
            assert case.state == "reopened" and case.reopen_count == round_ + 1
            resolved_at = callback_at + timedelta(hours=2)
            await move(app, case_id, "resolved", resolved_at, note=f"第{round_ + 2}次办结")
        else:
            assert case.state == "closed" and case.satisfaction == "dissatisfied"
            assert "督查" in texts(replies)
            assert set(by_recipient(await outbox(app, after_id=before))) == {"901", "902"}


async def test_no_answer_auto_closes_as_unrated(app: App, clock: FixedClock) -> None:
    """No answer within 3 calendar days: archived as 未评价, never as satisfied."""
    case_id = await _resolved_case(app, clock)
    await _callback(app, case_id)
    sweep = Sweep(app.deps)
    closes_at = CALLBACK_MONDAY + timedelta(days=3)
    assert (await sweep.run(closes_at - timedelta(seconds=1))).fired == []
    assert [f.kind for f in (await sweep.run(closes_at)).fired] == ["auto_close"]
    case = await get_case(app, case_id)
    assert (case.state, case.satisfaction) == ("closed", "unrated")


async def test_only_the_resident_who_filed_can_answer(app: App, clock: FixedClock) -> None:
    """A forged button from someone else is refused and changes nothing."""
    case_id = await _resolved_case(app, clock)
    await _callback(app, case_id)
    stranger = ResidentClient(app.conversation, user_id="u2")
    await stranger.send("/start")
    replies = await stranger.press(satisfaction_button(case_id, "sat"))
    assert "未找到" in texts(replies)
    assert (await get_case(app, case_id)).state == "resolved"
