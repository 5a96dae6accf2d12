"""The workbench in a real browser (Playwright driving Debian's Chromium): log in, a case from the
chat core reaches the queue, the dispatcher assigns it, the unit signs and closes it, the
resident is told; 403, CSRF and escaping as a browser sees them; figures and the 台账 download.

The app and its web server run in a background thread with their own event loop (the bot's
single-loop shape); the tests drive the browser with Playwright's sync API. One browser for the
whole module. Screenshots of every page at 1280 and 390 px go to var/screenshots.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import threading
from collections.abc import Coroutine, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from openpyxl import load_workbook

from bot.app import App, build_app
from bot.config import Settings
from bot.web.server import WebServer
from handlers.cases.commands import assign, resolve, sign
from handlers.ledger import COLUMNS, SUMMARY_COLUMNS
from handlers.policy.clock import FixedClock
from handlers.policy.lifecycle import CaseState
from nlp.router import Router
from storage.staff import CENTRE_UNIT
from tests.conftest import T0
from tests.desk import CLEAR, case_by_number, file_case, file_pending, outbox
from tests.images import photo_png
from tests.web_helpers import PASSWORD, chat_command, staff_member, web_staff

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = os.environ.get("HOTLINE_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path(
    os.environ.get("HOTLINE_SCREENSHOTS", Path(__file__).parents[1] / "var" / "screenshots")
)
UNIT = "区民政局"
OTHER = "区教育局"
T = TypeVar("T")


class LiveApp:
    """The whole app on SQLite with the web server, in a thread of its own (one event loop)."""

    def __init__(self, folder: Path, router: Router, *, more: dict[str, Any] | None = None) -> None:
        """`more`: further settings tables (the knowledge-base browser test points [kb] at a
        copy of the entries and loads it)."""
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.clock = FixedClock(T0)
        settings = Settings.model_validate(
            {
                "database": {"url": f"sqlite+aiosqlite:///{folder / 'hotline.db'}"},
                "media": {"dir": str(folder / "media")},
                "web": {"port": 0, "poll_seconds": 1, "secret": "test-secret-key"},
                **(more or {}),
            }
        )
        self.app: App = self.run(
            build_app(settings, clock=self.clock, router=router, knowledge=more is not None)
        )
        self.server = WebServer(self.app)
        self.run(self.server.start())
        self.url = self.server.url

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout=120)

    def close(self) -> None:
        self.run(self.server.stop())
        self.run(self.app.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, router: Router) -> Iterator[LiveApp]:
    app = LiveApp(tmp_path_factory.mktemp("web-live"), router)
    for login, unit, role in (
        ("disp", CENTRE_UNIT, "dispatcher"),
        ("boss", CENTRE_UNIT, "supervisor"),
        ("minzheng", UNIT, "staff"),
        ("jiaoyu", OTHER, "staff"),
    ):
        app.run(web_staff(app.app, login, unit, role))
    try:
        yield app
    finally:
        app.close()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (make test installs it)")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Any, live: LiveApp) -> Iterator[Any]:
    context = chromium.new_context(
        viewport={"width": 1280, "height": 800},
        base_url=live.url,
        locale="zh-CN",
        accept_downloads=True,
    )
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    try:
        yield tab
    finally:
        context.close()


def login(page: Any, name: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.fill("input[name=login]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def shoot(page: Any, name: str) -> None:
    """The page at desktop and at phone width, full length."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.screenshot(path=str(SHOTS / f"{name}-desktop.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(SHOTS / f"{name}-phone.png"), full_page=True)
    # At phone width nothing may stick out sideways except inside the scrolling tables.
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= 390 + 1, f"{name}: page is {overflow} px wide at 390 px"
    page.set_viewport_size({"width": 1280, "height": 800})


def test_login_with_a_wrong_password_then_the_right_one(page: Any) -> None:
    """A wrong password shows an error; the right one opens the case list."""
    page.goto("/desk/cases")
    assert "/login" in page.url
    shoot(page, "login")
    login(page, "boss", "wrong password!")
    assert page.locator(".error").inner_text() == "登录名或密码不对"
    login(page, "boss")
    page.wait_for_url("**/desk/cases")
    assert "督查员" in page.locator(".who").inner_text()


