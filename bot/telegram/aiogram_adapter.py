"""Telegram through aiogram 3: parse -> core -> render, nothing else.

Quirks this shape follows (reference/platforms.md):
* a custom server is `AiohttpSession(api=TelegramAPIServer.from_base(base))`;
* `start_polling` never calls deleteWebhook, so we do, or getUpdates answers 409 Conflict;
* `start_polling` confirms a batch before its handlers finish: bot.telegram.polling does not;
* `handle_signals=False`: the app shares its event loop and owns the signals;
* no automatic retry on `TelegramRetryAfter`: `OutboundThrottle` does it;
* `SimpleRequestHandler(secret_token=...)` answers 401 on a wrong secret. We run it with
  `handle_in_background=False` so Telegram gets its 200 only after the update was handled:
  a crash mid-way then means a redelivery (deduplicated by the core), not a lost message.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramUnauthorizedError,
)
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Message,
    Update,
)
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from bot.config import TelegramSettings
from bot.telegram.base import (
    ALLOWED_UPDATES,
    DRAIN_TIMEOUT,
    SECRET_HEADER,
    TelegramChannelBase,
    WebhookSite,
)
from bot.telegram.callbacks import CallbackAnswer
from bot.telegram.parse import inbound_from_callback, inbound_from_message
from bot.telegram.polling import ConfirmingPoller
from bot.telegram.render import AlbumStep, Keyboard, PhotoStep, TextStep
from bot.telegram.replyspool import ReplySpool
from bot.telegram.throttle import RateLimits, SlotLimiter
from bot.telegram.types import ConversationCore, DeliveryError
from storage.media import MediaStore

log = logging.getLogger(__name__)


class _CheckedRequestHandler(SimpleRequestHandler):
    """aiogram's webhook handler, but a body that is not an update is a 400, not a 500.

    aiogram parses the body inside the handler and lets a JSON or validation error escape as a
    500 with a traceback; Telegram then retries a body that will never parse (issue 9).
    """

    async def handle(self, request: web.Request) -> web.Response:
        bot = await self.resolve_bot(request)
        if not self.verify_secret(request.headers.get(SECRET_HEADER, ""), bot):
            return web.Response(body="Unauthorized", status=401)
        try:
            data = json.loads(await request.read())
            Update.model_validate(data, context={"bot": bot})
        except (ValueError, TypeError):  # JSONDecodeError and pydantic's ValidationError
            log.warning("telegram: webhook body from %s is not an update", request.remote)
            return web.Response(body="Bad Request", status=400)
        return await super().handle(request)

    __call__ = handle


def _markup(keyboard: Keyboard) -> InlineKeyboardMarkup | None:
    if not keyboard:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=label, callback_data=data) for label, data in row]
            for row in keyboard
        ]
    )


class AiogramChannel(TelegramChannelBase):
    """The hotline bot on aiogram, by long polling or webhook."""

    def __init__(
        self,
        settings: TelegramSettings,
        core: ConversationCore,
        *,
        limits: RateLimits | None = None,
        poll_timeout: int = 30,
        media: MediaStore | None = None,
        spool: ReplySpool | None = None,
        limiter: SlotLimiter | None = None,
    ) -> None:
        super().__init__(
            settings,
            core,
            limits=limits,
            poll_timeout=poll_timeout,
            media=media,
            spool=spool,
            limiter=limiter,
        )
        session = AiohttpSession(api=TelegramAPIServer.from_base(settings.api_base_url))
        self.bot = Bot(self.token, session=session)
        self.dispatcher = Dispatcher()
        self.dispatcher.include_router(self._router())
        self._polling: asyncio.Task[None] | None = None
        self._poller: ConfirmingPoller | None = None
        self._site: WebhookSite | None = None

    @property
    def webhook_port(self) -> int | None:
        """The port the webhook server listens on (useful when configured as 0)."""
        return self._site.port if self._site else None

    def _router(self) -> Router:
        router = Router(name="hotline")
        router.message.register(self._on_message)
        router.edited_message.register(self._on_edited_message)
        router.callback_query.register(self._on_callback)
        return router

    async def _on_message(self, message: Message, event_update: Update) -> None:
        inbound = inbound_from_message(event_update.update_id, message, edited=False)
        if inbound is not None:
            await self.bridge.handle(inbound)

    async def _on_edited_message(self, edited_message: Message, event_update: Update) -> None:
        inbound = inbound_from_message(event_update.update_id, edited_message, edited=True)
        if inbound is not None:
            await self.bridge.handle(inbound)

    async def _on_callback(self, callback_query: CallbackQuery, event_update: Update) -> None:
        answer = CallbackAnswer(callback_query.answer)
        inbound = inbound_from_callback(event_update.update_id, callback_query)
        if inbound is not None:
            await self.bridge.handle(inbound, notice=answer.notice)
        await answer.finish()

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Start polling as a background task, or serve the webhook and register it."""
        try:
            await self._start()
        except BaseException:
            # An unreachable Bot API or a refused token: close the HTTP session we opened, so
            # the CLI's one-line error is not followed by "Unclosed client session".
            await self.bot.session.close()
            raise

    async def _start(self) -> None:
        if self.mode == "webhook":
            await self._start_webhook()
            return
        await self.bot.delete_webhook(drop_pending_updates=False)
        # Our own loop, not start_polling: it confirms an update only once handled.
        self._poller = ConfirmingPoller(
            self.bot, self.dispatcher, timeout=self._poll_timeout, allowed_updates=ALLOWED_UPDATES
        )
        self._polling = asyncio.create_task(self._poller.run(), name="telegram-aiogram-polling")

    async def _start_webhook(self) -> None:
        app = web.Application()
        _CheckedRequestHandler(
            self.dispatcher,
            self.bot,
            handle_in_background=False,
            secret_token=self._webhook_secret,
        ).register(app, path=self.settings.webhook_path)
        self._site = WebhookSite(app, self.settings.webhook_listen, self.settings.webhook_port)
        await self._site.start()
        assert self.settings.webhook_url is not None
        await self.bot.set_webhook(
            self.settings.webhook_url,
            secret_token=self._webhook_secret,
            allowed_updates=ALLOWED_UPDATES,
        )

    async def stop(self) -> None:
        """Stop receiving, let running turns finish, then close the bot's HTTP session."""
        if self._polling is not None:
            if self._poller is not None:
                self._poller.stop()
            with contextlib.suppress(asyncio.CancelledError):
                await self._polling
            self._polling = None
        if self._site is not None:
            await self._site.stop()
            self._site = None
        await self.bridge.drain(DRAIN_TIMEOUT)
        await self.bot.session.close()

    # -- sending ---------------------------------------------------------------------------

    async def send_text(self, chat_id: str, step: TextStep) -> str:
        sent = await self.bot.send_message(chat_id, step.text, reply_markup=_markup(step.keyboard))
        return str(sent.message_id)

    async def _photo(self, photo: str, chat_id: str) -> str | BufferedInputFile:
        """A Telegram file_id as it is; a media-store photo as a file upload."""
        upload = await self.photo_upload(photo, chat_id)
        return photo if upload is None else BufferedInputFile(upload[1], filename=upload[0])

    async def send_photo(self, chat_id: str, step: PhotoStep) -> str:
        sent = await self.bot.send_photo(
            chat_id,
            await self._photo(step.photo, chat_id),
            caption=step.caption,
            reply_markup=_markup(step.keyboard),
        )
        return str(sent.message_id)

    async def send_album(self, chat_id: str, step: AlbumStep) -> list[str]:
        media = [
            InputMediaPhoto(
                media=await self._photo(photo, chat_id),
                caption=step.caption if i == 0 else None,
            )
            for i, photo in enumerate(step.photos)
        ]
        sent = await self.bot.send_media_group(chat_id, media=list(media))
        return [str(m.message_id) for m in sent]

    def retry_after_of(self, exc: BaseException) -> float | None:
        return float(exc.retry_after) if isinstance(exc, TelegramRetryAfter) else None

    def delivery_error(self, exc: BaseException, chat_id: str) -> DeliveryError:
        if isinstance(exc, TelegramMigrateToChat):
            return DeliveryError(
                str(exc),
                chat_id=chat_id,
                permanent=True,
                migrate_to_chat_id=str(exc.migrate_to_chat_id),
            )
        permanent = isinstance(
            exc,
            TelegramForbiddenError
            | TelegramBadRequest
            | TelegramNotFound
            | TelegramUnauthorizedError,
        )
        return DeliveryError(str(exc), chat_id=chat_id, permanent=permanent)
