"""A stand-in Telegram Bot API server for tests: the real aiogram and python-telegram-bot clients
talk to it over HTTP through their custom base URL (no machine here reaches Telegram).

    async with FakeTelegramAPI() as api:
        channel = create_telegram_channel(TelegramSettings(token=api.token,
                                                           api_base_url=api.base_url), core)
        api.send_text(user_id=1001, text="路灯坏了")
        [call] = await api.wait_for("sendMessage")

What it does, modelled on https://core.telegram.org/bots/api:
* methods getMe, getUpdates (long poll, `offset` = last update_id + 1 confirms), deleteWebhook,
  setWebhook, getWebhookInfo, sendMessage, editMessageText, editMessageReplyMarkup,
  answerCallbackQuery, sendPhoto, sendMediaGroup, getFile, and file download at
  /file/bot<token>/<path>; method names are case-insensitive, as Telegram's are;
* unknown methods answer 400 JSON, never 401/404 (python-telegram-bot reads those as InvalidToken);
* parameters arrive form-urlencoded, multipart or JSON; nested objects (reply_markup, media...)
  are JSON strings in forms;
* photos may be file_ids or uploaded files (multipart: the file itself as `photo`, or
  `attach://<field>` naming a file field, as albums always do); each uploaded file is kept
  (getFile can fetch it) and recorded in `uploads`;
* records every call (`calls`, `wait_for`), injects updates of every kind the hotline meets,
  redelivers an update with the same update_id, answers scripted 429s (`fail_next`), and can
  enforce Telegram's flood limits (`enforce_limits=True`) with 429 + retry_after;
* with a webhook set, injected updates are POSTed to it (with the secret header) in order, and
  getUpdates answers 409 Conflict, as Telegram does.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import socket
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

DEFAULT_TOKEN = "123456789:AAFakeTokenForTheStandInServer_xyz"
BOT_ID = 123456789
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

# Parameters whose values are JSON-serialised objects when sent as a form.
_JSON_PARAMS = {
    "reply_markup",
    "media",
    "entities",
    "caption_entities",
    "allowed_updates",
    "link_preview_options",
    "reply_parameters",
}
# Methods that put a message in a chat, and so count against the flood limits.
_MESSAGE_METHODS = {"sendmessage", "sendphoto", "sendmediagroup"}


def free_port() -> int:
    """A TCP port free right now on 127.0.0.1 (for a webhook URL known before the server starts)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class ApiCall:
    """One request the bot made: canonical method name, decoded params, when, and the answer."""

    method: str
    params: dict[str, Any]
    at: float
    status: int = 200
    result: Any = None

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def chat_id(self) -> str | None:
        value = self.params.get("chat_id")
        return None if value is None else str(value)

    @property
    def text(self) -> str | None:
        value = self.params.get("text", self.params.get("caption"))
        return None if value is None else str(value)

    @property
    def buttons(self) -> list[list[tuple[str, str]]]:
        """The inline keyboard sent with this call as rows of (label, callback_data)."""
        markup = self.params.get("reply_markup") or {}
        return [
            [(b["text"], b.get("callback_data", "")) for b in row]
            for row in markup.get("inline_keyboard", [])
        ]


@dataclass(frozen=True)
class Upload:
    """A file the bot uploaded as a photo (sendPhoto or an album item), and its new file_id."""

    method: str
    chat_id: str
    content: bytes
    file_id: str


@dataclass(frozen=True)
class FakeLimits:
    """Flood limits the stand-in enforces when asked (Telegram's published ones by default)."""

    private_interval: float = 1.0  # one message per this many seconds per private chat
    group_rate: int = 20  # messages per group ...
    group_window: float = 60.0  # ... per this many seconds
    global_rate: int = 30  # messages for the whole bot ...
    global_window: float = 1.0  # ... per this many seconds
    slack: float = 0.05  # timing jitter forgiven, seconds


@dataclass
class _Failure:
    method: str
    times: int
    retry_after: int
    chat_id: str | None
    status: int = 429
    description: str | None = None


@dataclass
class WebhookDelivery:
    update_id: int
    status: int


