"""The report's figures on a constructed scenario, checked against what the log says."""

from __future__ import annotations

from datetime import timedelta

from bot.app import App
from handlers.followup.payloads import resolved_button, satisfaction_button
from handlers.followup.sweep import Sweep
from handlers.policy.clock import FixedClock
from handlers.report import build_report, format_report
from tests.followup_support import OTHER_UNIT, UNIT, dispatched_case, local, move, seed_staff
from tests.support import ResidentClient


async def test_report_matches_the_event_log(app: App, clock: FixedClock) -> None:
    """Four cases: on time and satisfied; late and dissatisfied (reopened); unanswered
    (未评价); still open and overdue. Every figure follows from those."""
    await seed_staff(app, clock.now())
    wed = local(2026, 11, 25, 10, 0)
    # 1: signed after 1 office hour, resolved Thu 10:00 (on time), rated 是 + 满意.
    c1 = await dispatched_case(app, wed, user="r1")
    await move(app, c1, "accepted", wed + timedelta(hours=1))
    await move(app, c1, "resolved", local(2026, 11, 26, 10, 0))
    # 2: signed after 3 office hours (10:00-12:00, 13:30-14:30), resolved after its deadline
    # (Wed 2 Dec 17:30), rated 否 + 不满意 -> reopened.
    c2 = await dispatched_case(app, wed, user="r2")
    await move(app, c2, "accepted", local(2026, 11, 25, 14, 30))
    await move(app, c2, "resolved", local(2026, 12, 3, 10, 0))
    # 3: another unit; resolved Fri, never answers the callback -> 未评价.
    c3 = await dispatched_case(app, wed, user="r3", unit=OTHER_UNIT)
    await move(app, c3, "accepted", wed + timedelta(hours=2))
    await move(app, c3, "resolved", local(2026, 11, 27, 10, 0))
    # 4: never signed: open and overdue.
    await dispatched_case(app, wed, user="r4")

    sweep = Sweep(app.deps)
    await sweep.run(local(2026, 11, 27, 9, 0))  # callback for 1
    clock.set(local(2026, 11, 27, 10, 0))
    r1 = ResidentClient(app.conversation, user_id="r1")
    await r1.press(resolved_button(c1, "y"))
    await r1.press(satisfaction_button(c1, "sat"))
    await sweep.run(local(2026, 11, 30, 9, 0))  # callback for 3
    await sweep.run(local(2026, 12, 4, 9, 0))  # callback for 2; 3 auto-closes on 3 Dec
    clock.set(local(2026, 12, 4, 10, 0))
    r2 = ResidentClient(app.conversation, user_id="r2")
    await r2.press(resolved_button(c2, "n"))
    await r2.press(satisfaction_button(c2, "dis"))

    now = local(2026, 12, 4, 12, 0)
    async with app.sessionmaker() as session:
        report = await build_report(
            session,
            start=local(2026, 11, 1, 0, 0),
            end=local(2026, 12, 1, 0, 0),
            unit=None,
            now=now,
            calendar=app.deps.calendar,
        )
    [peili, xilu] = report.units
    assert (peili.unit, xilu.unit) == (UNIT, OTHER_UNIT)
    assert (peili.received, peili.closed, peili.in_progress) == (3, 2, 2)  # 2 reopened, 4 open
    assert (peili.on_time, peili.on_time_base) == (1, 2)
    assert peili.overdue_now == 1  # case 4 (case 2 is reopened with fresh clocks)
    assert (peili.resolved_yes, peili.resolved_answered) == (1, 2)
    assert (peili.satisfied, peili.rated, peili.unrated) == (1, 2, 0)
    assert peili.sign_hours == [1.0, 3.0]
    assert (xilu.received, xilu.closed, xilu.in_progress, xilu.unrated, xilu.rated) == (
        1,
        1,
        0,
        1,
        0,
    )
    total = report.total
    assert total.received == 4 and total.closed == 3
    assert total.closure_rate == 0.75
    assert total.on_time_rate == 2 / 3
    assert total.satisfaction_rate == 0.5  # 未评价 is not in the denominator
    assert total.resolved_rate == 0.5
    assert total.avg_sign_hours == 2.0
    text = format_report(report, app.deps.texts, zone=app.deps.zone)
    assert "合计：受理 4，办结 3" in text and "满意率 50.0%" in text

    async with app.sessionmaker() as session:
        only = await build_report(
            session,
            start=local(2026, 11, 1, 0, 0),
            end=local(2026, 12, 1, 0, 0),
            unit=OTHER_UNIT,
            now=now,
            calendar=app.deps.calendar,
        )
    assert [u.unit for u in only.units] == [OTHER_UNIT] and only.total.received == 1
