"""The resident web chat in a real browser (Debian's Chromium through Playwright), phone-sized:
file with a photo and the browser's location, get a number, see a staff reply arrive live, and
see an injected <script> shown as text. Screenshots go to tests' tmp dir (and, with
HOTLINE_SCREENSHOTS=DIR, to DIR, which is how docs/screenshots/ is refreshed)."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App
from nlp.router import Router
from tests.desk import case_by_number, join
from tests.images import photo_png
from tests.resident_web_support import resident_site

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESCRIPTION = "路灯坏了一个多月了，晚上一片漆黑，走路很危险<script>window.pwned=1</script>"
REPLY = "已安排维修人员明天上午到现场查看"

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (make browser)"),
    # One database is enough for a browser scenario; storage is covered on both elsewhere.
    pytest.mark.parametrize("db_url", ["sqlite"], indirect=True),
]


@contextlib.asynccontextmanager
async def _drain_forever(sender: object) -> AsyncIterator[None]:
    """The outbox job of `hotline run`, every 200 ms."""

    async def loop() -> None:
        while True:
            await sender.drain()  # type: ignore[attr-defined]
            await asyncio.sleep(0.2)

    task = asyncio.create_task(loop())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where screenshots go (HOTLINE_SCREENSHOTS, else the test's tmp dir)."""
    folder = Path(os.environ.get("HOTLINE_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "streetlight.png"
    path.write_bytes(photo_png())
    return path


async def test_resident_files_on_a_phone_and_sees_the_reply_live(
    app: App, router: Router, shots: Path, photo: Path
) -> None:
    """390 px wide: buttons, photo, location, number; a staff reply appears within seconds."""
    from playwright.async_api import async_playwright, expect

    unit = router.route(DESCRIPTION).unit
    assert unit is not None
    staff = await join(app, "s1", unit)

    async with resident_site(app) as site, _drain_forever(site.sender()), async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            context = await browser.new_context(
                viewport={"width": 390, "height": 844},
                device_scale_factor=2,
                is_mobile=True,
                has_touch=True,
                locale="zh-CN",
                geolocation={"latitude": 36.1035, "longitude": 103.7246},
                permissions=["geolocation"],
            )
            page = await context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            await page.goto(str(site.server.make_url("/chat")))
            await page.get_by_role("button", name="投诉").click()
            await page.fill("#text", DESCRIPTION)
            await page.click("button.send")
            await expect(page.locator(".msg.bot").last).to_contain_text("地点")
            await page.click("#location-button")
            await expect(page.locator(".msg.bot").last).to_contain_text("照片")
            await page.set_input_files("#photo-input", str(photo))
            await expect(page.locator(".msg.bot").last).to_contain_text("第1张照片")
            await page.get_by_role("button", name="完成").last.click()
            await page.get_by_role("button", name="匿名").last.click()
            await page.get_by_role("button", name="提交").last.click()
            await expect(page.locator(".msg.bot").last).to_contain_text("工单号")
            number = (await page.locator("#case-list a").first.inner_text()).strip()
            assert number.startswith("AN")

            # The injected script is text on the page and never ran.
            await expect(page.locator(".msg.me").filter(has_text="<script>")).to_have_count(1)
            assert await page.evaluate("typeof window.pwned") == "undefined"

            case = await case_by_number(app, number)
            assert case.photos and case.latitude == 36.1035
            await staff.press(f"s:sign:{case.id}:{case.version}")
            await staff.press(f"s:reply:{case.id}:{case.version + 1}")
            await staff.send(REPLY)
            await expect(page.locator(".msg.push").filter(has_text=REPLY)).to_be_visible(
                timeout=5000
            )
            await page.screenshot(path=str(shots / "resident-chat.png"))

            await page.locator("#case-list a").first.click()
            await expect(page.locator(".timeline")).to_contain_text(REPLY)
            await expect(page.locator(".description")).to_contain_text("<script>")
            await page.screenshot(path=str(shots / "resident-case.png"), full_page=True)
            assert errors == []
        finally:
            await browser.close()
