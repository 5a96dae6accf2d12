"""Trust at the work desk: invites, group chats and forged or replayed buttons."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.app import App
from handlers.policy.clock import FixedClock
from handlers.policy.lifecycle import CaseState
from nlp.router import Router
from storage.models import CaseEvent, StaffMember, UnitChat
from tests.desk import CLEAR, Person, case_by_number, file_case, invite, join, outbox

OTHER_UNIT = "区教育局"


def _unit(router: Router) -> str:
    unit = router.route(CLEAR).unit
    assert unit is not None and unit != OTHER_UNIT
    return unit


async def _staff_count(app: App) -> int:
    async with app.sessionmaker() as session:
        return int(
            (await session.execute(select(func.count()).select_from(StaffMember))).scalar_one()
        )


async def test_used_and_expired_invites_are_refused_alike(app: App, clock: FixedClock) -> None:
    """A code works once and only until it expires; both refusals read the same."""
    code = await invite(app, "培黎街道", "staff")
    await Person(app, "s1").send(f"/join {code}")
    second = Person(app, "s2")
    await second.send(f"/join {code}")
    used_answer = second.text()
    stale = await invite(app, "培黎街道", "staff", ttl=timedelta(hours=1))
    clock.advance(timedelta(hours=2))
    late = Person(app, "s3")
    await late.send(f"/join {stale}")
    assert "无效" in used_answer and late.text() == used_answer
    await late.send("/join NOT-A-CODE")
    assert late.text() == used_answer
    assert await _staff_count(app) == 1


async def test_group_binding_sends_cards_and_ignores_outsiders(app: App, router: Router) -> None:
    """/bindgroup binds a group to the unit's cards; non-staff in the group get no answer."""
    unit = _unit(router)
    binder = Person(app, "s1")
    await binder.send(f"/bindgroup {await invite(app, unit, 'staff')}", chat="-100")
    assert unit in binder.text()
    async with app.sessionmaker() as session:
        bound = (await session.execute(select(UnitChat))).scalar_one()
    assert (bound.chat_id, bound.unit_name) == ("-100", unit)

    number = await file_case(app)
    [card] = await outbox(app, "-100")
    assert number in card.payload["text"]
    assert await Person(app, "passer-by").send("大家好，这是什么群？", chat="-100") == []
    assert await Person(app, "passer-by").send("/help", chat="-100") == []


async def test_forged_buttons_change_nothing_and_are_logged(
    app: App, router: Router, caplog: pytest.LogCaptureFixture
) -> None:
    """Another unit's staff, a resident and a stale or replayed card are all refused."""
    staff = await join(app, "s1", _unit(router))
    outsider = await join(app, "s2", OTHER_UNIT)
    number = await file_case(app, user_id="r1")
    case = await case_by_number(app, number)
    sign = f"s:sign:{case.id}:{case.version}"
    pushes = len(await outbox(app))

    with caplog.at_level(logging.WARNING, logger="handlers.desk.workdesk"):
        await outsider.press(sign)
        # Told why, as the button's own pop-up (never a message posted into a group).
        assert outsider.text() == "该工单不属于本单位，无法操作。"
        assert outsider.last[-1].notice
        resident = Person(app, "r1")
        await resident.press(sign)
        assert resident.text() == "无法执行该操作。"
        await staff.press(f"s:sign:{case.id}:{case.version - 1}")
        assert "过期" in staff.text()
    assert (await case_by_number(app, number)).state == CaseState.DISPATCHED
    assert len(await outbox(app)) == pushes
    refusals = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(refusals) == 3 and all(sign[:7] in r.getMessage() for r in refusals)

    await staff.press(sign)
    await staff.press(sign)  # a replay of the same card's button
    assert "过期" in staff.text()
    async with app.sessionmaker() as session:
        signed = await session.scalar(
            select(func.count()).where(CaseEvent.case_id == case.id, CaseEvent.action == "signed")
        )
    assert signed == 1


async def test_staff_never_see_the_residents_phone(app: App, router: Router) -> None:
    """A resident's phone number is hidden in the card unless they allowed the unit to see it."""
    await join(app, "s1", _unit(router))
    resident = Person(app, "r1")
    await resident.send("/new")
    await resident.press("t:complaint")
    await resident.send(CLEAR)
    if "照片" in resident.text():
        await resident.press("i:skip")
    await resident.press("i:phone")
    await resident.send("13987654321")
    await resident.press("i:share:n")
    await resident.press("i:submit")
    [card] = await outbox(app, "s1")
    assert "13987654321" not in card.payload["text"]
    assert "匿名/已隐藏" in card.payload["text"]


async def test_staff_see_the_phone_the_resident_allowed(app: App, router: Router) -> None:
    """A resident who allows it has their phone number shown on the unit's card."""
    await join(app, "s1", _unit(router))
    resident = Person(app, "r1")
    await resident.send("/new")
    await resident.press("t:complaint")
    await resident.send(CLEAR)
    if "照片" in resident.text():
        await resident.press("i:skip")
    await resident.press("i:phone")
    await resident.send("13987654321")
    await resident.press("i:share:y")
    await resident.press("i:submit")
    [card] = await outbox(app, "s1")
    assert "13987654321" in card.payload["text"]
