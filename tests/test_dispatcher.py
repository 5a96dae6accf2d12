"""Returns (退单) and the dispatcher's queue: re-dispatch, the unit menu, labelled examples."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.app import App
from handlers.conversation.payloads import MAX_BYTES
from handlers.policy.clock import FixedClock
from handlers.policy.lifecycle import CaseState
from nlp.router import Router
from storage.models import LabelledExample
from tests.desk import (
    CLEAR,
    Person,
    button,
    case_by_number,
    file_case,
    file_pending,
    join,
    outbox,
    reply_button,
)

NEW_UNIT = "区住房和城乡建设局"


async def _examples(app: App) -> list[tuple[str, str | None]]:
    async with app.sessionmaker() as session:
        rows = (
            await session.execute(select(LabelledExample).order_by(LabelledExample.id))
        ).scalars()
        return [(e.source, e.unit_name) for e in rows]


async def _return(staff: Person, case_id: int, version: int) -> None:
    await staff.press(f"s:ret:{case_id}:{version}")
    await staff.press(reply_button(staff.last, "非本单位职责"))
    await staff.send("路灯归住建局管理")


async def test_returned_case_is_reassigned_by_the_dispatcher(app: App, router: Router) -> None:
    """A return within the window reaches the dispatcher, who assigns another unit from the menu."""
    unit = router.route(CLEAR).unit
    assert unit is not None and unit != NEW_UNIT
    staff = await join(app, "s1", unit)
    dispatcher = await join(app, "d1", "区政务服务中心", "dispatcher")
    await join(app, "s2", NEW_UNIT)
    number = await file_case(app, user_id="r1")
    case = await case_by_number(app, number)

    await _return(staff, case.id, case.version)
    assert "已退回" in staff.text()
    case = await case_by_number(app, number)
    assert case.state == CaseState.PENDING_DISPATCH and case.unit_name is None
    [queued] = await outbox(app, "d1")
    assert "非本单位职责" in queued.payload["text"]
    assert all(
        len(b["payload"].encode()) <= MAX_BYTES for row in queued.payload["buttons"] for b in row
    )

    await dispatcher.press(button(queued.payload, "按部门"))
    while not any(b.label == NEW_UNIT for r in dispatcher.last for b in r.all_buttons()):
        await dispatcher.press(reply_button(dispatcher.last, "下一页"))
    await dispatcher.press(reply_button(dispatcher.last, NEW_UNIT))
    assert NEW_UNIT in dispatcher.text()

    case = await case_by_number(app, number)
    assert case.state == CaseState.DISPATCHED and case.unit_name == NEW_UNIT
    cards = await outbox(app, "s2")
    assert len(cards) == 1 and number in cards[0].payload["text"]
    assert await _examples(app) == [("return", unit), ("dispatcher", NEW_UNIT)]
    told = "\n".join(m.payload["text"] for m in await outbox(app, "r1"))
    assert "重新派单" in told and NEW_UNIT in told


async def test_return_after_the_window_is_refused(
    app: App, router: Router, clock: FixedClock
) -> None:
    """Once the return window has closed the unit must handle the case itself."""
    unit = router.route(CLEAR).unit
    assert unit is not None
    staff = await join(app, "s1", unit)
    number = await file_case(app)
    case = await case_by_number(app, number)
    assert case.return_deadline is not None
    clock.set(case.return_deadline + timedelta(minutes=1))
    await staff.press(f"s:ret:{case.id}:{case.version}")
    assert "退单时限" in staff.text()
    case = await case_by_number(app, number)
    assert case.state == CaseState.DISPATCHED and case.unit_name == unit
    assert await _examples(app) == []


async def test_pending_case_goes_to_dispatchers_with_suggestions(app: App) -> None:
    """A case filed without a unit is pushed to every dispatcher; a non-dispatcher cannot assign."""
    await join(app, "d1", "区政务服务中心", "dispatcher")
    number = await file_pending(app)
    [queued] = await outbox(app, "d1")
    assert "待派单" in queued.payload["text"] and number in queued.payload["text"]
    suggested = [b["label"] for row in queued.payload["buttons"] for b in row][:2]
    assert suggested == ["区民政局", "区人力资源和社会保障局"]
    assign = button(queued.payload, "按街道")
    staff = await join(app, "s1", "培黎街道")
    await staff.press(assign)
    assert staff.text() == "无法执行该操作。"
    await staff.press(button(queued.payload, "区民政局"))
    assert (await case_by_number(app, number)).state == CaseState.PENDING_DISPATCH