@dataclass
class _State:
    updates: list[dict[str, Any]] = field(default_factory=list)
    redeliver: list[dict[str, Any]] = field(default_factory=list)
    waiters: list[asyncio.Future[None]] = field(default_factory=list)


class FakeTelegramAPI:
    """The stand-in server. Start with `async with` or `start()`/`stop()`."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        enforce_limits: bool = False,
        limits: FakeLimits | None = None,
        latency: Callable[[], float] | None = None,
    ) -> None:
        self.token = token
        self.enforce_limits = enforce_limits
        self.limits = limits or FakeLimits()
        # Seconds each request spends on its way here before it counts (a network between the
        # bot and Telegram, drawn per request): requests allowed in order may then arrive
        # bunched, which is what the flood limits judge.
        self.latency = latency
        self.calls: list[ApiCall] = []
        self.messages: dict[tuple[str, int], dict[str, Any]] = {}
        self.files: dict[str, bytes] = {}
        self.uploads: list[Upload] = []
        self.webhook_url: str | None = None
        self.webhook_secret: str | None = None
        self.webhook_deliveries: list[WebhookDelivery] = []
        self.allowed_updates: list[str] | None = None
        self.too_many_requests = 0  # 429s answered because of enforced limits
        self._state = _State()
        self._delivered: list[dict[str, Any]] = []  # confirmed or webhook-delivered updates
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._failures: list[_Failure] = []
        self._stalls: list[tuple[str, float]] = []
        # method (lower case, or "*" for every method) -> (until, status): an outage window.
        self._outages: dict[str, tuple[float, int]] = {}
        self._private_last: dict[str, float] = {}
        self._group_sent: dict[str, deque[float]] = {}
        self._global_sent: deque[float] = deque()
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._webhook_queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._webhook_worker: asyncio.Task[None] | None = None
        self._http: aiohttp.ClientSession | None = None
        self._closing = False

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """What the bot is configured with as `api_base_url`."""
        return f"http://127.0.0.1:{self._port}"

    async def start(self) -> None:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._on_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._on_file)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = int(self._runner.addresses[0][1])
        self._http = aiohttp.ClientSession()

    async def stop(self) -> None:
        self._closing = True
        self._wake_pollers()
        if self._webhook_worker is not None:
            self._webhook_worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_worker
        if self._http is not None:
            await self._http.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeTelegramAPI:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- inspecting calls -------------------------------------------------------------------

    def calls_to(self, method: str, *, chat_id: str | int | None = None) -> list[ApiCall]:
        """Recorded calls of `method` (any outcome), optionally to one chat."""
        name = method.lower()
        return [
            c
            for c in self.calls
            if c.method.lower() == name and (chat_id is None or c.chat_id == str(chat_id))
        ]

    def sent(self, *, chat_id: str | int | None = None) -> list[ApiCall]:
        """Successful message-producing calls (sendMessage, sendPhoto, sendMediaGroup)."""
        return [
            c
            for c in self.calls
            if c.ok
            and c.method.lower() in _MESSAGE_METHODS
            and (chat_id is None or c.chat_id == str(chat_id))
        ]

    async def wait_for(
        self,
        method: str,
        predicate: Callable[[ApiCall], bool] | None = None,
        *,
        count: int = 1,
        within: float = 5.0,
        ok: bool | None = True,
    ) -> list[ApiCall]:
        """Wait until `count` calls of `method` matching `predicate` (and, by default, answered
        200) have been recorded; return them. Raises AssertionError with the call log on timeout."""
        deadline = time.monotonic() + within
        while True:
            found = [
                c
                for c in self.calls_to(method)
                if (ok is None or c.ok == ok) and (predicate is None or predicate(c))
            ]
            if len(found) >= count:
                return found[:count]
            if time.monotonic() > deadline:
                log = [(c.method, c.chat_id, c.status, c.text) for c in self.calls]
                raise AssertionError(
                    f"waited {within}s for {count} x {method}, got {len(found)}; calls: {log}"
                )
            await asyncio.sleep(0.01)

    # -- scripting failures -----------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        times: int = 1,
        *,
        retry_after: int = 1,
        chat_id: str | int | None = None,
    ) -> None:
        """The next `times` calls of `method` (to `chat_id`, if given) answer 429 with
        `parameters.retry_after` (whole seconds, as Telegram sends)."""
        self._failures.append(
            _Failure(method.lower(), times, retry_after, None if chat_id is None else str(chat_id))
        )

    def fail_next_with(
        self,
        method: str,
        status: int,
        description: str,
        *,
        times: int = 1,
        chat_id: str | int | None = None,
    ) -> None:
        """The next `times` calls of `method` answer `status` (e.g. 403 "Forbidden: bot was
        blocked by the user")."""
        self._failures.append(
            _Failure(
                method.lower(),
                times,
                0,
                None if chat_id is None else str(chat_id),
                status=status,
                description=description,
            )
        )

    def outage(
        self, seconds: float, *, status: int = 500, methods: tuple[str, ...] = ("*",)
    ) -> None:
        """For the next `seconds`, the methods (every one with "*") answer `status` (a Bot API
        failing for a while: 500, 502 ...), as a real outage would."""
        until = time.monotonic() + seconds
        for method in methods:
            self._outages[method.lower()] = (until, status)

    def stall_next(self, method: str, seconds: float, times: int = 1) -> None:
        """The next `times` calls of `method` are answered only after `seconds`. A caller gone
        by then (a process killed mid-request) gets nothing, and the call has no effect: it is
        recorded with status 499 (client closed), not as a delivered message."""
        self._stalls.extend([(method.lower(), seconds)] * times)

    # -- injecting updates ------------------------------------------------------------------

    def inject(self, update: dict[str, Any]) -> int:
        """Queue a raw update (an update_id is assigned if missing); returns its update_id."""
        if "update_id" not in update:
            update = {"update_id": next(self._update_ids), **update}
        kind = next(k for k in update if k != "update_id")
        if self.allowed_updates and kind not in self.allowed_updates:
            return int(update["update_id"])  # Telegram never delivers what was not asked for
        if self.webhook_url is not None:
            self._webhook_queue.put_nowait(update)
        else:
            self._state.updates.append(update)
            self._wake_pollers()
        return int(update["update_id"])

    def redeliver(self, update_id: int) -> None:
        """Deliver an already injected update again, same update_id (as after a lost ack)."""
        for update in self._history():
            if update["update_id"] == update_id:
                if self.webhook_url is not None:
                    self._webhook_queue.put_nowait(update)
                else:
                    self._state.redeliver.append(update)
                    self._wake_pollers()
                return
        raise KeyError(f"no update {update_id} was injected")

    def user(
        self, user_id: int, first_name: str = "张三", last_name: str | None = None
    ) -> dict[str, Any]:
        user: dict[str, Any] = {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name,
            "language_code": "zh-hans",
        }
        if last_name:
            user["last_name"] = last_name
        return user

    def chat(self, chat_id: int, *, title: str = "安宁区测试群") -> dict[str, Any]:
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "张三"}
        kind = "supergroup" if str(chat_id).startswith("-100") else "group"
        return {"id": chat_id, "type": kind, "title": title}

    def _incoming(
        self, user_id: int, chat_id: int | None, first_name: str, **content: Any
    ) -> dict[str, Any]:
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self.chat(chat_id if chat_id is not None else user_id),
            "from": self.user(user_id, first_name),
            **content,
        }

    def send_text(
        self, user_id: int, text: str, *, chat_id: int | None = None, first_name: str = "张三"
    ) -> int:
        """A person types `text` (in their private chat, or in group `chat_id`)."""
        entities = []
        if text.startswith("/"):
            entities = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        message = self._incoming(user_id, chat_id, first_name, text=text)
        if entities:
            message["entities"] = entities
        return self.inject({"message": message})

    def send_photo(
        self,
        user_id: int,
        *,
        caption: str | None = None,
        chat_id: int | None = None,
        content: bytes = b"\xff\xd8\xff fake jpeg",
    ) -> tuple[int, str]:
        """A person sends a photo; returns (update_id, file_id of the largest size)."""
        sizes = []
        for width, height in ((90, 67), (320, 240), (1280, 960)):
            file_id = self.add_file(content)
            sizes.append(
                {
                    "file_id": file_id,
                    "file_unique_id": f"u{file_id}",
                    "width": width,
                    "height": height,
                    "file_size": len(content),
                }
            )
        extra: dict[str, Any] = {"photo": sizes}
        if caption is not None:
            extra["caption"] = caption
        update_id = self.inject({"message": self._incoming(user_id, chat_id, "张三", **extra)})
        return update_id, str(sizes[-1]["file_id"])

    def send_location(self, user_id: int, latitude: float, longitude: float) -> int:
        location = {"latitude": latitude, "longitude": longitude}
        return self.inject({"message": self._incoming(user_id, None, "张三", location=location)})

    def send_media(self, user_id: int, kind: str, *, chat_id: int | None = None) -> int:
        """A person sends a sticker, voice, video, video_note, animation, audio, document or
        contact."""
        file_id = self.add_file(b"media")
        media: dict[str, Any] = {"file_id": file_id, "file_unique_id": f"u{file_id}"}
        extra: dict[str, Any]
        if kind == "sticker":
            media.update(type="regular", width=512, height=512, is_animated=False, is_video=False)
            extra = {"sticker": media}
        elif kind in ("voice", "audio"):
            extra = {kind: {**media, "duration": 3, "mime_type": "audio/ogg"}}
        elif kind == "video":
            extra = {"video": {**media, "width": 640, "height": 480, "duration": 5}}
        elif kind == "video_note":
            extra = {"video_note": {**media, "length": 240, "duration": 5}}
        elif kind == "animation":
            animation = {**media, "width": 320, "height": 240, "duration": 2}
            extra = {"animation": animation, "document": media}
        elif kind == "document":
            extra = {"document": {**media, "file_name": "材料.pdf", "mime_type": "application/pdf"}}
        elif kind == "contact":
            extra = {"contact": {"phone_number": "13800000000", "first_name": "李四"}}
        else:
            raise ValueError(f"unknown media kind {kind!r}")
        return self.inject({"message": self._incoming(user_id, chat_id, "张三", **extra)})

    def edit_text(self, user_id: int, text: str, *, message_id: int | None = None) -> int:
        """A person edits one of their earlier messages."""
        message = self._incoming(user_id, None, "张三", text=text, edit_date=int(time.time()))
        if message_id is not None:
            message["message_id"] = message_id
        return self.inject({"edited_message": message})

    def service_message(self, chat_id: int, new_member_id: int) -> int:
        """Someone joined a group (a service message nobody should answer)."""
        extra = {"new_chat_members": [self.user(new_member_id, "王五")]}
        return self.inject({"message": self._incoming(new_member_id, chat_id, "王五", **extra)})

    def press_button(
        self,
        user_id: int,
        data: str,
        *,
        message_id: int | None = None,
        chat_id: int | None = None,
    ) -> int:
        """A person presses an inline button with callback_data `data` under the bot's message
        `message_id` (the latest bot message in that chat if None)."""
        chat = chat_id if chat_id is not None else user_id
        message = None
        if message_id is not None:
            message = self.messages.get((str(chat), message_id))
        else:
            mine = [m for (c, _), m in self.messages.items() if c == str(chat)]
            message = mine[-1] if mine else None
        if message is None:
            message = {
                "message_id": message_id or next(self._message_ids),
                "date": int(time.time()),
                "chat": self.chat(chat),
                "from": self._bot_user(),
                "text": "…",
            }
        query = {
            "id": str(next(self._callback_ids)),
            "from": self.user(user_id),
            "message": message,
            "chat_instance": f"ci{chat}",
            "data": data,
        }
        return self.inject({"callback_query": query})

    def add_file(self, content: bytes) -> str:
        """Store a file the bot may getFile and download; returns its file_id."""
        file_id = f"AgACAgFAKE{next(self._file_ids):06d}"
        self.files[file_id] = content
        return file_id

    async def post_webhook(
        self, update: dict[str, Any], *, secret: str | None, url: str | None = None
    ) -> int:
        """POST one update to the webhook (or `url`) with `secret` in the header; the status."""
        assert self._http is not None
        target = url or self.webhook_url
        assert target, "no webhook set"
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        async with self._http.post(target, json=update, headers=headers) as response:
            await response.read()
            return response.status

    def make_update(self, user_id: int, text: str) -> dict[str, Any]:
        """A text-message update that is not queued (for `post_webhook`)."""
        message = self._incoming(user_id, None, "张三", text=text)
        return {"update_id": next(self._update_ids), "message": message}

    # -- internals: updates -----------------------------------------------------------------

    def _history(self) -> list[dict[str, Any]]:
        return self._state.updates + self._delivered

    def _wake_pollers(self) -> None:
        for waiter in self._state.waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._state.waiters.clear()

    def _confirm(self, offset: int) -> None:
        keep = []
        for update in self._state.updates:
            if update["update_id"] < offset:
                self._delivered.append(update)
            else:
                keep.append(update)
        self._state.updates = keep

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        if params.get("allowed_updates") is not None:
            self.allowed_updates = list(params["allowed_updates"]) or None
        deadline = time.monotonic() + timeout
        while True:
            if offset:
                self._confirm(offset)
            ready = self._state.redeliver + [
                u for u in self._state.updates if u["update_id"] >= offset
            ]
            remaining = deadline - time.monotonic()
            if ready or remaining <= 0 or self._closing:
                self._state.redeliver = []
                return ready[:limit]
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._state.waiters.append(waiter)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiter, remaining)

    async def _deliver_webhooks(self) -> None:
        # One at a time and in order; Telegram may parallelise, but order keeps tests readable.
        assert self._http is not None
        while True:
            update = await self._webhook_queue.get()
            try:
                status = await self.post_webhook(update, secret=self.webhook_secret)
            except aiohttp.ClientError:
                status = 0
            self._delivered.append(update)
            self.webhook_deliveries.append(WebhookDelivery(update["update_id"], status))

    # -- internals: HTTP --------------------------------------------------------------------

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            body = await request.read()
            if body:
                params.update(json.loads(body))
            return params
        if request.method == "POST":
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    params[key] = value.file.read()
                elif key in _JSON_PARAMS and isinstance(value, str):
                    params[key] = json.loads(value)
                else:
                    params[key] = value
        for key in _JSON_PARAMS & params.keys():
            if isinstance(params[key], str):
                params[key] = json.loads(params[key])
        return params

    async def _on_method(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await self._params(request)
        if self.latency is not None:
            await asyncio.sleep(self.latency())
        call = ApiCall(method=method, params=params, at=time.monotonic())
        self.calls.append(call)
        handler = getattr(self, f"_m_{method.lower()}", None)
        if handler is None:
            # 400, not 404: python-telegram-bot turns 401/404 into InvalidToken.
            return self._answer(call, error=(400, f"Bad Request: method {method} not found"))
        if await self._stalled(request, call):
            return web.Response(status=499)
        for key in (method.lower(), "*"):
            until, status = self._outages.get(key, (0.0, 0))
            if time.monotonic() < until:
                return self._answer(call, error=(status, "Internal Server Error"))
        failure = self._scripted_failure(method.lower(), call.chat_id)
        if failure is not None:
            return self._answer(call, error=failure)
        if self.enforce_limits and method.lower() in _MESSAGE_METHODS:
            cost = len(params.get("media") or []) if method.lower() == "sendmediagroup" else 1
            wait = self._flood_wait(call.chat_id or "", cost)
            if wait is not None:
                self.too_many_requests += 1
                return self._answer(call, error=(429, "Too Many Requests", wait))
        try:
            result = await handler(params)
        except _ApiError as exc:
            return self._answer(call, error=(exc.status, exc.description))
        return self._answer(call, result=result)

    async def _stalled(self, request: web.Request, call: ApiCall) -> bool:
        """Hold a call stall_next() asked for; True if its caller went away meanwhile."""
        stall = next((s for s in self._stalls if s[0] == call.method.lower()), None)
        if stall is None:
            return False
        self._stalls.remove(stall)
        call.status = 102  # in hand, not answered: not a delivered message (yet)
        try:
            await asyncio.sleep(stall[1])
        except asyncio.CancelledError:  # aiohttp cancelled the handler: the client is gone
            call.status = 499
            raise
        if request.transport is None or request.transport.is_closing():
            call.status = 499
            return True
        call.status = 200
        return False

    def _answer(
        self, call: ApiCall, *, result: Any = None, error: tuple[Any, ...] | None = None
    ) -> web.Response:
        if error is None:
            call.result = result
            return web.json_response({"ok": True, "result": result})
        status, description = error[0], error[1]
        call.status = status
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if status == 429:
            retry_after = error[2]
            body["description"] = f"Too Many Requests: retry after {retry_after}"
            body["parameters"] = {"retry_after": retry_after}
        return web.json_response(body, status=status)

    def _scripted_failure(self, method: str, chat_id: str | None) -> tuple[Any, ...] | None:
        for failure in self._failures:
            if failure.method != method or failure.times <= 0:
                continue
            if failure.chat_id is not None and failure.chat_id != chat_id:
                continue
            failure.times -= 1
            if failure.status == 429:
                return (429, "Too Many Requests", failure.retry_after)
            return (failure.status, failure.description or "Error")
        return None

    def _flood_wait(self, chat_id: str, cost: int) -> int | None:
        """Seconds to wait if this send would break a limit, else None (and it is counted)."""
        now = time.monotonic()
        lim = self.limits
        while self._global_sent and now - self._global_sent[0] >= lim.global_window - lim.slack:
            self._global_sent.popleft()
        if len(self._global_sent) + cost > lim.global_rate:
            return max(1, math.ceil(lim.global_window - (now - self._global_sent[0])))
        if chat_id.startswith("-"):
            sent = self._group_sent.setdefault(chat_id, deque())
            while sent and now - sent[0] >= lim.group_window:
                sent.popleft()
            if len(sent) + cost > lim.group_rate:
                return max(1, math.ceil(lim.group_window - (now - sent[0])))
            sent.extend([now] * cost)
        else:
            last = self._private_last.get(chat_id)
            if last is not None and now - last < lim.private_interval - lim.slack:
                return max(1, math.ceil(lim.private_interval - (now - last)))
            self._private_last[chat_id] = now
        self._global_sent.extend([now] * cost)
        return None

    async def _on_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        path = request.match_info["path"]
        file_id = path.rsplit("/", 1)[-1].split(".", 1)[0]
        if file_id not in self.files:
            return web.Response(status=404)
        return web.Response(body=self.files[file_id], content_type="application/octet-stream")

    # -- internals: methods -----------------------------------------------------------------

    def _bot_user(self) -> dict[str, Any]:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "安宁区12345",
            "username": "anning_hotline_test_bot",
        }

    def _new_message(self, chat_id: Any, **content: Any) -> dict[str, Any]:
        chat = _int_chat(chat_id)
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self.chat(chat),
            "from": self._bot_user(),
            **{k: v for k, v in content.items() if v is not None},
        }
        self.messages[(str(chat), message["message_id"])] = message
        return message

    async def _m_getme(self, params: dict[str, Any]) -> Any:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _m_getupdates(self, params: dict[str, Any]) -> Any:
        if self.webhook_url is not None:
            raise _ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        return await self._get_updates(params)

    async def _m_deletewebhook(self, params: dict[str, Any]) -> Any:
        self.webhook_url = None
        self.webhook_secret = None
        if str(params.get("drop_pending_updates", "")).lower() == "true":
            self._state.updates.clear()
        return True

    async def _m_setwebhook(self, params: dict[str, Any]) -> Any:
        url = params.get("url") or None
        self.webhook_url = url
        self.webhook_secret = params.get("secret_token") or None
        if params.get("allowed_updates") is not None:
            self.allowed_updates = list(params["allowed_updates"]) or None
        if url is not None:
            # Updates waiting for getUpdates go to the webhook now, as with Telegram.
            for update in self._state.updates:
                self._webhook_queue.put_nowait(update)
            self._state.updates = []
            if self._webhook_worker is None:
                self._webhook_worker = asyncio.create_task(self._deliver_webhooks())
        return True

    async def _m_getwebhookinfo(self, params: dict[str, Any]) -> Any:
        return {
            "url": self.webhook_url or "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._state.updates) + self._webhook_queue.qsize(),
        }

    async def _m_sendmessage(self, params: dict[str, Any]) -> Any:
        text = str(params.get("text") or "")
        if "chat_id" not in params:
            raise _ApiError(400, "Bad Request: chat_id is empty")
        if not text.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        if utf16_len(text) > 4096:
            raise _ApiError(400, "Bad Request: message is too long")
        _check_markup(params.get("reply_markup"))
        return self._new_message(
            params["chat_id"], text=text, reply_markup=params.get("reply_markup")
        )

    async def _m_sendphoto(self, params: dict[str, Any]) -> Any:
        if "chat_id" not in params or not params.get("photo"):
            raise _ApiError(400, "Bad Request: there is no photo in the request")
        caption = params.get("caption")
        if caption is not None and utf16_len(str(caption)) > 1024:
            raise _ApiError(400, "Bad Request: message caption is too long")
        _check_markup(params.get("reply_markup"))
        return self._new_message(
            params["chat_id"],
            photo=self._photo_sizes("sendPhoto", params, params["photo"]),
            caption=caption,
            reply_markup=params.get("reply_markup"),
        )

    async def _m_sendmediagroup(self, params: dict[str, Any]) -> Any:
        media = params.get("media") or []
        if not 2 <= len(media) <= 10:
            raise _ApiError(400, "Bad Request: wrong number of media in the album")
        group_id = str(next(self._message_ids) * 1000)
        messages = []
        for item in media:
            caption = item.get("caption")
            if caption is not None and utf16_len(str(caption)) > 1024:
                raise _ApiError(400, "Bad Request: message caption is too long")
            messages.append(
                self._new_message(
                    params["chat_id"],
                    photo=self._photo_sizes("sendMediaGroup", params, item.get("media")),
                    caption=caption,
                    media_group_id=group_id,
                )
            )
        return messages

    def _photo_sizes(self, method: str, params: dict[str, Any], photo: Any) -> list[dict[str, Any]]:
        if isinstance(photo, str) and photo.startswith("attach://"):
            attached = params.get(photo.removeprefix("attach://"))
            if not isinstance(attached, bytes):
                raise _ApiError(400, f"Bad Request: file {photo} not found in the request")
            photo = attached
        if isinstance(photo, bytes):
            file_id = self.add_file(photo)
            self.uploads.append(Upload(method, str(params["chat_id"]), photo, file_id))
        else:
            file_id = str(photo)
        return [{"file_id": file_id, "file_unique_id": f"u{file_id}", "width": 1280, "height": 960}]

    def _find_message(self, params: dict[str, Any]) -> dict[str, Any]:
        key = (str(_int_chat(params.get("chat_id"))), int(params.get("message_id") or 0))
        if key not in self.messages:
            raise _ApiError(400, "Bad Request: message to edit not found")
        return self.messages[key]

    async def _m_editmessagetext(self, params: dict[str, Any]) -> Any:
        message = self._find_message(params)
        text = str(params.get("text") or "")
        if not text.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        _check_markup(params.get("reply_markup"))
        message["text"] = text
        message["edit_date"] = int(time.time())
        message.pop("reply_markup", None)
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return message

    async def _m_editmessagereplymarkup(self, params: dict[str, Any]) -> Any:
        message = self._find_message(params)
        _check_markup(params.get("reply_markup"))
        message.pop("reply_markup", None)
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        message["edit_date"] = int(time.time())
        return message

    async def _m_answercallbackquery(self, params: dict[str, Any]) -> Any:
        if not params.get("callback_query_id"):
            raise _ApiError(400, "Bad Request: query is too old and response timeout expired")
        return True

    async def _m_getfile(self, params: dict[str, Any]) -> Any:
        file_id = str(params.get("file_id") or "")
        if file_id not in self.files:
            raise _ApiError(400, "Bad Request: invalid file_id")
        return {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_size": len(self.files[file_id]),
            "file_path": f"photos/{file_id}.jpg",
        }


class _ApiError(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def _error(status: int, description: str) -> web.Response:
    body = {"ok": False, "error_code": status, "description": description}
    return web.json_response(body, status=status)


def _int_chat(chat_id: Any) -> int:
    try:
        return int(chat_id)
    except (TypeError, ValueError):
        raise _ApiError(400, "Bad Request: chat not found") from None


def _check_markup(markup: Any) -> None:
    if not markup:
        return
    for row in markup.get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode("utf-8")) <= 64:
                raise _ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
