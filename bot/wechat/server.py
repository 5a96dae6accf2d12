"""The callback server: WeChat POSTs each message here and waits 5 seconds for the answer.

Within the reply budget (about 4 s) the answer is a passive reply. A slower turn is answered
`success` (so WeChat neither retries nor tells the person the account is unavailable) and its
reply goes through the customer-service API when ready. WeChat retries an unanswered callback
three times; a retry of a turn still running here is answered `success`, one already answered
passively gets the same answer again (the first did not arrive), and the core's own dedupe
(by message id, in the database) stops a retry reaching another instance from being handled
twice. https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Passive_user_reply_message.html
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from aiohttp import web

from bot.delivery import DeliveryStatus
from bot.telegram.bridge import KeyedLocks
from bot.wechat.choices import Rendered
from bot.wechat.parse import Incoming, to_incoming
from bot.wechat.protocol import SUCCESS, CallbackCodec, CallbackRejected
from bot.wechat.sender import WeChatSender
from bot.wechat.turns import WeChatTurns
from handlers.context import CoreDeps
from handlers.conversation.messages import Channel, Outbound
from storage.outbox import enqueue

log = logging.getLogger(__name__)

# WeChat retries within about 15 s; remember finished turns a while longer.
_REMEMBER_SECONDS = 60.0


@dataclass(eq=False)
class _Turn:
    """One callback being answered: its result, and whether the HTTP answer carried it."""

    done: asyncio.Event = field(default_factory=asyncio.Event)
    rendered: Rendered | None = None
    passive: asyncio.Future[bool] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class CallbackServer:
    def __init__(
        self,
        *,
        codec: CallbackCodec,
        turns: WeChatTurns,
        sender: WeChatSender,
        deps: CoreDeps,
        reply_budget: float,
        original_id: str | None = None,
    ) -> None:
        self._codec = codec
        # The account's own gh_... id: a correctly signed message addressed to another account
        # (the same token reused on two accounts, or a replayed capture) is refused.
        self._original_id = original_id
        self._turns = turns
        self._sender = sender
        self._sessionmaker, self._clock, self._texts = deps.sessionmaker, deps.clock, deps.texts
        self._budget = reply_budget
        self._recent: dict[str, _Turn] = {}
        self._locks = KeyedLocks()
        self._tasks: set[asyncio.Task[None]] = set()
        self._max_body = 64 * 1024

    def application(self, path: str, max_body_bytes: int) -> web.Application:
        # aiohttp refuses larger bodies with 413 as they are read.
        self._max_body = max_body_bytes
        app = web.Application(client_max_size=max_body_bytes)
        app.router.add_get(path, self.verify_url)
        app.router.add_post(path, self.callback)
        return app

    async def drain(self, within: float) -> None:
        """Let running turns (and their late replies) finish, for a clean shutdown."""
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=within)
            for task in pending:
                log.error("wechat: a turn was still running at shutdown; cancelled")
                task.cancel()

    # -- HTTP ---------------------------------------------------------------------------------

    async def verify_url(self, request: web.Request) -> web.Response:
        """The GET WeChat sends when the server URL is saved: echo `echostr` if signed."""
        try:
            self._codec.verify(request.query)
        except CallbackRejected as rejected:
            return _refuse(request, rejected)
        return web.Response(text=request.query.get("echostr", ""), content_type="text/plain")

    async def callback(self, request: web.Request) -> web.Response:
        query: Mapping[str, str] = request.query
        try:
            self._codec.verify(query)
            if (request.content_length or 0) > self._max_body:
                raise CallbackRejected(413, f"body of {request.content_length} bytes")
            try:
                body = await request.read()
            except web.HTTPRequestEntityTooLarge:
                raise CallbackRejected(413, "body too large") from None
            message = self._codec.decode(query, body)
            target = str(getattr(message, "target", "") or "")
            if self._original_id and target != self._original_id:
                raise CallbackRejected(403, f"message addressed to {target!r}, not this account")
            try:
                incoming = to_incoming(message)
            except (ValueError, KeyError, TypeError) as exc:
                raise CallbackRejected(400, f"malformed callback fields: {exc!r}") from None
        except CallbackRejected as rejected:
            return _refuse(request, rejected)
        text = await self._answer(incoming)
        body_text = self._codec.reply(query, message, text)
        kind = "text/plain" if body_text == SUCCESS else "application/xml"
        return web.Response(text=body_text, content_type=kind)

    # -- turns --------------------------------------------------------------------------------

    async def _answer(self, incoming: Incoming) -> str:
        """The passive reply text, or "" to answer `success`."""
        earlier = self._recent.get(incoming.key)
        if earlier is not None:
            log.info("wechat: retry of %s from %s", incoming.key, incoming.openid)
            answered = earlier.passive.done() and earlier.passive.result()
            if answered and earlier.rendered is not None:
                return earlier.rendered.text
            return ""
        turn = _Turn()
        self._recent[incoming.key] = turn
        task = asyncio.create_task(self._run(incoming, turn))
        self._tasks.add(task)
        task.add_done_callback(lambda t: self._finished(t, incoming.key))
        try:
            await asyncio.wait_for(turn.done.wait(), self._budget)
        except TimeoutError:
            log.info("wechat: %s not answered within %.1f s", incoming.key, self._budget)
        finally:
            # The single point of decision: a turn finishing a moment later sees `passive`
            # False and sends by the customer-service API, as does one whose request was
            # cancelled (the connection dropped) while it waited.
            if not turn.passive.done():
                turn.passive.set_result(turn.done.is_set() and not _cancelling())
        passive = turn.passive.result()
        return turn.rendered.text if passive and turn.rendered is not None else ""

    def _finished(self, task: asyncio.Task[None], key: str) -> None:
        self._tasks.discard(task)
        asyncio.get_running_loop().call_later(_REMEMBER_SECONDS, self._recent.pop, key, None)

    async def _run(self, incoming: Incoming, turn: _Turn) -> None:
        # One turn at a time per person: two quick messages would race on the draft, and a
        # late reply must reach the person before the answer to their next message.
        async with self._locks.hold(incoming.openid):
            try:
                turn.rendered = await self._turns.take(incoming)
            except Exception:
                log.exception(
                    "wechat: turn failed: user=%s message=%s", incoming.openid, incoming.key
                )
                turn.rendered = Rendered(self._texts("err.internal"))
            turn.done.set()
            if not await turn.passive and turn.rendered.text:
                await self._send_late(incoming, turn.rendered)

    async def _send_late(self, incoming: Incoming, rendered: Rendered) -> None:
        try:
            result = await self._sender.send(incoming.openid, rendered, summary=rendered.text)
        except Exception:
            log.exception("wechat: late reply to %s failed", incoming.openid)
            result = None
        if result is not None and result.status is DeliveryStatus.SENT:
            return
        if result is not None and result.status is DeliveryStatus.FAILED:
            log.warning("wechat: late reply to %s dropped: %s", incoming.openid, result.reason)
            return
        # Retry later through the outbox (held rows go out when the person next writes).
        replies = rendered.replies or (Outbound(rendered.text),)
        now = self._clock.now()
        async with self._sessionmaker() as session, session.begin():
            for i, reply in enumerate(replies):
                await enqueue(
                    session=session,
                    idempotency_key=f"wechat:late:{incoming.key}:{i}"[:128],
                    channel=Channel.WECHAT,
                    recipient=incoming.openid,
                    payload=reply.to_payload(),
                    now=now,
                )
        log.info("wechat: late reply to %s queued in the outbox", incoming.openid)


def _cancelling() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def _refuse(request: web.Request, rejected: CallbackRejected) -> web.Response:
    log.warning(
        "wechat: refused %s %s from %s: %d %s",
        request.method,
        request.path,
        request.remote,
        rejected.status,
        rejected.reason,
    )
    return web.Response(status=rejected.status)
