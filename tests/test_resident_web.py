"""The resident web chat (issue 12): the core on channel "web", photos, live pushes, case pages,
and the abuse guards (CSRF, rate limits, escaping, one resident never seeing another's cases)."""

from __future__ import annotations

import asyncio
import re

from sqlalchemy import select

from bot.app import App
from bot.web.residentchat.labels import LABELS
from bot.web.residentchat.signing import Signer
from handlers.policy.lifecycle import CaseState
from nlp.router import Router
from storage.models import Case, CaseEvent, OutboxMessage
from tests.desk import case_by_number, join
from tests.resident_web_support import (
    PNG,
    SECRET,
    browser,
    file_complaint,
    read_push,
    resident_site,
    settings,
)

CLEAR = "建宁路上的路灯坏了一个多月了，晚上一片漆黑，老人孩子走路很危险"


def _unit(router: Router) -> str:
    unit = router.route(CLEAR).unit
    assert unit is not None
    return unit


async def test_page_sets_a_signed_cookie_and_a_strict_policy(app: App) -> None:
    """/chat gives a new browser a signed resident cookie and a CSP without inline script."""
    async with resident_site(app) as site, browser(site) as b:
        response = await b.client.get("/chat")
        html = await response.text()
        cookie = response.cookies["hl_resident"]
        assert cookie["httponly"] and cookie["samesite"] == "Lax"
        resident = Signer(SECRET.encode()).resident_of(cookie.value)
        assert resident is not None and resident.startswith("w")
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
        assert response.headers["Referrer-Policy"] == "no-referrer"
        scripts = re.findall(r"<script([^>]*)>", html)
        assert all("src=" in attrs or 'type="application/json"' in attrs for attrs in scripts)


async def test_a_resident_files_with_a_photo_and_gets_a_number_and_a_link(app: App) -> None:
    """The whole intake on the web: buttons, a photo into the media store, the case number."""
    async with resident_site(app) as site, browser(site) as b:
        await b.open()
        await b.say("/start")
        assert "投诉" in b.labels()
        await b.click("投诉")
        await b.say(CLEAR)
        if "地点" in b.text():
            await b.click("跳过")
        response = await b.photo()
        assert response.status == 200
        assert "第1张照片" in "\n".join(r["text"] for r in (await response.json())["replies"])
        b.last = await response.json()
        await b.click("完成")
        await b.click("匿名")
        await b.click("提交")
        number = re.search(r"AN\d{8}-\d{4}", b.text())
        assert number, b.text()
        [listed] = b.last["cases"]
        assert listed["number"] == number.group(0) and listed["url"].startswith("/chat/case/")
    case = await case_by_number(app, number.group(0))
    assert case.channel == "web" and len(case.photos) == 1
    assert app.media.open(case.photos[0]) == PNG


async def test_photos_must_be_images_within_the_size_limit(app: App) -> None:
    """A non-image is refused with 415 and an oversized file with 413; nothing is stored."""
    async with resident_site(app) as site, browser(site) as b:
        await b.open()
        await b.say("/start")
        refused = await b.photo(b"<svg onload=alert(1)>" + b"x" * 100)
        assert refused.status == 415
        assert (await refused.json())["error"] == "photo_not_image"
        too_big = await b.photo(PNG + b"\0" * app.media.max_bytes)
        assert too_big.status == 413
    assert not any(app.media.root.rglob("*")) if app.media.root.exists() else True


async def test_location_from_the_browser_names_the_nearest_subdistrict(app: App) -> None:
    """A shared location at the place step is taken as the case's place (nearest 街道)."""
    async with resident_site(app) as site, browser(site) as b:
        await b.open()
        await b.say("/start")
        await b.click("投诉")
        await b.say("路灯坏了一个多月了，晚上一片漆黑，走路很危险")
        assert "地点" in b.text()
        await b.send(location={"lat": 36.1035, "lon": 103.7246})
        await b.click("跳过")
        await b.click("匿名")
        await b.click("提交")
        number = re.search(r"AN\d{8}-\d{4}", b.text())
        assert number, b.text()
    case = await case_by_number(app, number.group(0))
    assert case.latitude == 36.1035 and case.place_unit is not None


async def test_posts_without_the_page_csrf_token_are_refused(app: App) -> None:
    """A post without the token, or with another resident's token, is 403 and not handled."""
    async with resident_site(app) as site, browser(site) as a, browser(site) as b:
        await a.open()
        await b.open()
        missing = await a.post_json("/chat/send", {"text": "/start"}, csrf="0" * 32)
        assert missing.status == 403
        crossed = await a.post_json("/chat/send", {"text": "/start"}, csrf=b.csrf)
        assert crossed.status == 403
        foreign = await a.client.post(
            "/chat/send",
            data='{"text": "/start"}',
            headers={"X-CSRF-Token": a.csrf, "Origin": "https://evil.example"},
        )
        assert foreign.status == 403


