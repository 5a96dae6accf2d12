"""A case worked end to end over HTTP: the queue, assign, sign, reply, resolve, and the pushes."""

from __future__ import annotations

import re

from bot.app import App
from handlers.policy.lifecycle import CaseState
from storage.staff import CENTRE_UNIT
from tests.desk import case_by_number, file_case, file_pending, join, outbox
from tests.web_helpers import Browser, web_staff

UNIT = "区民政局"


async def test_dispatcher_assigns_and_unit_signs_and_resolves(app: App, browser: Browser) -> None:
    """A queued case is assigned, signed and resolved in the browser; the resident is told."""
    await web_staff(app, "disp", CENTRE_UNIT, "dispatcher")
    await web_staff(app, "minzheng", UNIT, "staff")
    number = await file_pending(app, user_id="r1")

    await browser.login("disp")
    status, html = await browser.page("/desk/queue")
    assert status == 200 and number in html and "区民政局" in html
    case = await case_by_number(app, number)
    response = await browser.post_form(
        f"/desk/cases/{number}/assign",
        {"version": str(case.version), "unit": UNIT},
        from_page="/desk/queue",
    )
    assert response.status == 303, await response.text()
    case = await case_by_number(app, number)
    assert case.state == CaseState.DISPATCHED and case.unit_name == UNIT

    browser.client.session.cookie_jar.clear()
    await browser.login("minzheng")
    page = f"/desk/cases/{number}"
    response = await browser.post_form(
        f"{page}/sign", {"version": str(case.version)}, from_page=page
    )
    assert response.status == 303
    case = await case_by_number(app, number)
    assert case.state == CaseState.ACCEPTED
    response = await browser.post_form(
        f"{page}/resolve",
        {"version": str(case.version), "result": "已联系社区解答"},
        from_page=page,
    )
    assert response.status == 303
    case = await case_by_number(app, number)
    assert case.state == CaseState.RESOLVED

    told = "\n".join(m.payload["text"] for m in await outbox(app, "r1"))
    assert UNIT in told and "已联系社区解答" in told
    _, html = await browser.page(page)
    assert "签收" in html and "办结" in html and "已联系社区解答" in html


async def test_a_stale_form_changes_nothing(app: App, browser: Browser) -> None:
    """A form carrying an old case version is refused with a message, and the case is unchanged."""
    await web_staff(app, "disp", CENTRE_UNIT, "dispatcher")
    number = await file_pending(app, user_id="r1")
    case = await case_by_number(app, number)
    await browser.login("disp")
    response = await browser.post_form(
        f"/desk/cases/{number}/assign",
        {"version": str(case.version - 1), "unit": UNIT},
        from_page="/desk/queue",
    )
    assert response.status == 409
    assert "刷新" in await response.text()
    assert (await case_by_number(app, number)).state == CaseState.PENDING_DISPATCH


async def test_chat_staff_sign_in_the_browser_and_their_chat_card_goes_stale(
    app: App, browser: Browser
) -> None:
    """One person, one staff record: a Telegram member with a web login signs on the web."""
    from nlp.router import Router

    unit = Router.load(None).route("建宁路上的路灯坏了一个多月了").unit
    assert unit is not None
    person = await join(app, "tg-7", unit)
    await web_staff(app, "tg7web", unit, "staff", channel="telegram", external_id="tg-7")
    number = await file_case(app, user_id="r2")
    case = await case_by_number(app, number)
    await browser.login("tg7web")
    page = f"/desk/cases/{number}"
    response = await browser.post_form(
        f"{page}/sign", {"version": str(case.version)}, from_page=page
    )
    assert response.status == 303
    assert (await case_by_number(app, number)).state == CaseState.ACCEPTED
    # The old chat card's button is now stale.
    await person.press(f"s:sign:{case.id}:{case.version}")
    assert "过期" in person.text() or "已" in person.text()


async def test_extension_is_asked_and_approved_in_the_browser(app: App, browser: Browser) -> None:
    """Unit staff ask for 2 more working days; a supervisor approves; the deadline moves."""
    await web_staff(app, "disp", CENTRE_UNIT, "dispatcher")
    await web_staff(app, "minzheng", UNIT, "staff")
    await web_staff(app, "boss", CENTRE_UNIT, "supervisor")
    number = await file_pending(app, user_id="r3")
    case = await case_by_number(app, number)
    await browser.login("disp")
    await browser.post_form(
        f"/desk/cases/{number}/assign",
        {"version": str(case.version), "unit": UNIT},
        from_page="/desk/queue",
    )
    browser.client.session.cookie_jar.clear()
    await browser.login("minzheng")
    page = f"/desk/cases/{number}"
    case = await case_by_number(app, number)
    await browser.post_form(f"{page}/sign", {"version": str(case.version)}, from_page=page)
    case = await case_by_number(app, number)
    before = case.handle_deadline
    response = await browser.post_form(
        f"{page}/extend",
        {"version": str(case.version), "days": "2", "reason": "需要现场核实"},
        from_page=page,
    )
    assert response.status == 303
    browser.client.session.cookie_jar.clear()
    await browser.login("boss")
    _, html = await browser.page(page)
    assert "需要现场核实" in html and "批准" in html
    request = re.search(r'name="request" value="(\d+)"', html)
    assert request
    response = await browser.post_form(
        f"{page}/decide", {"request": request[1], "decision": "approve"}, from_page=page
    )
    assert response.status == 303
    case = await case_by_number(app, number)
    assert before is not None and case.handle_deadline is not None
    assert case.handle_deadline > before
    _, html = await browser.page(page)
    assert "批准延期 2 个工作日" in html
