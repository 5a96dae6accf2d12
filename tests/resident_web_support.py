"""Resident web chat test helpers: the chat on its own aiohttp app, and a browser-like client
that keeps its cookie, reads the CSRF token from the page and presses buttons by label."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientSession, CookieJar, FormData, web
from aiohttp.test_utils import TestServer

from bot.app import App
from bot.config import ResidentWebSettings
from bot.outbox.sender import OutboxSender
from bot.web.residentchat import ResidentChatDeps, WebSender, install

SECRET = "test-secret-for-signing-0123456789"
# The smallest valid PNG (1x1 pixel): the media store checks the leading bytes.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
_ids = itertools.count(1)
_CSRF = re.compile(r'<meta name="csrf-token" content="([0-9a-f]+)">')
NUMBER = re.compile(r"AN\d{8}-\d{4}")


@dataclass
class Site:
    """The resident web chat on a test server, with the web channel's outbox sender."""

    app: App
    deps: ResidentChatDeps
    server: TestServer

    def sender(self) -> OutboxSender:
        self.app.senders.register(WebSender(self.deps.pages))
        return OutboxSender(
            sessionmaker=self.app.sessionmaker, senders=self.app.senders, clock=self.app.deps.clock
        )


def settings(**overrides: Any) -> ResidentWebSettings:
    return ResidentWebSettings.model_validate({"secret": SECRET, **overrides})


@asynccontextmanager
async def resident_site(app: App, config: ResidentWebSettings | None = None) -> AsyncIterator[Site]:
    web_app = web.Application()
    deps = ResidentChatDeps(
        conversation=app.conversation, media=app.media, settings=config or settings()
    )
    install(web_app, deps)
    server = TestServer(web_app)
    await server.start_server()
    try:
        yield Site(app, deps, server)
    finally:
        await server.close()


@dataclass
class Browser:
    """One resident's browser: its own cookie jar, the CSRF token of the page it opened."""

    client: ClientSession
    csrf: str = ""
    last: dict[str, Any] = field(default_factory=dict)

    async def open(self) -> str:
        response = await self.client.get("/chat")
        assert response.status == 200
        html = await response.text()
        match = _CSRF.search(html)
        assert match, html[:500]
        self.csrf = match.group(1)
        return html

    async def post_json(self, path: str, body: dict[str, Any], *, csrf: str | None = None) -> Any:
        return await self.client.post(
            path,
            data=json.dumps(body),
            headers={"Content-Type": "application/json", "X-CSRF-Token": csrf or self.csrf},
        )

    async def send(self, **message: Any) -> dict[str, Any]:
        response = await self.post_json("/chat/send", {"id": f"t{next(_ids)}", **message})
        assert response.status == 200, await response.text()
        self.last = await response.json()
        return self.last

    async def say(self, text: str) -> dict[str, Any]:
        return await self.send(text=text)

    async def click(self, label: str) -> dict[str, Any]:
        for reply in self.last.get("replies", []):
            for row in reply["buttons"]:
                for button in row:
                    if button["label"] == label:
                        return await self.send(choice=button["payload"])
        raise AssertionError(f"no button {label!r} in {self.text()}")

    async def photo(self, data: bytes = PNG) -> Any:
        form = FormData()
        form.add_field("id", f"p{next(_ids)}")
        form.add_field("photo", data, filename="photo.png", content_type="image/png")
        return await self.client.post("/chat/photo", data=form, headers={"X-CSRF-Token": self.csrf})

    def text(self) -> str:
        return "\n".join(reply["text"] for reply in self.last.get("replies", []))

    def labels(self) -> list[str]:
        return [
            b["label"] for r in self.last.get("replies", []) for row in r["buttons"] for b in row
        ]


@asynccontextmanager
async def browser(site: Site) -> AsyncIterator[Browser]:
    """A browser of its own (its own cookie jar) on the site."""
    jar = CookieJar(unsafe=True)  # unsafe: keep cookies of an IP-address host (127.0.0.1)
    async with ClientSession(base_url=site.server.make_url("/"), cookie_jar=jar) as session:
        yield Browser(session)


async def file_complaint(b: Browser, description: str) -> str:
    """Through the web chat: 投诉, the description, skip place/photos, anonymous, submit."""
    await b.open()
    await b.say("/start")
    await b.click("投诉")
    await b.say(description)
    if "地点" in b.text():
        await b.click("跳过")
    if "照片" in b.text():
        await b.click("跳过")
    if "联系" in b.text() or "匿名" in b.labels():
        await b.click("匿名")
    await b.click("提交")
    match = NUMBER.search(b.text())
    assert match, b.text()
    return match.group(0)


async def read_push(response: Any, wait: float = 5.0) -> dict[str, Any]:
    """The next `push` event of a server-sent event stream."""

    async def next_event() -> dict[str, Any]:
        event = ""
        async for raw in response.content:
            line = raw.decode().rstrip("\n")
            if line.startswith("event:"):
                event = line.removeprefix("event:").strip()
            elif line.startswith("data:") and event == "push":
                data: dict[str, Any] = json.loads(line.removeprefix("data:").strip())
                return data
        raise AssertionError("stream ended")

    return await asyncio.wait_for(next_event(), wait)
