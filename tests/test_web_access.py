"""Who sees what in the workbench: units see their own cases, 403s are logged, text is escaped
and personal data masked."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import update

from bot.app import App
from nlp.router import Router
from storage.models import Case
from storage.staff import CENTRE_UNIT
from tests.desk import CLEAR, case_by_number, file_case
from tests.web_helpers import Browser, web_staff

OTHER = "区民政局"


def _unit(router: Router) -> str:
    unit = router.route(CLEAR).unit
    assert unit is not None and unit != OTHER
    return unit


async def test_another_units_case_is_403_and_logged(
    app: App, router: Router, browser: Browser, caplog: pytest.LogCaptureFixture
) -> None:
    """Unit staff get 403 for another unit's case page, action and photo, and each is logged."""
    number = await file_case(app)
    case = await case_by_number(app, number)
    await web_staff(app, "other", OTHER)
    await browser.login("other")
    with caplog.at_level(logging.WARNING, logger="bot.web.access"):
        assert (await browser.page(f"/desk/cases/{number}"))[0] == 403
        assert (await browser.page(f"/desk/cases/{number}/photos/0"))[0] == 403
        response = await browser.post_form(
            f"/desk/cases/{number}/sign", {"version": str(case.version)}, from_page="/desk/cases"
        )
    assert response.status == 403
    assert (await case_by_number(app, number)).state == case.state
    refusals = [r for r in caplog.records if "403" in r.getMessage()]
    assert len(refusals) == 3 and number in refusals[0].getMessage()


async def test_unit_staff_list_only_their_units_cases(
    app: App, router: Router, browser: Browser
) -> None:
    """The case list and the overdue board ignore a unit in the query for unit staff."""
    number = await file_case(app)
    await web_staff(app, "other", OTHER)
    await browser.login("other")
    _, html = await browser.page(f"/desk/cases?unit={_unit(router)}")
    assert number not in html
    _, fresh = await browser.page("/desk/cases/fresh?after=0")
    assert number not in fresh
    await web_staff(app, "mine", _unit(router))
    browser.client.session.cookie_jar.clear()
    await browser.login("mine")
    _, html = await browser.page("/desk/cases")
    assert number in html


async def test_pages_for_roles_are_refused_to_others(app: App, browser: Browser) -> None:
    """Figures, bulletin and ledger are for supervisors; the queue for the centre."""
    await web_staff(app, "other", OTHER)
    await browser.login("other")
    for path in (
        "/desk/figures",
        "/desk/bulletin",
        "/desk/ledger",
        "/desk/ledger/download",
        "/desk/queue",
    ):
        assert (await browser.page(path))[0] == 403, path


async def test_resident_text_is_escaped_and_personal_data_masked(
    app: App, router: Router, browser: Browser
) -> None:
    """A <script> in a complaint is shown as text; the phone number in it is masked."""
    number = await file_case(app, CLEAR + "<script>alert('x')</script>")
    await web_staff(app, "boss", CENTRE_UNIT, "supervisor")
    await browser.login("boss")
    for path in (f"/desk/cases/{number}", "/desk/cases", "/desk/cases/fresh?after=0"):
        _, html = await browser.page(path)
        assert "<script>alert" not in html, path
        assert "13912345678" not in html and "139****5678" in html, path
    _, html = await browser.page(f"/desk/cases/{number}")
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html


async def test_the_phone_is_shown_when_the_resident_allowed_it(
    app: App, router: Router, browser: Browser
) -> None:
    """Contact details appear in full only with the resident's consent."""
    number = await file_case(app)
    await web_staff(app, "mine", _unit(router))
    await browser.login("mine")
    async with app.sessionmaker() as session, session.begin():
        await session.execute(
            update(Case).where(Case.number == number).values(contact_phone="13812345678")
        )
    _, html = await browser.page(f"/desk/cases/{number}")
    assert "13812345678" not in html and "138****5678" in html
    async with app.sessionmaker() as session, session.begin():
        await session.execute(update(Case).where(Case.number == number).values(share_identity=True))
    _, html = await browser.page(f"/desk/cases/{number}")
    assert "13812345678" in html
