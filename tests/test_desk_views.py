"""Staff views of cases: `/case` tells the event timeline in words, `/cases` names the clock."""

from __future__ import annotations

from datetime import datetime

from bot.app import App
from handlers.followup.payloads import resolved_button, satisfaction_button
from handlers.followup.sweep import Sweep
from handlers.policy.clock import FixedClock
from storage.cases import add_event, get_case_for_update
from tests.followup_support import ZONE, dispatched_case, get_case, local, move, seed_staff
from tests.support import ResidentClient

DISPATCHED = local(2026, 11, 25, 10, 0)


def _shown(moment: datetime | None) -> str:
    assert moment is not None
    return moment.astimezone(ZONE).strftime("%Y-%m-%d %H:%M")


async def _staff_view(app: App, command: str, *, user: str = "501") -> str:
    return (await ResidentClient(app.conversation, user_id=user).send(command))[-1].text or ""


async def test_case_timeline_names_events_in_words(app: App, clock: FixedClock) -> None:
    """`/case` shows "群众 已受理" and "系统 已派单至 培黎街道", not the stored action names."""
    await seed_staff(app, clock.now())
    case = await get_case(app, await dispatched_case(app, DISPATCHED))
    await move(app, case.id, "accepted", local(2026, 11, 25, 11, 0))
    timeline = await _staff_view(app, f"/case {case.number}", user="901")
    assert "群众 已受理" in timeline
    # The unit is the dispatch event's note as well: it is shown once, not twice.
    assert "系统 已派单至 培黎街道" in timeline and "培黎街道 培黎街道" not in timeline
    assert "承办人" in timeline and "已签收" in timeline
    assert "submitted" not in timeline and "dispatched" not in timeline


async def test_case_timeline_shows_an_unknown_action_by_its_name(
    app: App, clock: FixedClock
) -> None:
    """An action with no `event.<action>` text is shown as stored, with its note."""
    await seed_staff(app, clock.now())
    case_id = await dispatched_case(app, DISPATCHED)
    async with app.sessionmaker() as session, session.begin():
        case = await get_case_for_update(session=session, case_id=case_id)
        assert case is not None
        add_event(
            session=session,
            case=case,
            at=local(2026, 11, 25, 12, 0),
            actor_kind="system",
            actor_id=None,
            action="teleported",
            from_state=None,
            to_state=None,
            note="to the moon",
        )
        number = case.number
    timeline = await _staff_view(app, f"/case {number}", user="901")
    assert "系统 teleported to the moon" in timeline


async def test_cases_labels_a_dispatched_cases_deadline_as_the_sign_deadline(
    app: App, clock: FixedClock
) -> None:
    """A case not yet signed shows 签收时限 and its sign deadline; once signed, 办理时限."""
    await seed_staff(app, clock.now())
    case = await get_case(app, await dispatched_case(app, DISPATCHED))
    listed = await _staff_view(app, "/cases")
    assert f"签收时限 {_shown(case.sign_deadline)}" in listed and "办理时限" not in listed
    await move(app, case.id, "accepted", local(2026, 11, 25, 11, 0))
    listed = await _staff_view(app, "/cases")
    assert f"办理时限 {_shown(case.handle_deadline)}" in listed and "签收时限" not in listed


async def test_cases_labels_a_reopened_cases_deadline_as_the_sign_deadline(
    app: App, clock: FixedClock
) -> None:
    """A case reopened (重办) after 不满意 waits for the unit to sign again: 签收时限 in /cases."""
    await seed_staff(app, clock.now())
    case_id = await dispatched_case(app, DISPATCHED)
    await move(app, case_id, "accepted", local(2026, 11, 25, 11, 0))
    await move(app, case_id, "resolved", local(2026, 11, 27, 15, 0), note="路灯已修复")
    await Sweep(app.deps).run(local(2026, 11, 30, 9, 0))
    clock.set(local(2026, 11, 30, 10, 0))
    resident = ResidentClient(app.conversation, user_id="u1")
    await resident.press(resolved_button(case_id, "n"))
    await resident.press(satisfaction_button(case_id, "dis"))
    case = await get_case(app, case_id)
    assert case.state == "reopened"
    listed = await _staff_view(app, "/cases")
    assert f"签收时限 {_shown(case.sign_deadline)}" in listed and "办理时限" not in listed