async def test_a_staff_reply_reaches_the_open_page_live(app: App, router: Router) -> None:
    """With the page's event stream open, the unit's reply arrives as a push within seconds."""
    staff = await join(app, "s1", _unit(router))
    async with resident_site(app) as site, browser(site) as b:
        number = await file_complaint(b, CLEAR)
        sender = site.sender()
        stream = await b.client.get("/chat/events")
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        await asyncio.sleep(0.05)  # the page is registered once the stream is prepared
        case = await case_by_number(app, number)
        await staff.press(f"s:sign:{case.id}:{case.version}")
        await staff.press(f"s:reply:{case.id}:{case.version + 1}")
        await staff.send("已安排维修人员明天上午到现场查看")
        await sender.drain()
        seen = [await read_push(stream) for _ in range(2)]
        stream.close()
    texts = "\n".join(push["text"] for push in seen)
    assert "签收" in texts and "已安排维修人员明天上午到现场查看" in texts


async def test_pushes_wait_for_a_closed_page_and_arrive_when_it_opens(
    app: App, router: Router
) -> None:
    """No page open: the push is held in the outbox; the next page to connect receives it."""
    staff = await join(app, "s1", _unit(router))
    async with resident_site(app) as site, browser(site) as b:
        number = await file_complaint(b, CLEAR)
        sender = site.sender()
        case = await case_by_number(app, number)
        await staff.press(f"s:sign:{case.id}:{case.version}")
        stats = await sender.drain()
        assert stats.held == 1
        async with app.sessionmaker() as session:
            row = (
                await session.execute(select(OutboxMessage).where(OutboxMessage.channel == "web"))
            ).scalar_one()
        assert row.status == "held"
        stream = await b.client.get("/chat/events")
        await asyncio.sleep(0.05)
        await sender.drain()
        push = await read_push(stream)
        stream.close()
    assert "签收" in push["text"]


async def test_the_case_page_shows_the_timeline_and_adds_information(
    app: App, router: Router
) -> None:
    """The link from the chat opens the case; 补充 adds an event the unit is told about."""
    await join(app, "s1", _unit(router))
    async with resident_site(app) as site, browser(site) as b:
        number = await file_complaint(b, CLEAR)
        url = b.last["cases"][0]["url"]
        page = await b.client.get(url)
        html = await page.text()
        assert number in html and "已派至" in html and "补充信息" in html
        assert page.headers["Cache-Control"] == "no-store"
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
        assert csrf
        added = await b.client.post(
            f"{url}/add", data={"csrf": csrf.group(1), "text": "灯杆旁边还有电线裸露"}
        )
        assert "您补充：灯杆旁边还有电线裸露" in await added.text()
    case = await case_by_number(app, number)
    async with app.sessionmaker() as session:
        notes = (
            await session.execute(
                select(CaseEvent.note).where(
                    CaseEvent.case_id == case.id, CaseEvent.action == "info_added"
                )
            )
        ).scalars()
        assert list(notes) == ["灯杆旁边还有电线裸露"]


async def test_withdraw_works_before_signing_and_not_after(app: App, router: Router) -> None:
    """The page offers 撤销 while the case is unsigned; an old page's version or a signed case
    cannot withdraw it."""
    staff = await join(app, "s1", _unit(router))
    async with resident_site(app) as site, browser(site) as b:
        first = await file_complaint(b, CLEAR)
        first_url = b.last["cases"][0]["url"]
        html = await (await b.client.get(first_url)).text()
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
        version = re.search(r'name="version" value="(\d+)"', html)
        assert csrf and version and "撤销工单" in html
        form = {"csrf": csrf.group(1), "version": version.group(1)}
        stale = await b.client.post(f"{first_url}/withdraw", data={**form, "version": "1"})
        assert "过期" in await stale.text()
        done = await b.client.post(f"{first_url}/withdraw", data=form)
        assert "已撤销" in await done.text()
        assert (await case_by_number(app, first)).state == CaseState.CANCELLED

        second = await file_complaint(b, "培黎街道建宁路的路灯也坏了，晚上很黑很危险")
        second_url = next(c["url"] for c in b.last["cases"] if c["number"] == second)
        html = await (await b.client.get(second_url)).text()
        version = re.search(r'name="version" value="(\d+)"', html)
        assert version
        case = await case_by_number(app, second)
        await staff.press(f"s:sign:{case.id}:{case.version}")
        html = await (await b.client.get(second_url)).text()
        assert "撤销工单" not in html
        refused = await b.client.post(
            f"{second_url}/withdraw", data={"csrf": csrf.group(1), "version": version.group(1)}
        )
        assert "过期" in await refused.text()
    assert (await case_by_number(app, second)).state == CaseState.ACCEPTED


