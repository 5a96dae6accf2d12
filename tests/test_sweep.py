"""The follow-up sweep: every reminder and alert of a case left alone, at the right working
times, to the right people, once."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.app import App
from handlers.followup.sweep import Sweep
from handlers.policy.clock import FixedClock
from tests.followup_support import (
    by_recipient,
    dispatched_case,
    get_case,
    local,
    move,
    outbox,
    seed_staff,
)

UNIT_STAFF = {"501", "502"}
SUPERVISORS = {"901", "902"}
HEAD = {"601"}


async def _sweep_at(app: App, at: datetime) -> list[tuple[str, str]]:
    """Run one pass at `at`; (case number, timer kind) of what fired."""
    result = await Sweep(app.deps).run(at)
    return [(f.case_number, f.kind) for f in result.fired]


async def _case_rows(app: App, after: int) -> dict[str, list[str]]:
    return by_recipient([row for row in await outbox(app, after_id=after) if row.case_id])


async def _last_id(app: App) -> int:
    rows = await outbox(app)
    return rows[-1].id if rows else 0


async def test_case_left_alone_walks_through_every_reminder(app: App, clock: FixedClock) -> None:
    """Dispatched Wed 10:00 and never touched: sign reminder Thu 09:30, sign alert Thu 17:30,
    yellow light Tue 17:30, 催办 and overdue alert Wed 17:30, bulletin escalation 5 WD later."""
    await seed_staff(app, clock.now())
    case_id = await dispatched_case(app, local(2026, 11, 25, 10, 0))
    case = await get_case(app, case_id)
    assert case.handle_deadline == local(2026, 12, 2, 17, 30)

    steps = [
        # (instant, kind expected to fire, who gets it)
        (local(2026, 11, 26, 9, 30), "sign_remind", UNIT_STAFF),
        (local(2026, 11, 26, 17, 30), "sign_overdue", SUPERVISORS),
        (local(2026, 12, 1, 17, 30), "warn", UNIT_STAFF),  # over the weekend
        (local(2026, 12, 2, 17, 30), "overdue", HEAD | SUPERVISORS),
        (local(2026, 12, 9, 17, 30), "escalate", SUPERVISORS),
    ]
    for at, kind, people in steps:
        before = await _last_id(app)
        # One second early: nothing of this case fires.
        assert await _sweep_at(app, at - timedelta(seconds=1)) == []
        assert await _case_rows(app, before) == {}
        fired = await _sweep_at(app, at)
        assert fired == [(case.number, kind)], at
        got = await _case_rows(app, before)
        assert set(got) == people, (kind, got)
        # The head hears 催办, supervisors hear an overdue alert: different texts.
        if kind == "overdue":
            assert "催办" in got["601"][0] and "超期" in got["901"][0]
    # Nothing more for this case, even much later.
    assert await _sweep_at(app, local(2027, 3, 1, 10, 0)) == []
    assert (await get_case(app, case_id)).next_due_at is None


async def test_clocks_cross_the_national_day_holiday(app: App, clock: FixedClock) -> None:
    """Dispatched on 30 Sep 2026: the 1–7 Oct holiday does not count, 10 Oct (调休 Saturday)
    does, so the reminder comes on 8 Oct and the deadline is 13 Oct."""
    await seed_staff(app, clock.now())
    case_id = await dispatched_case(app, local(2026, 9, 30, 10, 0))
    assert (await get_case(app, case_id)).handle_deadline == local(2026, 10, 13, 17, 30)
    assert await _sweep_at(app, local(2026, 10, 7, 23, 0)) == []
    fired = await _sweep_at(app, local(2026, 10, 8, 9, 30))
    assert [kind for _, kind in fired] == ["sign_remind"]
    fired = await _sweep_at(app, local(2026, 10, 12, 17, 30))
    assert [kind for _, kind in fired] == ["sign_overdue", "warn"]


async def test_signed_case_warns_the_signer_only(app: App, clock: FixedClock) -> None:
    """After 签收 the sign timers stop, and the yellow light goes to whoever signed."""
    staff = await seed_staff(app, clock.now())
    case_id = await dispatched_case(app, local(2026, 11, 25, 10, 0))
    await move(
        app, case_id, "accepted", local(2026, 11, 25, 11, 0), actor=("staff", str(staff["502"]))
    )
    before = await _last_id(app)
    fired = await _sweep_at(app, local(2026, 12, 1, 17, 30))
    assert [kind for _, kind in fired] == ["warn"]
    assert set(await _case_rows(app, before)) == {"502"}


async def test_late_sweep_skips_stale_reminders_but_alerts(app: App, clock: FixedClock) -> None:
    """A sweep that was down past a deadline sends the overdue alert, not a stale reminder."""
    await seed_staff(app, clock.now())
    await dispatched_case(app, local(2026, 11, 25, 10, 0))
    result = await Sweep(app.deps).run(local(2026, 11, 27, 10, 0))
    assert [(f.kind, f.skipped) for f in result.fired] == [
        ("sign_remind", True),
        ("sign_overdue", False),
    ]


async def test_sweeping_twice_at_the_same_time_queues_nothing_new(
    app: App, clock: FixedClock
) -> None:
    """A second pass (a restart, a second instance) neither repeats nor loses a reminder."""
    await seed_staff(app, clock.now())
    for hour in (9, 10, 11):
        await dispatched_case(app, local(2026, 11, 25, hour, 0))
    at = local(2026, 12, 3, 10, 0)
    first = await _sweep_at(app, at)
    rows = len(await outbox(app))
    assert len(first) == 3 * 4  # sign remind (skipped), sign alert, warn (skipped), overdue
    assert await _sweep_at(app, at) == []
    assert len(await outbox(app)) == rows


async def test_extension_rearms_the_handle_timers(app: App, clock: FixedClock) -> None:
    """A moved deadline (延期) gets its own yellow light and overdue alert."""
    await seed_staff(app, clock.now())
    case_id = await dispatched_case(app, local(2026, 11, 25, 10, 0))
    await move(app, case_id, "accepted", local(2026, 11, 25, 11, 0))
    assert [k for _, k in await _sweep_at(app, local(2026, 12, 1, 17, 30))] == ["warn"]
    async with app.sessionmaker() as session, session.begin():
        case = await session.get(type(await get_case(app, case_id)), case_id)
        assert case is not None
        case.handle_deadline = local(2026, 12, 4, 17, 30)  # approved: 2 more working days
        case.version += 1
    assert await _sweep_at(app, local(2026, 12, 2, 17, 30)) == []
    assert [k for _, k in await _sweep_at(app, local(2026, 12, 3, 17, 30))] == ["warn"]
    assert [k for _, k in await _sweep_at(app, local(2026, 12, 4, 17, 30))] == ["overdue"]


async def test_digest_and_bulletin_go_out_once_per_period(app: App, clock: FixedClock) -> None:
    """The digest comes at 08:30 on working days, the bulletin on Monday at 09:00, once each,
    and the bulletin lists the unit with a case escalated to it."""
    await seed_staff(app, clock.now())
    case_id = await dispatched_case(app, local(2026, 11, 25, 10, 0))
    number = (await get_case(app, case_id)).number
    sweep = Sweep(app.deps)
    assert (await sweep.run(local(2026, 11, 26, 8, 29))).digest is None
    assert (await sweep.run(local(2026, 11, 26, 8, 30))).digest == 2
    assert (await sweep.run(local(2026, 11, 26, 12, 0))).digest is None
    assert (await sweep.run(local(2026, 11, 28, 9, 0))).digest is None  # Saturday
    await sweep.run(local(2026, 12, 10, 9, 0))  # escalated on 9 Dec
    bulletin = await sweep.run(local(2026, 12, 14, 9, 0))
    assert bulletin.bulletin == 2
    text = [r for r in await outbox(app) if r.case_id is None][-1].payload["text"]
    assert "培黎街道" in text and number in text
    assert (await sweep.run(local(2026, 12, 15, 9, 0))).bulletin is None
