"""What both adapters share: sending through the throttle, photos from the media store, and
the webhook HTTP server."""

from __future__ import annotations

import asyncio
import logging
import re
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.config import TelegramSettings
from bot.telegram.bridge import CoreBridge
from bot.telegram.render import AlbumStep, PhotoStep, Step, TextStep, plan
from bot.telegram.replyspool import ReplySpool
from bot.telegram.throttle import OutboundThrottle, RateLimits, SlotLimiter
from bot.telegram.types import ConversationCore, DeliveryError, SentResult
from handlers.conversation.messages import Outbound
from storage.media import MediaMissing, MediaStore, image_type, is_media_ref

log = logging.getLogger(__name__)

# Only these update types reach the bot; anything else (member changes, reactions...) is not
# fetched at all. Passed to getUpdates and setWebhook.
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]

# How long stop() lets running conversation turns finish (replies may wait in the throttle).
DRAIN_TIMEOUT = 30.0

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name, not a secret)
# https://core.telegram.org/bots/api#setwebhook: secret_token is 1-256 of A-Z a-z 0-9 _ -
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def check_webhook_secret(secret: str | None) -> str:
    """A webhook without a secret would accept forged updates from anyone (design.md §6)."""
    if not secret or not _SECRET_RE.fullmatch(secret):
        raise ValueError(
            "telegram webhook mode needs webhook_secret: 1-256 characters of A-Z a-z 0-9 _ -"
        )
    return secret


class WebhookSite:
    """An aiohttp server on (listen, port) for one webhook route; port 0 picks a free port."""

    def __init__(self, app: web.Application, listen: str, port: int) -> None:
        self._runner = web.AppRunner(app)
        self._listen = listen
        self._port = port
        self.port: int | None = None

    async def start(self) -> None:
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._listen, self._port)
        await site.start()
        addresses = self._runner.addresses
        self.port = int(addresses[0][1]) if addresses else self._port

    async def stop(self) -> None:
        await self._runner.cleanup()


class TelegramChannelBase(ABC):
    """Common half of an adapter: the core bridge and `send` (plan -> throttle -> library).

    A subclass supplies the library calls for each planned step, reads its library's 429
    exception, and classifies its other exceptions into `DeliveryError`.
    """

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
        if settings.token is None or not settings.token.get_secret_value():
            raise ValueError(
                "telegram token is not set ([telegram] token or HOTLINE_TELEGRAM_TOKEN)"
            )
        self.settings = settings
        self.token = settings.token.get_secret_value()
        self.mode = settings.mode
        self._webhook_secret: str | None = None
        if self.mode == "webhook":
            if not settings.webhook_url:
                raise ValueError("telegram webhook mode needs webhook_url (the public https URL)")
            secret = settings.webhook_secret
            self._webhook_secret = check_webhook_secret(
                secret.get_secret_value() if secret else None
            )
        self._poll_timeout = poll_timeout
        self._media = media
        self.bridge = CoreBridge(
            core, self.send, spool=spool, retry_seconds=settings.reply_retry_seconds
        )
        self.throttle = OutboundThrottle(self.retry_after_of, limits, limiter=limiter)

    async def send(self, chat_id: str, outbound: Outbound) -> SentResult:
        """Show `outbound` in `chat_id`; raises `DeliveryError` (logged) if any part fails."""
        sent: list[str] = []
        for step in plan(outbound):
            try:
                ids = await self.throttle.call(
                    chat_id, self._step_call(chat_id, step), cost=_cost(step)
                )
            except DeliveryError as exc:
                exc.sent_message_ids = tuple(sent)
                raise
            except Exception as exc:
                error = self.delivery_error(exc, chat_id)
                error.sent_message_ids = tuple(sent)
                log.error(
                    "telegram: sending to chat %s failed after %d part(s), permanent=%s: %r",
                    chat_id,
                    len(sent),
                    error.permanent,
                    exc,
                )
                raise error from exc
            sent.extend(ids)
        return SentResult(chat_id, tuple(sent))

    def _step_call(self, chat_id: str, step: Step) -> Callable[[], Awaitable[list[str]]]:
        async def call() -> list[str]:
            if isinstance(step, TextStep):
                return [await self.send_text(chat_id, step)]
            if isinstance(step, PhotoStep):
                return [await self.send_photo(chat_id, step)]
            return await self.send_album(chat_id, step)

        return call

    async def photo_upload(self, photo: str, chat_id: str) -> tuple[str, bytes] | None:
        """(file name, bytes) to upload for a media-store reference; None for a Telegram file_id,
        which goes as it is. Raises a permanent `DeliveryError` if the stored file is gone, so
        the outbox's Telegram sender shows the card without its photos."""
        if not is_media_ref(photo):
            return None
        if self._media is None:
            raise DeliveryError(
                f"photo {photo}: no media store configured", chat_id=chat_id, permanent=True
            )
        try:
            # A file read blocks; other chats' sends go on meanwhile.
            data = await asyncio.to_thread(self._media.open, photo)
        except (MediaMissing, OSError) as exc:
            raise DeliveryError(f"photo {photo}: {exc}", chat_id=chat_id, permanent=True) from exc
        name = photo.removeprefix("media:")[:16]
        return f"{name}.{image_type(data) or 'jpg'}", data

    @abstractmethod
    async def send_text(self, chat_id: str, step: TextStep) -> str:
        """sendMessage; returns the new message id."""

    @abstractmethod
    async def send_photo(self, chat_id: str, step: PhotoStep) -> str:
        """sendPhoto; returns the new message id."""

    @abstractmethod
    async def send_album(self, chat_id: str, step: AlbumStep) -> list[str]:
        """sendMediaGroup; returns the new message ids."""

    @abstractmethod
    def retry_after_of(self, exc: BaseException) -> float | None:
        """Seconds to wait if `exc` is the library's 429 exception, else None."""

    @abstractmethod
    def delivery_error(self, exc: BaseException, chat_id: str) -> DeliveryError:
        """The library's exception as a `DeliveryError` (permanent or worth retrying)."""


def _cost(step: Step) -> int:
    # An album is one request but Telegram counts every photo in it as a message.
    return len(step.photos) if isinstance(step, AlbumStep) else 1
