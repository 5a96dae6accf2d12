"""Helpers for the web workbench tests: staff with web logins, a signed-in HTTP client."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.app import App
from bot.config import WebSettings
from bot.web.app import create_web_app
from bot.web.auth.passwords import hash_password
from bot.web.context import WebDeps
from handlers.cases.commands import Actor, CommandContext
from handlers.followup.payloads import resolved_button, satisfaction_button
from handlers.followup.sweep import Sweep
from handlers.policy.clock import FixedClock
from handlers.report import Report, build_report
from storage.models import StaffMember
from storage.staff import enrol_staff
from storage.webaccounts import account_for_setup, issue_setup_link, set_password
from tests.followup_support import OTHER_UNIT, dispatched_case, local, move, seed_staff
from tests.support import ResidentClient

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


async def chat_command(app: App, member: StaffMember, command: object, **kwargs: object) -> None:
    """What the Telegram desk does on a button: one case command as that staff member."""
    async with app.sessionmaker() as session, session.begin():
        ctx = CommandContext(session, app.deps, app.deps.clock.now())
        await command(ctx, Actor.of_staff(member), **kwargs)  # type: ignore[operator]


async def staff_member(app: App, login: str) -> StaffMember:
    """The staff record behind a web login made by `web_staff`."""
    async with app.sessionmaker() as session:
        found = await session.execute(select(StaffMember).where(StaffMember.external_id == login))
        return found.scalar_one()


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


@asynccontextmanager
async def browsing(app: App) -> AsyncIterator[Browser]:
    """A signed-out HTTP client of the web workbench, closed after."""
    opened = await open_browser(app)
    try:
        yield opened
    finally:
        await opened.client.close()


async def rated_scenario(app: App, clock: FixedClock) -> datetime:
    """The report test's four cases (on time and satisfied; late, dissatisfied and reopened;
    unanswered; open and overdue), received in November 2026; returns the reporting instant."""
    await seed_staff(app, clock.now())
    wed = local(2026, 11, 25, 10, 0)
    c1 = await dispatched_case(app, wed, user="r1")
    await move(app, c1, "accepted", wed + timedelta(hours=1))
    await move(app, c1, "resolved", local(2026, 11, 26, 10, 0))
    c2 = await dispatched_case(app, wed, user="r2")
    await move(app, c2, "accepted", local(2026, 11, 25, 14, 30))
    await move(app, c2, "resolved", local(2026, 12, 3, 10, 0))
    c3 = await dispatched_case(app, wed, user="r3", unit=OTHER_UNIT)
    await move(app, c3, "accepted", wed + timedelta(hours=2))
    await move(app, c3, "resolved", local(2026, 11, 27, 10, 0))
    await dispatched_case(app, wed, user="r4")
    sweep = Sweep(app.deps)
    await sweep.run(local(2026, 11, 27, 9, 0))
    clock.set(local(2026, 11, 27, 10, 0))
    r1 = ResidentClient(app.conversation, user_id="r1")
    await r1.press(resolved_button(c1, "y"))
    await r1.press(satisfaction_button(c1, "sat"))
    await sweep.run(local(2026, 11, 30, 9, 0))
    await sweep.run(local(2026, 12, 4, 9, 0))
    clock.set(local(2026, 12, 4, 10, 0))
    r2 = ResidentClient(app.conversation, user_id="r2")
    await r2.press(resolved_button(c2, "n"))
    await r2.press(satisfaction_button(c2, "dis"))
    now = local(2026, 12, 4, 12, 0)
    clock.set(now)
    return now


NOVEMBER = (local(2026, 11, 1), local(2026, 12, 1))


async def november_report(app: App, now: datetime) -> Report:
    async with app.sessionmaker() as session:
        return await build_report(
            session,
            start=NOVEMBER[0],
            end=NOVEMBER[1],
            unit=None,
            now=now,
            calendar=app.deps.calendar,
        )
