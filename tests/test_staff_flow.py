"""Unit staff work a case through the core: join, card, sign, reply, added information, close."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import App
from handlers.policy.lifecycle import CaseState
from nlp.router import Router
from storage.models import CaseEvent, StaffMember
from tests.desk import CLEAR, Person, button, case_by_number, file_case, join, outbox


def _unit(router: Router) -> str:
    unit = router.route(CLEAR).unit
    assert unit is not None
    return unit


async def test_joined_staff_get_the_card_of_a_dispatched_case(app: App, router: Router) -> None:
    """After /join, a case routed to the unit puts a masked case card in the outbox for them."""
    unit = _unit(router)
    await join(app, "s1", unit)
    number = await file_case(app)
    [card] = await outbox(app, "s1")
    text = card.payload["text"]
    assert number in text and "139****5678" in text and "13912345678" not in text
    assert "匿名/已隐藏" in text and "签收时限" in text
    assert card.payload["photos"] == ["resident-photo-1"]
    case = await case_by_number(app, number)
    assert button(card.payload, "签收") == f"s:sign:{case.id}:{case.version}"
    assert case.sign_deadline is not None and case.handle_deadline is not None


async def test_sign_reply_and_close_reach_the_resident(app: App, router: Router) -> None:
    """Signing, a reply and the result at 办结 each queue a push to the resident's chat."""
    staff = await join(app, "s1", _unit(router))
    number = await file_case(app, user_id="r1")
    [card] = await outbox(app, "s1")
    await staff.press(button(card.payload, "签收"))
    assert "已签收" in staff.text()
    case = await case_by_number(app, number)
    assert case.state == CaseState.ACCEPTED and case.signed_at is not None

    await staff.press(f"s:reply:{case.id}:{case.version}")
    await staff.send("已安排维修人员明天上午到现场查看")
    await staff.press(f"s:done:{case.id}:{case.version}")
    await staff.send("路灯已修复，恢复照明")
    await staff.photo("result-photo-1")
    await staff.press("s:fin")
    assert "已办结" in staff.text()

    to_resident = [m.payload for m in await outbox(app, "r1")]
    said = "\n".join(p["text"] for p in to_resident)
    assert "已由" in said and "签收" in said
    assert "已安排维修人员明天上午到现场查看" in said
    assert "路灯已修复，恢复照明" in said
    assert to_resident[-1]["photos"] == ["result-photo-1"]
    case = await case_by_number(app, number)
    assert case.state == CaseState.RESOLVED and case.resolved_at is not None
    async with app.sessionmaker() as session:
        member = (await session.execute(select(StaffMember))).scalar_one()
        events = (
            (await session.execute(select(CaseEvent).where(CaseEvent.case_id == case.id)))
            .scalars()
            .all()
        )
    actions = [(e.action, e.actor_kind, e.actor_id) for e in events]
    assert ("signed", "staff", str(member.id)) in actions
    assert ("resolved", "staff", str(member.id)) in actions
    assert [e.note for e in events if e.action == "resolved"] == ["路灯已修复，恢复照明"]


async def test_resident_added_information_is_relayed_to_the_unit(app: App, router: Router) -> None:
    """/add NUMBER text records the information and pushes it to the unit's staff."""
    await join(app, "s1", _unit(router))
    number = await file_case(app, user_id="r1")
    resident = Person(app, "r1")
    await resident.send(f"/add {number} 灯杆旁边还有电线裸露")
    assert "补充信息" in resident.text()
    relayed = [m.payload["text"] for m in await outbox(app, "s1")]
    assert any("灯杆旁边还有电线裸露" in text for text in relayed)


async def test_resident_withdraws_before_signing_only(app: App, router: Router) -> None:
    """A case can be withdrawn while unsigned (the unit is told); a signed one cannot."""
    staff = await join(app, "s1", _unit(router))
    first = await file_case(app, user_id="r1")
    second = await file_case(app, user_id="r1")
    resident = Person(app, "r1")
    await resident.send(f"/withdraw {first}")
    assert "已撤销" in resident.text()
    assert (await case_by_number(app, first)).state == CaseState.CANCELLED
    assert any("撤销" in m.payload["text"] for m in await outbox(app, "s1"))

    case = await case_by_number(app, second)
    await staff.press(f"s:sign:{case.id}:{case.version}")
    await resident.send(f"/withdraw {second}")
    assert "不能撤销" in resident.text()
    assert (await case_by_number(app, second)).state == CaseState.ACCEPTED


async def test_other_residents_cannot_touch_a_case(app: App, router: Router) -> None:
    """Another resident's /add and /withdraw find no such case and change nothing."""
    await join(app, "s1", _unit(router))
    number = await file_case(app, user_id="r1")
    stranger = Person(app, "r2")
    await stranger.send(f"/withdraw {number}")
    assert "未找到" in stranger.text()
    await stranger.send(f"/add {number} 假的补充")
    assert (await case_by_number(app, number)).state == CaseState.DISPATCHED
    assert not any("假的补充" in m.payload["text"] for m in await outbox(app))
