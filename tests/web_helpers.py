"""Helpers for the web workbench tests: staff with web logins, a signed-in HTTP client."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer

from bot.app import App
from bot.config import WebSettings
from bot.web.app import create_web_app
from bot.web.auth.passwords import hash_password
from bot.web.context import WebDeps
from storage.models import StaffMember
from storage.staff import enrol_staff
from storage.webaccounts import account_for_setup, issue_setup_link, set_password

PASSWORD = "correct horse battery"
_TOKEN = re.compile(r'name="csrf" value="([^"]+)"')


async def web_staff(
    app: App,
    login: str,
    unit: str,
    role: str = "staff",
    *,
    channel: str = "web",
    external_id: str | None = None,
    password: str = PASSWORD,
) -> StaffMember:
    """A staff member (browser-only unless a chat identity is given) whose password is set."""
    now = app.deps.clock.now()
    async with app.sessionmaker() as session, session.begin():
        member = await enrol_staff(
            session=session,
            channel=channel,
            external_id=external_id or login,
            unit=unit,
            role=role,
            display_name=login,
            now=now,
        )
        token = await issue_setup_link(
            session=session, staff_id=member.id, login=login, now=now, ttl=timedelta(hours=1)
        )
        account = await account_for_setup(session=session, token=token, now=now)
        assert account is not None
        await set_password(
            session=session, account=account, password_hash=await hash_password(password), now=now
        )
        return member


def csrf_of(html: str) -> str:
    match = _TOKEN.search(html)
    assert match, "no CSRF field in the page"
    return match.group(1)


@dataclass
class Browser:
    """An HTTP client that keeps cookies, like one browser tab."""

    client: TestClient  # type: ignore[type-arg]

    async def login(self, login: str, password: str = PASSWORD) -> ClientResponse:
        page = await self.client.get("/login")
        token = csrf_of(await page.text())
        return await self.client.post(
            "/login",
            data={"login": login, "password": password, "csrf": token, "next": "/desk/cases"},
            allow_redirects=False,
        )

    async def page(self, path: str) -> tuple[int, str]:
        response = await self.client.get(path, allow_redirects=False)
        return response.status, await response.text()

    async def post_form(self, path: str, data: dict[str, str], *, from_page: str) -> ClientResponse:
        """Submit a form the way the page does: with the CSRF token the page carries."""
        _, html = await self.page(from_page)
        return await self.client.post(
            path, data={"csrf": csrf_of(html), **data}, allow_redirects=False
        )


async def open_browser(app: App, settings: WebSettings | None = None) -> Browser:
    deps = WebDeps.build(app, settings or app.settings.web)
    client: TestClient = TestClient(TestServer(create_web_app(deps)))  # type: ignore[type-arg]
    await client.start_server()
    return Browser(client)
