"""An open case page and case list follow changes made elsewhere (Telegram, another browser):
the htmx polls answer 204 while nothing changed and the new state once the case moved."""

from __future__ import annotations

import re
from html import unescape

from bot.app import App
from handlers.cases import commands as cmd
from storage.models import StaffMember
from storage.staff import CENTRE_UNIT
from tests.desk import case_by_number, file_pending
from tests.web_helpers import Browser, chat_command, web_staff

UNIT = "区民政局"


async def _assigned(app: App) -> tuple[str, StaffMember, StaffMember]:
    dispatcher = await web_staff(app, "disp", CENTRE_UNIT, "dispatcher")
    staff = await web_staff(app, "tg-minzheng", UNIT, "staff", channel="telegram", external_id="77")
    number = await file_pending(app, user_id="r1")
    case = await case_by_number(app, number)
    await chat_command(
        app, dispatcher, cmd.assign, case_id=case.id, version=case.version, unit=UNIT
    )
    return number, dispatcher, staff


async def test_open_case_page_gets_the_change_made_in_chat(app: App, browser: Browser) -> None:
    number, _, staff = await _assigned(app)
    await browser.login("disp")
    _, html = await browser.page(f"/desk/cases/{number}")
    poll = unescape(re.search(r'id="case-live" hx-get="([^"]+)"', html)[1])  # type: ignore[index]
    assert (await browser.client.get(poll)).status == 204  # nothing changed yet
    case = await case_by_number(app, number)
    await chat_command(app, staff, cmd.sign, case_id=case.id, version=case.version)
    changed = await browser.client.get(poll)
    text = await changed.text()
    assert changed.status == 200 and "已签收" in text and "工单已有新进展" in text
    # The new block polls for the new version.
    version = (await case_by_number(app, number)).version
    assert f"live?version={version}" in text


async def test_case_list_rows_follow_a_change_made_in_chat(app: App, browser: Browser) -> None:
    number, _, staff = await _assigned(app)
    await browser.login("disp")
    _, html = await browser.page("/desk/cases")
    poll = unescape(re.search(r'id="case-rows" hx-get="([^"]+)"', html)[1])  # type: ignore[index]
    assert (await browser.client.get(poll)).status == 204
    case = await case_by_number(app, number)
    await chat_command(app, staff, cmd.sign, case_id=case.id, version=case.version)
    changed = await browser.client.get(poll)
    text = await changed.text()
    assert changed.status == 200 and text.lstrip().startswith("<tbody") and "已签收" in text
    assert (await browser.client.get(poll)).status == 200  # the old stamp stays stale
    fresh = unescape(re.search(r'id="case-rows" hx-get="([^"]+)"', text)[1])  # type: ignore[index]
    assert (await browser.client.get(fresh)).status == 204


async def test_the_polls_keep_the_viewers_scope(app: App, browser: Browser) -> None:
    """Another unit's staff get 403 from the case poll and never see the case in the rows."""
    number, _, _ = await _assigned(app)
    await web_staff(app, "jiaoyu", "区教育局", "staff")
    await browser.login("jiaoyu")
    response = await browser.client.get(f"/desk/cases/{number}/live?version=0")
    assert response.status == 403
    rows = await browser.client.get("/desk/cases/rows?stamp=x")
    assert number not in await rows.text()