def test_a_chat_case_is_assigned_signed_and_closed_in_the_browser(page: Any, live: LiveApp) -> None:
    """Queue → assign with the unit search box → sign → close; the resident gets each push."""
    number = live.run(file_pending(live.app, user_id="r-web"))
    login(page, "disp")
    page.goto("/desk/queue")
    item = page.locator("article.queue-item", has_text=number)
    assert "置信度" in item.inner_text() or "系统判断" in item.inner_text()
    shoot(page, "queue")
    item.locator("form.assign input[name=unit]").fill(UNIT)
    item.locator("form.assign button").click()
    page.wait_for_url(f"**/desk/cases/{number}?done=assigned")
    assert "已派单" in page.locator(".flash").inner_text()
    assert live.run(case_by_number(live.app, number)).unit_name == UNIT

    page.click("form.inline button.link")  # log out
    page.wait_for_url("**/login")
    login(page, "minzheng")
    page.wait_for_url("**/desk/cases")
    page.click(f"text={number}")
    shoot(page, "case-to-sign")
    page.click("button:has-text('签收')")
    page.wait_for_url("**done=signed")
    page.fill("textarea[name=result]", "已联系社区为您办理低保复核，请留意短信。")
    page.click("form[action$='/resolve'] button")
    page.wait_for_url("**done=resolved")
    assert "已办结" in page.locator("h1").inner_text()
    assert "已联系社区" in page.locator(".timeline").inner_text()
    shoot(page, "case")
    assert live.run(case_by_number(live.app, number)).state == CaseState.RESOLVED
    pushes = [m.payload["text"] for m in live.run(outbox(live.app, "r-web"))]
    assert any(UNIT in text for text in pushes)
    assert any("已联系社区为您办理低保复核" in text for text in pushes)
    page.goto("/desk/cases")
    shoot(page, "cases")


def test_another_units_case_is_forbidden(page: Any, live: LiveApp) -> None:
    """Staff of another unit get 403 for the case page."""
    number = live.run(file_pending(live.app, user_id="r-403"))
    login(page, "jiaoyu")
    page.wait_for_url("**/desk/cases")
    response = page.goto(f"/desk/cases/{number}")
    assert response is not None and response.status == 403


def test_a_form_without_its_csrf_token_is_refused(page: Any, live: LiveApp) -> None:
    """With the hidden token removed, the sign form is refused and the case is unchanged."""
    number = live.run(file_pending(live.app, user_id="r-csrf"))
    case = live.run(case_by_number(live.app, number))
    login(page, "disp")
    page.goto(f"/desk/cases/{number}")
    page.evaluate("document.querySelectorAll('input[name=csrf]').forEach(e => e.remove())")
    page.fill("form.assign input[name=unit]", UNIT)
    page.click("form.assign button")
    assert "表单已失效" in page.content()
    assert live.run(case_by_number(live.app, number)).version == case.version


def test_a_script_in_a_complaint_shows_as_text(page: Any, live: LiveApp) -> None:
    """A resident's <script> is shown as text and never runs."""
    number = live.run(file_case(live.app, CLEAR + "<script>alert('hi')</script>", user_id="r-x"))
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    login(page, "boss")
    page.goto(f"/desk/cases/{number}")
    assert "<script>alert('hi')</script>" in page.locator(".complaint").inner_text()
    page.goto("/desk/cases")
    page.wait_for_timeout(300)
    assert dialogs == []


def test_new_cases_appear_without_reloading(page: Any, live: LiveApp) -> None:
    """The list polls: a case filed after the page opened shows up in the banner."""
    login(page, "boss")
    page.wait_for_url("**/desk/cases")
    number = live.run(file_pending(live.app, user_id="r-live"))
    page.locator("#fresh .fresh", has_text=number).wait_for(timeout=10_000)


