"""The supervisor: extension requests decided by button, /overdue, /stats and /case."""

from __future__ import annotations

from datetime import timedelta

from bot.app import App
from handlers.policy.clock import FixedClock
from nlp.router import Router
from tests.desk import CLEAR, Person, button, case_by_number, file_case, join, outbox


async def _signed_case(app: App, router: Router) -> tuple[Person, Person, str]:
    unit = router.route(CLEAR).unit
    assert unit is not None
    staff = await join(app, "s1", unit)
    supervisor = await join(app, "v1", "区政务服务中心", "supervisor")
    number = await file_case(app, user_id="r1")
    case = await case_by_number(app, number)
    await staff.press(f"s:sign:{case.id}:{case.version}")
    return staff, supervisor, number


async def _ask_extension(app: App, staff: Person, number: str, days: int) -> None:
    case = await case_by_number(app, number)
    await staff.press(f"s:ext:{case.id}:{case.version}")
    await staff.send("需要协调供电公司更换线路")
    await staff.press(f"s:ed:{days}")
    assert "等待督查员审批" in staff.text()


async def test_approved_extension_moves_the_deadline_and_tells_the_resident(
    app: App, router: Router
) -> None:
    """Approval adds the working days to the handle deadline; the resident hears date and reason."""
    staff, supervisor, number = await _signed_case(app, router)
    before = (await case_by_number(app, number)).handle_deadline
    assert before is not None
    await _ask_extension(app, staff, number, 3)
    [request] = await outbox(app, "v1")
    assert "3个工作日" in request.payload["text"]
    await supervisor.press(button(request.payload, "批准"))
    assert "已批准" in supervisor.text()

    after = (await case_by_number(app, number)).handle_deadline
    assert after == app.deps.calendar.add_working_days(before, 3)
    told = (await outbox(app, "r1"))[-1].payload["text"]
    local = after.astimezone(app.deps.zone).strftime("%Y-%m-%d %H:%M")
    assert local in told and "需要协调供电公司更换线路" in told
    assert any("延期已批准" in m.payload["text"] for m in await outbox(app, "s1"))

    await supervisor.press(button(request.payload, "批准"))  # a replay
    assert supervisor.text() == "该延期申请已经处理过了。"
    assert (await case_by_number(app, number)).handle_deadline == after


async def test_denied_extension_tells_the_staff_and_keeps_the_deadline(
    app: App, router: Router
) -> None:
    """A denial leaves the deadline as it was and tells the staff member who asked."""
    staff, supervisor, number = await _signed_case(app, router)
    before = (await case_by_number(app, number)).handle_deadline
    await _ask_extension(app, staff, number, 2)
    [request] = await outbox(app, "v1")
    await supervisor.press(button(request.payload, "驳回"))
    assert "已驳回" in supervisor.text()
    assert (await case_by_number(app, number)).handle_deadline == before
    assert any("未获批准" in m.payload["text"] for m in await outbox(app, "s1"))


async def test_extension_beyond_the_cap_is_not_offered(app: App, router: Router) -> None:
    """More working days than the cap allows are refused before anything is requested."""
    staff, _, number = await _signed_case(app, router)
    case = await case_by_number(app, number)
    await staff.press(f"s:ext:{case.id}:{case.version}")
    await staff.send("原因")
    await staff.send(str(app.deps.sla.extension_cap_days + 1))
    assert "1 到 10" in staff.text()
    assert await outbox(app, "v1") == []


async def test_overdue_stats_and_case_views(app: App, router: Router, clock: FixedClock) -> None:
    """/overdue lists a case past its sign deadline by unit; /stats and /case answer masked."""
    unit = router.route(CLEAR).unit
    supervisor = await join(app, "v1", "区政务服务中心", "supervisor")
    number = await file_case(app)
    await supervisor.send("/overdue")
    assert "没有超期" in supervisor.text()
    case = await case_by_number(app, number)
    assert case.sign_deadline is not None
    clock.set(case.sign_deadline + timedelta(hours=1))
    await supervisor.send("/overdue")
    assert number in supervisor.text() and f"【{unit}】" in supervisor.text()
    await supervisor.send("/stats week")
    assert supervisor.last and supervisor.text()
    await supervisor.send("/case " + number)
    shown = supervisor.text()
    assert number in shown and "139****5678" in shown and "13912345678" not in shown
    assert not [b for r in supervisor.last for b in r.all_buttons()]
    await supervisor.send("/stats year")
    assert "用法" in supervisor.text()


async def test_staff_cannot_use_supervisor_commands(app: App, router: Router) -> None:
    """A unit's staff member asking for /overdue is refused."""
    unit = router.route(CLEAR).unit
    assert unit is not None
    staff = await join(app, "s1", unit)
    await staff.send("/overdue")
    assert staff.text() == "无法执行该操作。"
