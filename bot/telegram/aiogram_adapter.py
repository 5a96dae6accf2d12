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

import json
import logging
from typing import Unpack

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
from aiogram.methods import GetUpdates
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
    SECRET_HEADER,
    ChannelOptions,
    TelegramChannelBase,
)
from bot.telegram.parse import inbound_from_message
from bot.telegram.render import AlbumStep, Keyboard, PhotoStep, TextStep, button_rows
from bot.telegram.types import ConversationCore

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


def _button(label: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=label, callback_data=data)


def _markup(keyboard: Keyboard) -> InlineKeyboardMarkup | None:
    return (
        InlineKeyboardMarkup(inline_keyboard=button_rows(keyboard, _button)) if keyboard else None
    )


class AiogramChannel(TelegramChannelBase):
    """The hotline bot on aiogram, by long polling or webhook."""

    def __init__(
        self, settings: TelegramSettings, core: ConversationCore, **options: Unpack[ChannelOptions]
    ) -> None:
        super().__init__(settings, core, **options)
        session = AiohttpSession(api=TelegramAPIServer.from_base(settings.api_base_url))
        self.bot = Bot(self.token, session=session)
        self.dispatcher = Dispatcher()
        self.dispatcher.include_router(self._router())

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
        await self.on_callback(event_update.update_id, callback_query)

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Start polling as a background task, or serve the webhook and register it."""
        try:
            await self.start_receiving()
        except BaseException:
            # An unreachable Bot API or a refused token: close the HTTP session we opened, so
            # the CLI's one-line error is not followed by "Unclosed client session".
            await self.bot.session.close()
            raise

    async def get_updates(self, offset: int | None) -> list[Update]:
        method = GetUpdates(
            offset=offset, timeout=self._poll_timeout, allowed_updates=ALLOWED_UPDATES
        )
        return await self.bot(method, request_timeout=self._poll_timeout + 30)

    async def feed_update(self, update: Update) -> None:
        await self.dispatcher.feed_update(self.bot, update)

    async def delete_webhook(self) -> None:
        # start_polling would not do this for us (unlike python-telegram-bot's).
        await self.bot.delete_webhook(drop_pending_updates=False)

    async def set_webhook(self, url: str, secret: str | None) -> None:
        await self.bot.set_webhook(url, secret_token=secret, allowed_updates=ALLOWED_UPDATES)

    def webhook_app(self) -> web.Application:
        app = web.Application()
        _CheckedRequestHandler(
            self.dispatcher,
            self.bot,
            handle_in_background=False,
            secret_token=self._webhook_secret,
        ).register(app, path=self.settings.webhook_path)
        return app

    async def stop(self) -> None:
        """Stop receiving, let running turns finish, then close the bot's HTTP session."""
        await self.stop_receiving()
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

    def migrated_to(self, exc: BaseException) -> str | None:
        return str(exc.migrate_to_chat_id) if isinstance(exc, TelegramMigrateToChat) else None

    def is_permanent(self, exc: BaseException) -> bool:
        return isinstance(
            exc,
            TelegramForbiddenError
            | TelegramBadRequest
            | TelegramNotFound
            | TelegramUnauthorizedError,
        )