def test_overdue_figures_bulletin_and_the_ledger_download(page: Any, live: LiveApp) -> None:
    """The supervisor's pages render (charts drawn) and the downloaded 台账 matches the report."""
    from tests.web_helpers import november_report

    live.run(file_case(live.app, user_id="r-late"))
    live.clock.set(T0 + timedelta(days=7))  # a week later: the open cases are overdue
    login(page, "boss")
    page.wait_for_url("**/desk/cases")
    page.goto("/desk/cases")
    assert page.locator(".light.red").count() >= 1  # a week on, red lights
    shoot(page, "cases-all")
    page.goto("/desk/overdue")
    assert page.locator("table.cases tbody tr").count() >= 1
    shoot(page, "overdue")
    page.goto("/desk/figures?from=2026-11-01&to=2026-11-30")
    page.wait_for_selector("body[data-charts='4']")
    page.wait_for_selector("#chart-daily svg")
    shoot(page, "figures")
    page.goto("/desk/bulletin?week=2026-11-25")
    shoot(page, "bulletin")
    page.goto("/desk/ledger?from=2026-11-01&to=2026-11-30")
    shoot(page, "ledger")
    with page.expect_download() as download:
        page.click("button[value=xlsx]")
    data = Path(download.value.path()).read_bytes()
    report = live.run(november_report(live.app, live.clock.now()))
    book = load_workbook(io.BytesIO(data), read_only=True)
    rows = list(book["台账"].iter_rows(values_only=True))
    assert rows[0] == COLUMNS and len(rows) - 1 == report.total.received
    summary = list(book["汇总"].iter_rows(values_only=True))
    total = next(r for r in summary if r and r[0] == "合计")
    assert total[SUMMARY_COLUMNS.index("受理")] == report.total.received
    assert total[SUMMARY_COLUMNS.index("办结率")] == report.total.to_json()["closure_rate"]
    assert total[SUMMARY_COLUMNS.index("按期办结率")] == report.total.to_json()["on_time_rate"]


def test_staff_close_with_a_photo_and_the_resident_gets_it(
    page: Any, live: LiveApp, tmp_path: Path
) -> None:
    """The unit signs and closes with a photo chosen in the file field: the resident's push
    carries the stored photo (as a chat close's does), and the case page shows it."""
    number = live.run(file_pending(live.app, user_id="r-photo"))
    case = live.run(case_by_number(live.app, number))
    dispatcher = live.run(staff_member(live.app, "disp"))
    live.run(
        chat_command(live.app, dispatcher, assign, case_id=case.id, version=case.version, unit=UNIT)
    )
    png = photo_png()
    photo = tmp_path / "现场照片.png"
    photo.write_bytes(png)
    login(page, "minzheng")
    page.wait_for_url("**/desk/cases")
    page.goto(f"/desk/cases/{number}")
    page.click("button:has-text('签收')")
    page.wait_for_url("**done=signed")
    page.fill("textarea[name=result]", "路灯已修复，附现场照片。")
    page.set_input_files("input[name=photos]", str(photo))
    shoot(page, "case-close-form")
    page.click("form[action$='/resolve'] button")
    page.wait_for_url("**done=resolved")
    image = page.locator(".timeline .photos img")
    image.wait_for()
    assert page.evaluate("img => img.naturalWidth", image.element_handle()) == 160
    ref = f"media:{hashlib.sha256(png).hexdigest()}"
    pushes = [m.payload for m in live.run(outbox(live.app, "r-photo"))]
    told = [p for p in pushes if "路灯已修复" in str(p.get("text"))]
    assert [p["photos"] for p in told] == [[ref]]
    assert live.app.media.open(ref) == png
    shoot(page, "case-closed-with-photo")


def test_an_open_case_page_and_list_follow_a_change_made_in_chat(page: Any, live: LiveApp) -> None:
    """The case page and the case list are open; the unit signs and then replies in Telegram
    (the case commands); both pages show the new state without reloading."""
    number = live.run(file_pending(live.app, user_id="r-follow"))
    case = live.run(case_by_number(live.app, number))
    dispatcher = live.run(staff_member(live.app, "disp"))
    staff = live.run(staff_member(live.app, "minzheng"))
    live.run(
        chat_command(live.app, dispatcher, assign, case_id=case.id, version=case.version, unit=UNIT)
    )
    login(page, "boss")
    page.wait_for_url("**/desk/cases")
    page.goto(f"/desk/cases/{number}")
    page.evaluate("window.__stillOpen = true")  # gone if the page were loaded again
    case = live.run(case_by_number(live.app, number))
    live.run(chat_command(live.app, staff, sign, case_id=case.id, version=case.version))
    page.locator("h1 .state", has_text="已签收").wait_for(timeout=10_000)
    assert "工单已有新进展" in page.locator(".flash").inner_text()
    assert page.evaluate("window.__stillOpen") is True
    shoot(page, "case-live")
    page.goto("/desk/cases")
    page.evaluate("window.__stillOpen = true")
    row = page.locator("#case-rows tr", has_text=number)
    assert "已签收" in row.inner_text()
    case = live.run(case_by_number(live.app, number))
    live.run(
        chat_command(live.app, staff, resolve, case_id=case.id, version=case.version, result="已办")
    )
    page.locator("#case-rows tr", has_text=number).locator(".state", has_text="已办结").wait_for(
        timeout=10_000
    )
    assert page.evaluate("window.__stillOpen") is True
