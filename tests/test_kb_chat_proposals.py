"""A unit proposes a knowledge entry from a 咨询 case it closed, in the staff chat; the proposal
is decided on the workbench or the CLI (tests/test_kb_web.py)."""

from __future__ import annotations

from datetime import timedelta

from bot.app import App
from handlers.policy.casetypes import RequestType
from storage.kb_proposals import kb_proposals
from tests.desk import Person, join
from tests.followup_support import OTHER_UNIT, UNIT, dispatched_case, get_case, local, move

ANSWER = "居住证可在居住地派出所申领，需身份证和居住证明，电话13912345678。"


async def _closed_question(app: App) -> str:
    at = local(2026, 11, 24, 9)
    case_id = await dispatched_case(app, at, unit=UNIT, request_type=RequestType.QUESTION)
    await move(app, case_id, "accepted", at + timedelta(hours=1))
    await move(app, case_id, "resolved", at + timedelta(hours=2), note=ANSWER)
    return (await get_case(app, case_id)).number


async def _close_in_chat(app: App, kind: RequestType, result: str) -> tuple[Person, str]:
    """A unit member signs and closes a case of `kind` from its card; returns them and its
    number."""
    staff = await join(app, "s1", UNIT)
    case_id = await dispatched_case(app, local(2026, 11, 24, 9), unit=UNIT, request_type=kind)
    case = await get_case(app, case_id)
    await staff.press(f"s:sign:{case.id}:{case.version}")
    case = await get_case(app, case_id)
    await staff.press(f"s:done:{case.id}:{case.version}")
    await staff.send(result)
    await staff.press("s:fin")
    return staff, case.number


async def test_closing_a_question_in_chat_offers_to_propose_it(app: App) -> None:
    staff, number = await _close_in_chat(app, RequestType.QUESTION, "可在派出所申领")
    assert f"/propose {number}" in staff.text()


async def test_a_complaint_closed_in_chat_gets_no_such_offer(app: App) -> None:
    staff, _ = await _close_in_chat(app, RequestType.COMPLAINT, "已修复")
    assert "已办结" in staff.text() and "/propose" not in staff.text()


async def test_the_closing_unit_proposes_with_the_question_and_its_answer(app: App) -> None:
    number = await _closed_question(app)
    staff = await join(app, "s1", UNIT)
    await staff.send(f"/propose {number.lower()}")
    assert number in staff.text() and "#1" in staff.text()
    async with app.sessionmaker() as session:
        [(proposal, from_case)] = await kb_proposals(session=session)
    assert from_case == number and proposal.status == "pending"
    assert proposal.title == "建宁路路灯坏了" and "派出所申领" in proposal.answer
    # The answer is pre-filled masked: a phone number in a reply does not become an entry.
    assert "13912345678" not in proposal.answer


async def test_another_unit_or_an_open_case_cannot_be_proposed(app: App) -> None:
    number = await _closed_question(app)
    other = await join(app, "s2", OTHER_UNIT)
    await other.send(f"/propose {number}")
    assert "不能提议" in other.text()
    staff = await join(app, "s1", UNIT)
    open_case = await dispatched_case(
        app, local(2026, 11, 24, 9), unit=UNIT, request_type=RequestType.QUESTION, user="u9"
    )
    await staff.send(f"/propose {(await get_case(app, open_case)).number}")
    assert "不能提议" in staff.text()
    await staff.send("/propose")
    assert "用法" in staff.text()
    dispatcher = await join(app, "d1", "区政务服务中心", "dispatcher")
    await dispatcher.send(f"/propose {number}")
    async with app.sessionmaker() as session:
        assert await kb_proposals(session=session) == []
