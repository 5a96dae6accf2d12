"""Telegram through python-telegram-bot 22: parse -> core -> render, nothing else.

Quirks this shape follows (reference/platforms.md):
* a custom server is `.base_url(f"{base}/bot").base_file_url(f"{base}/file/bot")`;
* never `run_polling()`/`run_webhook()`: they own the event loop. We use
  `initialize(); start()` and the reverse on stop;
* no `Updater`: its `start_polling` confirms a batch (the next getUpdates carries the new
  offset) as soon as it is queued, before `process_update` has handled it, so a crash drops it.
  We poll with ptb's own `Bot.get_updates` in bot.telegram.polling, which confirms a batch only
  after `Application.process_update` has returned for each update of it (issue 9);
* no `AIORateLimiter`: it has no per-private-chat limit and one RetryAfter pauses every request;
  `OutboundThrottle` does the limiting instead;
* its built-in webhook server needs tornado and answers 200 *before* the handler runs, so a
  crash would lose the update. We serve the webhook with aiohttp ourselves, check the secret,
  and answer 200 only after `process_update` returns.
"""

from __future__ import annotations

import datetime as dt
import logging
import warnings
from typing import Unpack

from aiohttp import web
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Update,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    RetryAfter,
)
from telegram.ext import Application, ContextTypes, TypeHandler
from telegram.warnings import PTBDeprecationWarning

from bot.config import TelegramSettings
from bot.telegram.base import (
    ALLOWED_UPDATES,
    ChannelOptions,
    TelegramChannelBase,
)
from bot.telegram.parse import inbound_from_message
from bot.telegram.render import AlbumStep, Keyboard, PhotoStep, TextStep, button_rows
from bot.telegram.types import ConversationCore

log = logging.getLogger(__name__)

# Updates handled at once; one person's updates still take turns (CoreBridge's lock).
CONCURRENT_UPDATES = 256


def _markup(keyboard: Keyboard) -> InlineKeyboardMarkup | None:
    # ptb takes the label positionally and the rows as the first argument.
    rows = button_rows(
        keyboard, lambda label, data: InlineKeyboardButton(label, callback_data=data)
    )
    return InlineKeyboardMarkup(rows) if rows else None


class PtbChannel(TelegramChannelBase):
    """The hotline bot on python-telegram-bot, by long polling or webhook."""

    def __init__(
        self, settings: TelegramSettings, core: ConversationCore, **options: Unpack[ChannelOptions]
    ) -> None:
        super().__init__(settings, core, **options)
        base = settings.api_base_url.rstrip("/")
        self.application = (
            Application.builder()
            .token(self.token)
            .base_url(f"{base}/bot")
            .base_file_url(f"{base}/file/bot")
            .concurrent_updates(CONCURRENT_UPDATES)
            .updater(None)
            .build()
        )
        self.application.add_handler(TypeHandler(Update, self._on_update))

    async def _on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.callback_query is not None:
            await self.on_callback(update.update_id, update.callback_query)
            return
        if update.message is not None:
            inbound = inbound_from_message(update.update_id, update.message, edited=False)
        elif update.edited_message is not None:
            inbound = inbound_from_message(update.update_id, update.edited_message, edited=True)
        else:
            return
        if inbound is not None:
            await self.bridge.handle(inbound)

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Start polling in the background, or serve the webhook and register it."""
        await self.application.initialize()
        await self.application.start()
        await self.start_receiving()

    async def get_updates(self, offset: int | None) -> tuple[Update, ...]:
        # ptb adds the long-poll timeout to the read timeout itself.
        return await self.application.bot.get_updates(
            offset=offset,
            timeout=dt.timedelta(seconds=self._poll_timeout),
            allowed_updates=ALLOWED_UPDATES,
        )

    async def feed_update(self, update: Update) -> None:
        # The handler is blocking (ptb's default), so this returns once it has finished.
        await self.application.process_update(update)

    async def delete_webhook(self) -> None:
        await self.application.bot.delete_webhook(drop_pending_updates=False)

    async def set_webhook(self, url: str, secret: str | None) -> None:
        await self.application.bot.set_webhook(
            url, secret_token=secret, allowed_updates=ALLOWED_UPDATES
        )

    def webhook_app(self) -> web.Application:
        app = web.Application()
        app.router.add_post(self.settings.webhook_path, self._on_webhook)
        return app

    async def _on_webhook(self, request: web.Request) -> web.Response:
        if not self.webhook_secret_ok(request):
            log.warning("telegram: webhook call with a wrong secret from %s", request.remote)
            return web.Response(status=401, text="Unauthorized")
        try:
            data = await request.json()
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("no update_id")
            update = Update.de_json(data, self.application.bot)
        except Exception:  # not JSON, or not an update: Telegram would never send that
            log.warning("telegram: webhook body is not an update")
            return web.Response(status=400, text="Bad Request")
        await self.feed_update(update)
        return web.Response(status=200)

    async def stop(self) -> None:
        """Stop receiving, finish handlers, close the HTTP session."""
        await self.stop_receiving()
        app = self.application
        if app.running:
            await app.stop()
        await app.shutdown()

    # -- sending ---------------------------------------------------------------------------

    async def send_text(self, chat_id: str, step: TextStep) -> str:
        sent = await self.application.bot.send_message(
            chat_id, step.text, reply_markup=_markup(step.keyboard)
        )
        return str(sent.message_id)

    async def send_photo(self, chat_id: str, step: PhotoStep) -> str:
        # A Telegram file_id goes as it is; a media-store photo as a file upload (bytes).
        upload = await self.photo_upload(step.photo, chat_id)
        sent = await self.application.bot.send_photo(
            chat_id,
            step.photo if upload is None else upload[1],
            caption=step.caption,
            reply_markup=_markup(step.keyboard),
            filename=None if upload is None else upload[0],
        )
        return str(sent.message_id)

    async def send_album(self, chat_id: str, step: AlbumStep) -> list[str]:
        media = []
        for i, photo in enumerate(step.photos):
            upload = await self.photo_upload(photo, chat_id)
            media.append(
                InputMediaPhoto(
                    photo if upload is None else upload[1],
                    caption=step.caption if i == 0 else None,
                    filename=None if upload is None else upload[0],
                )
            )
        sent = await self.application.bot.send_media_group(chat_id, media)
        return [str(m.message_id) for m in sent]

    def retry_after_of(self, exc: BaseException) -> float | None:
        if not isinstance(exc, RetryAfter):
            return None
        # ptb 22 is moving retry_after from int to timedelta and warns on every read until
        # PTB_TIMEDELTA is set; accept either and keep the warning out of the logs.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PTBDeprecationWarning)
            value = exc.retry_after
        return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)

    def migrated_to(self, exc: BaseException) -> str | None:
        return str(exc.new_chat_id) if isinstance(exc, ChatMigrated) else None

    def is_permanent(self, exc: BaseException) -> bool:
        # BadRequest is a subclass of NetworkError in ptb, so it is tested for explicitly.
        return isinstance(exc, Forbidden | BadRequest | InvalidToken | EndPointNotFound)
