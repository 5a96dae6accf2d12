"""A stand-in WeChat API server, and a stand-in for WeChat's side of the callback protocol.

    async with FakeWeChatAPI() as api:          # wechatpy's client talks to api.base_url
        api.user_wrote("oOPENID")               # opens that follower's 48-hour window
        ...
        [message] = api.kf_sent

What the API server does, modelled on https://developers.weixin.qq.com/doc/offiaccount/:
* GET  /cgi-bin/token: a new token per fetch (counted in `token_fetches`); wrong secret → 40125;
* every other call checks `access_token` (40001 if unknown; `revoke_tokens()` forgets them all);
* POST message/custom/send: 45015 unless the follower's window is open (`user_wrote`), 45047
  after `kf_quota` messages in one window, 43004 for a follower who unfollowed (`unfollowed`);
  `fail_next` scripts errcodes for the next sends;
* POST message/template/send and message/subscribe/bizsend: recorded in `templates`;
* POST menu/create: recorded in `menus`; GET media/get: bytes of `media[media_id]`.

`WeChatSide` builds callbacks the way WeChat does (signed query; in safe mode the body is
AES-encrypted with wechatpy's own crypto and signed again) and reads passive replies.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import re
import secrets
import socket
import xml.sax.saxutils as saxutils
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import xmltodict
from aiohttp import web
from wechatpy.crypto import PrpCrypto, WeChatCrypto

from bot.app import App
from bot.config import WeChatSettings
from bot.wechat.channel import WeChatChannel
from handlers.conversation.messages import Inbound, Outbound
from handlers.policy.clock import Clock, FixedClock

APP_ID = "wx1234567890abcdef"
SECRET = "stand-in-app-secret"
TOKEN = "stand-in-callback-token"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
ACCOUNT = "gh_0123456789ab"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class FakeWeChatAPI:
    app_id: str = APP_ID
    secret: str = SECRET
    kf_quota: int = 5
    token_fetches: int = 0
    kf_sent: list[dict[str, Any]] = field(default_factory=list)
    templates: list[dict[str, Any]] = field(default_factory=list)
    menus: list[dict[str, Any]] = field(default_factory=list)
    media: dict[str, bytes] = field(default_factory=dict)
    fail_next: list[int] = field(default_factory=list)
    unfollowed: set[str] = field(default_factory=set)
    _windows: dict[str, int] = field(default_factory=dict)
    _tokens: set[str] = field(default_factory=set)
    _counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/cgi-bin/"

    def user_wrote(self, openid: str) -> None:
        self._windows[openid] = 0

    def close_window(self, openid: str) -> None:
        self._windows.pop(openid, None)

    def revoke_tokens(self) -> None:
        self._tokens.clear()

    def texts_to(self, openid: str) -> list[str]:
        return [m["text"]["content"] for m in self.kf_sent if m["touser"] == openid]

    async def __aenter__(self) -> FakeWeChatAPI:
        app = web.Application()
        app.router.add_get("/cgi-bin/token", self._token)
        app.router.add_post("/cgi-bin/message/custom/send", self._custom_send)
        app.router.add_post("/cgi-bin/message/template/send", self._template_send)
        app.router.add_post("/cgi-bin/message/subscribe/bizsend", self._template_send)
        app.router.add_post("/cgi-bin/menu/create", self._menu_create)
        app.router.add_get("/cgi-bin/media/get", self._media_get)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        self.port = free_port()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @staticmethod
    def _error(code: int, message: str) -> web.Response:
        return web.json_response({"errcode": code, "errmsg": message})

    async def _token(self, request: web.Request) -> web.Response:
        query = request.query
        if query.get("appid") != self.app_id or query.get("secret") != self.secret:
            return self._error(40125, "invalid appsecret")
        self.token_fetches += 1
        token = f"TOKEN-{next(self._counter)}-{secrets.token_hex(4)}"
        self._tokens.add(token)
        return web.json_response({"access_token": token, "expires_in": 7200})

    async def _body(
        self, request: web.Request
    ) -> tuple[dict[str, Any] | None, web.Response | None]:
        if request.query.get("access_token") not in self._tokens:
            return None, self._error(40001, "invalid credential, access_token is invalid")
        return json.loads(await request.read()), None

    async def _custom_send(self, request: web.Request) -> web.Response:
        body, error = await self._body(request)
        if error is not None:
            return error
        assert body is not None
        openid = body["touser"]
        if self.fail_next:
            return self._error(self.fail_next.pop(0), "scripted failure")
        if openid in self.unfollowed:
            return self._error(43004, "require subscribe")
        if openid not in self._windows:
            return self._error(45015, "response out of time limit or subscription is canceled")
        if self._windows[openid] >= self.kf_quota:
            return self._error(45047, "out of response count limit")
        self._windows[openid] += 1
        self.kf_sent.append(body)
        return self._error(0, "ok")

    async def _template_send(self, request: web.Request) -> web.Response:
        body, error = await self._body(request)
        if error is not None:
            return error
        assert body is not None
        if body["touser"] in self.unfollowed:
            return self._error(43004, "require subscribe")
        self.templates.append(body)
        return web.json_response({"errcode": 0, "errmsg": "ok", "msgid": next(self._counter)})

    async def _menu_create(self, request: web.Request) -> web.Response:
        body, error = await self._body(request)
        if error is not None:
            return error
        assert body is not None
        self.menus.append(body)
        return self._error(0, "ok")

    async def _media_get(self, request: web.Request) -> web.Response:
        if request.query.get("access_token") not in self._tokens:
            return self._error(40001, "invalid credential")
        content = self.media.get(request.query.get("media_id", ""))
        if content is None:
            return self._error(40007, "invalid media_id")
        return web.Response(body=content, content_type="image/jpeg")


def _sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()  # noqa: S324


@dataclass
class Reply:
    status: int
    body: str
    content: str | None = None  # the text of a passive text reply, decrypted


class WeChatSide:
    """Sends callbacks to the hotline as WeChat's servers do, and reads the answers."""

    def __init__(
        self,
        url: str,
        clock: Clock,
        *,
        api: FakeWeChatAPI | None = None,
        encrypt: bool = True,
        token: str = TOKEN,
    ) -> None:
        self.url = url
        self.clock = clock
        self.api = api
        self.encrypt = encrypt
        self.token = token
        self.crypto = WeChatCrypto(token, AES_KEY, APP_ID)
        self._ids = itertools.count(24_000_000_000_000_001)

    def signed_query(self, *, timestamp: int | None = None, forge: bool = False) -> dict[str, str]:
        ts = str(timestamp if timestamp is not None else int(self.clock.now().timestamp()))
        nonce = secrets.token_hex(5)
        signature = _sign(self.token, ts, nonce)
        if forge:
            signature = _sign("not-the-token", ts, nonce)
        return {"signature": signature, "timestamp": ts, "nonce": nonce}

    def message_xml(self, openid: str, msg_type: str, fields: dict[str, str | int]) -> str:
        created = int(self.clock.now().timestamp())
        extra = "".join(
            f"<{k}>{v}</{k}>" if isinstance(v, int) else f"<{k}><![CDATA[{v}]]></{k}>"
            for k, v in fields.items()
        )
        return (
            f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
            f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{created}</CreateTime><MsgType><![CDATA[{msg_type}]]></MsgType>"
            f"{extra}</xml>"
        )

    async def post_raw(
        self, body: bytes, query: dict[str, str], *, headers: dict[str, str] | None = None
    ) -> Reply:
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.url, params=query, data=body, headers=headers) as response,
        ):
            text = await response.text()
            return Reply(response.status, text, self._content(text) if response.ok else None)

    async def post(self, xml: str, *, timestamp: int | None = None, forge: bool = False) -> Reply:
        query = self.signed_query(timestamp=timestamp, forge=forge)
        if not self.encrypt:
            return await self.post_raw(xml.encode("utf-8"), query)
        encrypted = PrpCrypto(self.crypto.key).encrypt(xml, APP_ID).decode()
        query |= {
            "encrypt_type": "aes",
            "msg_signature": _sign(self.token, query["timestamp"], query["nonce"], encrypted),
        }
        body = (
            f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
            f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
        )
        return await self.post_raw(body.encode("utf-8"), query)

    def _content(self, text: str) -> str | None:
        if text in ("success", ""):
            return None
        data = xmltodict.parse(text)["xml"]
        if "Encrypt" in data:
            plain = self.crypto.decrypt_message(
                text, data["MsgSignature"], data["TimeStamp"], data["Nonce"]
            )
            data = xmltodict.parse(plain)["xml"]
        content: str = data["Content"]
        return content

    # -- what a person does --------------------------------------------------------------

    def _wrote(self, openid: str) -> None:
        if self.api is not None:
            self.api.user_wrote(openid)
            self.api.unfollowed.discard(openid)

    async def text(self, openid: str, content: str, *, msg_id: int | None = None) -> Reply:
        self._wrote(openid)
        msg_id = msg_id if msg_id is not None else next(self._ids)
        xml = self.message_xml(
            openid, "text", {"Content": saxutils.escape(content), "MsgId": msg_id}
        )
        return await self.post(xml)

    async def image(self, openid: str, media_id: str) -> Reply:
        self._wrote(openid)
        fields: dict[str, str | int] = {
            "PicUrl": "http://mmbiz.qpic.cn/x",
            "MediaId": media_id,
            "MsgId": next(self._ids),
        }
        return await self.post(self.message_xml(openid, "image", fields))

    async def location(self, openid: str, lat: float, lon: float, label: str = "") -> Reply:
        self._wrote(openid)
        fields: dict[str, str | int] = {
            "Location_X": str(lat),
            "Location_Y": str(lon),
            "Scale": 15,
            "Label": label,
            "MsgId": next(self._ids),
        }
        return await self.post(self.message_xml(openid, "location", fields))

    async def event(self, openid: str, event: str, key: str = "") -> Reply:
        if event != "unsubscribe":
            self._wrote(openid)
        elif self.api is not None:
            self.api.unfollowed.add(openid)
            self.api.close_window(openid)
        fields: dict[str, str | int] = {"Event": event}
        if key:
            fields["EventKey"] = key
        return await self.post(self.message_xml(openid, "event", fields))


