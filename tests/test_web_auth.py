"""Signing in: passwords, sessions, log-out, limits, CSRF, headers and set-up links."""

from __future__ import annotations

from datetime import timedelta

from bot.app import App
from bot.config import WebSettings
from handlers.policy.clock import FixedClock
from storage.staff import CENTRE_UNIT
from storage.webaccounts import issue_setup_link
from tests.desk import case_by_number, file_pending
from tests.web_helpers import Browser, csrf_of, open_browser, web_staff


async def test_the_staff_area_needs_a_login(browser: Browser) -> None:
    """Without a session, a page sends the browser to the login page and remembers where."""
    status, _ = await browser.page("/desk/cases?state=dispatched")
    assert status == 303
    response = await browser.client.get("/desk/cases", allow_redirects=False)
    assert (
        response.headers["Location"].startswith("/login?next=")
        and "desk" in response.headers["Location"]
    )
    htmx = await browser.client.get("/desk/cases/fresh", headers={"HX-Request": "true"})
    assert htmx.status == 401 and htmx.headers["HX-Redirect"].startswith("/login")


async def test_login_opens_a_session_and_logout_ends_it(app: App, browser: Browser) -> None:
    """The right password signs in (HttpOnly cookie); log-out ends the session on the server."""
    await web_staff(app, "boss", CENTRE_UNIT, "supervisor")
    response = await browser.login("boss")
    assert response.status == 303 and response.headers["Location"] == "/desk/cases"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    status, html = await browser.page("/desk/cases")
    assert status == 200 and "boss" in html
    token = csrf_of(html)
    saved = {c.key: c.value for c in browser.client.session.cookie_jar}
    response = await browser.client.post(
        "/desk/logout", data={"csrf": token}, allow_redirects=False
    )
    assert response.status == 303
    # Replaying the old cookie after log-out gets nothing: the server forgot the session.
    browser.client.session.cookie_jar.update_cookies(saved)
    status, _ = await browser.page("/desk/cases")
    assert status == 303


async def test_a_wrong_password_is_refused(app: App, browser: Browser) -> None:
    """A wrong password or an unknown login gets the same answer and no session."""
    await web_staff(app, "boss", CENTRE_UNIT, "supervisor")
    wrong = await browser.login("boss", "not the password")
    unknown = await browser.login("nobody", "not the password")
    assert wrong.status == unknown.status == 401
    assert "登录名或密码不对" in await wrong.text()
    status, _ = await browser.page("/desk/cases")
    assert status == 303


async def test_login_attempts_are_limited_per_account(app: App, browser: Browser) -> None:
    """After five failures even the right password is refused until the window has passed."""
    await web_staff(app, "boss", CENTRE_UNIT, "supervisor")
    for _ in range(5):
        assert (await browser.login("boss", "guess")).status == 401
    assert (await browser.login("boss")).status == 429
    clock = app.deps.clock
    assert isinstance(clock, FixedClock)
    clock.advance(timedelta(minutes=16))
    assert (await browser.login("boss")).status == 303


async def test_login_attempts_are_limited_per_address(app: App) -> None:
    """Failures against many account names from one address are limited as well."""
    browser = await open_browser(app, WebSettings(login_failures_per_address=3))
    try:
        await web_staff(app, "boss", CENTRE_UNIT, "supervisor")
        for name in ("a1", "a2", "a3"):
            assert (await browser.login(name, "guess")).status == 401
        assert (await browser.login("boss")).status == 429
    finally:
        await browser.client.close()


async def test_sessions_expire_when_idle(app: App, browser: Browser) -> None:
    """A session unused for longer than the idle limit is over."""
    await web_staff(app, "boss", CENTRE_UNIT, "supervisor")
    await browser.login("boss")
    clock = app.deps.clock
    assert isinstance(clock, FixedClock)
    clock.advance(timedelta(minutes=119))
    assert (await browser.page("/desk/cases"))[0] == 200
    clock.advance(timedelta(minutes=121))
    assert (await browser.page("/desk/cases"))[0] == 303


async def test_a_post_without_its_csrf_token_is_refused(app: App, browser: Browser) -> None:
    """A signed-in form post without the token (or with another one) changes nothing."""
    await web_staff(app, "disp", CENTRE_UNIT, "dispatcher")
    number = await file_pending(app)
    case = await case_by_number(app, number)
    await browser.login("disp")
    form = {"version": str(case.version), "unit": "区民政局"}
    missing = await browser.client.post(f"/desk/cases/{number}/assign", data=form)
    forged = await browser.client.post(
        f"/desk/cases/{number}/assign", data={**form, "csrf": "x" * 43}
    )
    assert missing.status == forged.status == 403
    assert (await case_by_number(app, number)).unit_name is None
    login_without = await browser.client.post("/login", data={"login": "disp", "password": "x"})
    assert login_without.status == 403


async def test_htmx_requests_carry_the_token_in_a_header(app: App, browser: Browser) -> None:
    """The token set on <body> through hx-headers is accepted in place of the form field."""
    await web_staff(app, "disp", CENTRE_UNIT, "dispatcher")
    number = await file_pending(app)
    case = await case_by_number(app, number)
    await browser.login("disp")
    _, html = await browser.page("/desk/queue")
    assert 'hx-headers=\'{"X-CSRF-Token": "' in html
    response = await browser.client.post(
        f"/desk/cases/{number}/assign",
        data={"version": str(case.version), "unit": "区民政局"},
        headers={"X-CSRF-Token": csrf_of(html)},
        allow_redirects=False,
    )
    assert response.status == 303


async def test_security_headers_are_on_every_response(browser: Browser) -> None:
    """CSP without inline script, frame denial and nosniff, on pages, redirects and files."""
    for path in ("/login", "/desk/cases", "/static/css/app.css", "/nowhere"):
        response = await browser.client.get(path, allow_redirects=False)
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
        assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_the_login_page_never_redirects_off_site(app: App, browser: Browser) -> None:
    """`next` is followed only to a local path."""
    await web_staff(app, "boss", CENTRE_UNIT, "supervisor")
    page = await browser.client.get("/login")
    response = await browser.client.post(
        "/login",
        data={
            "login": "boss",
            "password": "correct horse battery",
            "csrf": csrf_of(await page.text()),
            "next": "//evil.example/x",
        },
        allow_redirects=False,
    )
    assert response.headers["Location"] == "/desk/cases"


async def test_a_setup_link_works_once(app: App, browser: Browser) -> None:
    """The one-time link sets a password once; short passwords are refused; then login works."""
    member = await web_staff(app, "newbie", CENTRE_UNIT, "dispatcher")
    async with app.sessionmaker() as session, session.begin():
        token = await issue_setup_link(
            session=session,
            staff_id=member.id,
            login="newbie",
            now=app.deps.clock.now(),
            ttl=timedelta(hours=1),
        )
    page = await browser.client.get(f"/setup/{token}")
    csrf = csrf_of(await page.text())
    short = await browser.client.post(
        f"/setup/{token}", data={"csrf": csrf, "password": "short", "password2": "short"}
    )
    assert short.status == 400
    good = {"csrf": csrf, "password": "a much longer secret", "password2": "a much longer secret"}
    assert (await browser.client.post(f"/setup/{token}", data=good)).status == 200
    assert (await browser.client.post(f"/setup/{token}", data=good)).status == 404
    assert (await browser.login("newbie", "a much longer secret")).status == 303