async def test_the_resident_rates_a_resolved_case_on_its_page(app: App, router: Router) -> None:
    """After 办结 and the callback, the page's rating form closes the case as 满意."""
    staff = await join(app, "s1", _unit(router))
    async with resident_site(app) as site, browser(site) as b:
        number = await file_complaint(b, CLEAR)
        url = b.last["cases"][0]["url"]
        case = await case_by_number(app, number)
        await staff.press(f"s:sign:{case.id}:{case.version}")
        await staff.press(f"s:done:{case.id}:{case.version + 1}")
        await staff.send("路灯已修复，恢复照明")
        await staff.press("s:fin")
        async with app.sessionmaker() as session, session.begin():
            # What the follow-up sweep does the next working day (tested in test_sweep).
            row = await session.get(Case, case.id)
            assert row is not None and row.state == CaseState.RESOLVED
            row.callback_sent_at = row.callback_for = row.resolved_at
        html = await (await b.client.get(url)).text()
        assert "评价办理结果" in html and "已办结：路灯已修复，恢复照明" in html
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
        assert csrf
        rated = await b.client.post(
            f"{url}/rate", data={"csrf": csrf.group(1), "resolved": "y", "satisfaction": "sat"}
        )
        assert rated.status == 200
    case = await case_by_number(app, number)
    assert case.state == CaseState.CLOSED and case.satisfaction == "satisfied"
    assert case.feedback_resolved is True


async def test_one_resident_never_sees_another_residents_cases(app: App) -> None:
    """Another browser lists none of A's cases, cannot withdraw them, and a forged link is 404."""
    async with resident_site(app) as site, browser(site) as a, browser(site) as b:
        number = await file_complaint(a, CLEAR)
        url = a.last["cases"][0]["url"]
        await b.open()
        assert (await (await b.client.get("/chat/mine")).json())["cases"] == []
        await b.say(f"/withdraw {number}")
        assert "未找到" in b.text() or "没有找到" in b.text()
        case_id = url.rsplit("/", 1)[1].split("-")[0]
        forged = await b.client.get(f"/chat/case/{case_id}-{'0' * 32}")
        assert forged.status == 404
        other = await b.client.get(f"/chat/case/{int(case_id) + 1}-{url.rsplit('-', 1)[1]}")
        assert other.status == 404
    assert (await case_by_number(app, number)).state == CaseState.DISPATCHED


async def test_a_resident_with_a_phone_number_finds_their_cases_again(app: App) -> None:
    """Phone number plus one case number restores the identity on a new browser; a wrong pair
    finds nothing."""
    async with resident_site(app) as site, browser(site) as a, browser(site) as b:
        await a.open()
        await a.say("/start")
        await a.click("投诉")
        await a.say(CLEAR)
        if "地点" in a.text():
            await a.click("跳过")
        if "照片" in a.text():
            await a.click("跳过")
        await a.click("留下电话")
        await a.say("13912345678")
        await a.click("不允许")
        await a.click("提交")
        number = re.search(r"AN\d{8}-\d{4}", a.text())
        assert number, a.text()
        await b.open()
        wrong = await b.post_json("/chat/find", {"phone": "13900000000", "number": number.group(0)})
        assert wrong.status == 404
        found = await b.post_json(
            "/chat/find", {"phone": "139 1234 5678", "number": number.group(0)}
        )
        assert found.status == 200
        assert [c["number"] for c in (await found.json())["cases"]] == [number.group(0)]
        mine = await (await b.client.get("/chat/mine")).json()
        assert [c["number"] for c in mine["cases"]] == [number.group(0)]


async def test_per_resident_and_per_address_rate_limits(app: App) -> None:
    """Over the per-resident message limit the answer is 429; so it is over the address limit."""
    config = settings(messages_per_resident_per_minute=3, requests_per_address_per_minute=100)
    async with resident_site(app, config) as site, browser(site) as b:
        await b.open()
        statuses = [
            (await b.post_json("/chat/send", {"text": f"你好{i}"})).status for i in range(5)
        ]
        assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429]
    config = settings(requests_per_address_per_minute=3)
    async with resident_site(app, config) as site, browser(site) as b:
        statuses = [(await b.client.get("/chat")).status for _ in range(5)]
        assert statuses == [200, 200, 200, 429, 429]


async def test_oversized_messages_are_refused(app: App) -> None:
    """A message body over max_message_bytes is 413 and never reaches the core."""
    async with resident_site(app, settings(max_message_bytes=1024)) as site, browser(site) as b:
        await b.open()
        response = await b.post_json("/chat/send", {"text": "长" * 2000})
        assert response.status == 413


async def test_injected_markup_is_escaped_on_the_case_page(app: App) -> None:
    """A description with <script> is shown as text on the case page, never as markup."""
    async with resident_site(app) as site, browser(site) as b:
        number = await file_complaint(b, CLEAR + "<script>alert('x')</script>")
        html = await (await b.client.get(b.last["cases"][0]["url"])).text()
    assert number in html
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html


def test_case_links_and_cookies_are_signed_for_their_own_purpose() -> None:
    """A tampered cookie, a case token used as a cookie, or another secret's token are refused."""
    signer = Signer(b"s" * 32)
    cookie = signer.resident_cookie("wabc")
    assert signer.resident_of(cookie) == "wabc"
    assert signer.resident_of(cookie[:-1] + ("0" if cookie[-1] != "0" else "1")) is None
    token = signer.case_token(7)
    assert signer.case_of(token) == 7
    assert signer.resident_of(token.replace("-", ".")) is None
    assert Signer(b"t" * 32).case_of(token) is None


def test_every_language_has_every_page_label() -> None:
    """The zh and en label catalogues have the same keys."""
    assert set(LABELS["zh"]) == set(LABELS["en"])