# -- the hotline's WeChat channel wired to the stand-ins, for tests ------------------------------


REPLY_BUDGET = 4.0


def wechat_settings(api: FakeWeChatAPI, **overrides: Any) -> WeChatSettings:
    values: dict[str, Any] = {
        "app_id": APP_ID,
        "secret": SECRET,
        "token": TOKEN,
        "encoding_aes_key": AES_KEY,
        "port": 0,
        "api_base_url": api.base_url,
        "api_timeout_seconds": 2.0,
        # WeChat waits 5 s; a generous budget keeps a loaded test machine's slow turn passive.
        "reply_budget_seconds": REPLY_BUDGET,
    }
    values.update(overrides)
    return WeChatSettings.model_validate(values)


class SlowCore:
    """The real core, after `delay` seconds (a turn slower than WeChat's patience)."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.delay = 0.0
        self.calls = 0

    async def handle(self, inbound: Inbound) -> list[Outbound]:
        self.calls += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        return await self.app.conversation.handle(inbound)


@dataclass
class Rig:
    app: App
    api: FakeWeChatAPI
    channel: WeChatChannel
    side: WeChatSide
    core: SlowCore
    clock: FixedClock


async def make_rig(app: App, clock: FixedClock, **overrides: Any) -> AsyncIterator[Rig]:
    async with FakeWeChatAPI() as api:
        settings = wechat_settings(api, **overrides)
        core = SlowCore(app)
        channel = WeChatChannel(settings, core=core, deps=app.deps, media=app.media)
        await channel.start()
        side = WeChatSide(channel.url, clock, api=api, encrypt=settings.mode != "plain")
        try:
            yield Rig(app, api, channel, side, core, clock)
        finally:
            await channel.stop()


_CHOICE = re.compile(r"^(\d+)\. (.+)$", re.MULTILINE)


def number_of(reply: Reply | str | None, label: str) -> str:
    """The number to type for the choice `label` in a reply."""
    text = reply.content if isinstance(reply, Reply) else reply
    assert text is not None, "no passive reply"
    for number, shown in _CHOICE.findall(text):
        if shown.strip() == label:
            return str(number)
    raise AssertionError(f"no choice {label!r} in:\n{text}")
