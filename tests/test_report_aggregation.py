"""The report counted in the database (handlers/report.py) equals the case-by-case computation
it replaced (tests/report_reference.py), on both databases and a varied month: merged filings,
an approved and a denied extension, a return and re-assignment, a reopen, ratings answered and
unanswered, open and overdue cases; at several reporting instants, for all units and for one."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.app import App
from handlers.cases import commands as cmd
from handlers.cases.commands import Actor, CommandContext
from handlers.policy.clock import FixedClock
from handlers.policy.workcalendar import OfficeTimeline, WorkCalendar
from handlers.report import Report, build_report
from storage.models import Case, CaseEvent
from tests.desk import join
from tests.followup_support import OTHER_UNIT, UNIT, dispatched_case, local, move
from tests.report_reference import reference_report
from tests.test_merge import STREETLIGHT, api_filing, staff_actor
from tests.web_helpers import NOVEMBER, rated_scenario


async def _run(app: App, command: object, *args: object, **kwargs: object) -> object:
    async with app.sessionmaker() as session, session.begin():
        ctx = CommandContext(session, app.deps, app.deps.clock.now())
        return await command(ctx, *args, **kwargs)  # type: ignore[operator]


async def _on_case(
    app: App, actor: Actor, command: object, case_id: int, **kwargs: object
) -> object:
    """A case command on the case as it is now (its current version), as a desk would."""
    async with app.sessionmaker() as session:
        case = await session.get(Case, case_id)
        assert case is not None
        version = case.version
    return await _run(app, command, actor, case_id, version=version, **kwargs)


async def _varied_month(app: App, clock: FixedClock) -> datetime:
    now = await rated_scenario(app, clock)  # reopen, 满意 / 不满意 / 未评价, overdue
    staff, other, supervisor = [await staff_actor(app, c) for c in ("501", "701", "901")]
    # Extensions: one approved, one denied; then one of them resolved late, one on time.
    clock.set(local(2026, 11, 16, 9, 0))
    extended = await dispatched_case(app, clock.now(), user="e1")
    denied = await dispatched_case(app, clock.now(), user="e2")
    for case_id in (extended, denied):
        await move(app, case_id, "accepted", local(2026, 11, 16, 11, 0))
        asked = await _on_case(
            app, staff, cmd.request_extension, case_id, days=3, reason="需要协调施工队"
        )
        assert isinstance(asked, CaseEvent)
        approve = case_id == extended
        await _run(app, cmd.decide_extension, supervisor, asked.id, approve=approve)
    clock.set(local(2026, 11, 27, 15, 0))
    for case_id in (extended, denied):
        await _on_case(app, staff, cmd.resolve, case_id, result="已修复")
    # A return to the dispatchers, then re-assigned to the other unit, signed there.
    clock.set(local(2026, 11, 18, 9, 0))
    returned = await dispatched_case(app, clock.now(), user="t1")
    await _on_case(app, staff, cmd.return_case, returned, reason="unit")
    # The dispatcher's assign is a command too; the dispatcher joins as in chat.
    await join(app, "801", "区政务服务中心", "dispatcher")
    dispatcher = await staff_actor(app, "801")
    await _on_case(app, dispatcher, cmd.assign, returned, unit=OTHER_UNIT)
    clock.set(local(2026, 11, 19, 10, 0))
    await _on_case(app, other, cmd.sign, returned)
    # Merged filings: one matter from three residents becomes one case and two 并单.
    clock.set(local(2026, 11, 20, 10, 0))
    for i, text in enumerate(STREETLIGHT[:3]):
        await api_filing(app, "open311", f"m{i}", text)
    # A case received in the month before, and one in December (outside the cohort).
    await dispatched_case(app, local(2026, 10, 30, 16, 0), user="o1")
    await dispatched_case(app, local(2026, 12, 2, 10, 0), user="d1")
    clock.set(now)
    return now


def _same(fast: Report, slow: Report) -> None:
    assert [u.unit for u in fast.units] == [u.unit for u in slow.units]
    for mine, theirs in zip([*fast.units, fast.total], [*slow.units, slow.total], strict=True):
        assert mine.to_json() == theirs.to_json(), mine.unit
        assert mine.sign_hours == theirs.sign_hours and mine.close_hours == theirs.close_hours


async def test_aggregation_equals_the_case_by_case_report(app: App, clock: FixedClock) -> None:
    now = await _varied_month(app, clock)
    calendar = app.deps.calendar
    periods = [
        NOVEMBER,
        (local(2026, 10, 1), local(2026, 12, 31)),
        (local(2027, 1, 1), local(2027, 2, 1)),
    ]
    instants = [local(2026, 11, 26, 12, 0), local(2026, 11, 27, 15, 0), now]
    compared = 0
    async with app.sessionmaker() as session:
        for start, end in periods:
            for at in instants:
                for unit in (None, UNIT, OTHER_UNIT, "区城市管理局"):
                    kwargs = dict(start=start, end=end, unit=unit, now=at, calendar=calendar)
                    fast = await build_report(session, **kwargs)  # type: ignore[arg-type]
                    slow = await reference_report(session, **kwargs)  # type: ignore[arg-type]
                    _same(fast, slow)
                    compared += fast.total.received
        month = await build_report(
            session, start=NOVEMBER[0], end=NOVEMBER[1], unit=None, now=now, calendar=calendar
        )
    total = month.total
    # The fixture really is varied: merged filings, reopen, both kinds of rating, on time and late.
    assert total.merged == 2 and total.rated == 2 and total.unrated == 1
    assert 0 < total.on_time < total.on_time_base and total.in_progress > 0
    assert total.overdue_now > 0 and compared > 0


def test_office_timeline_equals_working_time_between() -> None:
    """The cached running sums give the calendar's own answer, across weekends, the National
    Day holidays and their make-up workdays, lunch, nights, and backwards."""
    calendar = WorkCalendar()
    timeline = OfficeTimeline(calendar)
    base = local(2026, 9, 25, 8, 0)
    moments = [base + timedelta(minutes=97 * i) for i in range(0, 600, 7)]
    for a in moments[::5]:
        for b in moments:
            assert timeline.between(a, b) == calendar.working_time_between(a, b), (a, b)
