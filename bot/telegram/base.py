"""What both adapters share: sending through the throttle, photos from the media store,
receiving (confirming long polling or the webhook HTTP server) and pressed buttons."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import re
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol, TypedDict, Unpack

from aiohttp import web

from bot.config import TelegramSettings
from bot.telegram.bridge import CoreBridge
from bot.telegram.callbacks import CallbackAnswer
from bot.telegram.parse import CallbackQueryLike, inbound_from_callback
from bot.telegram.polling import ConfirmingPoller
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


class PressedButton(CallbackQueryLike, Protocol):
    """A CallbackQuery of either library: what the core reads, and how to answer it."""

    def answer(self, *args: Any, **kwargs: Any) -> Any: ...


class ChannelOptions(TypedDict, total=False):
    """What a channel takes besides its settings and core (see `create_telegram_channel`)."""

    limits: RateLimits | None
    poll_timeout: int
    media: MediaStore | None
    spool: ReplySpool | None
    limiter: SlotLimiter | None


class TelegramChannelBase(ABC):
    """Common half of an adapter: the core bridge, `send` (plan -> throttle -> library) and
    receiving updates.

    A subclass supplies the library calls for each planned step, reads its library's 429
    exception, classifies its other exceptions into `DeliveryError`, and gives the library's
    getUpdates, update dispatch and webhook calls.
    """

    def __init__(
        self, settings: TelegramSettings, core: ConversationCore, **options: Unpack[ChannelOptions]
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
        self._poll_timeout = options.get("poll_timeout", 30)
        self._media = options.get("media")
        self.bridge = CoreBridge(
            core,
            self.send,
            spool=options.get("spool"),
            retry_seconds=settings.reply_retry_seconds,
        )
        self.throttle = OutboundThrottle(
            self.retry_after_of, options.get("limits"), limiter=options.get("limiter")
        )
        self._poller: ConfirmingPoller[Any] | None = None
        self._polling: asyncio.Task[None] | None = None
        self._site: WebhookSite | None = None

    # -- receiving ---------------------------------------------------------------------------

    @property
    def webhook_port(self) -> int | None:
        """The port the webhook server listens on (useful when configured as 0)."""
        return self._site.port if self._site else None

    async def start_receiving(self) -> None:
        """Serve the webhook and register it, or start confirming long polling in a task."""
        if self.mode == "webhook":
            self._site = WebhookSite(
                self.webhook_app(), self.settings.webhook_listen, self.settings.webhook_port
            )
            await self._site.start()
            assert self.settings.webhook_url is not None
            await self.set_webhook(self.settings.webhook_url, self._webhook_secret)
            return
        # getUpdates answers 409 Conflict while a webhook is set (one left behind, say).
        await self.delete_webhook()
        # Our own loop, not the library's: it confirms an update only once handled.
        self._poller = ConfirmingPoller(self.get_updates, self.feed_update)
        self._polling = asyncio.create_task(self._poller.run(), name="telegram-polling")

    def webhook_secret_ok(self, request: web.Request) -> bool:
        """The request carries the webhook's secret header (compared in constant time)."""
        assert self._webhook_secret is not None
        given = request.headers.get(SECRET_HEADER, "").encode()
        return hmac.compare_digest(given, self._webhook_secret.encode())

    async def stop_receiving(self) -> None:
        """Let the batch being handled finish, drop the long poll, stop the webhook server,
        then let running turns finish (replies may still wait in the throttle)."""
        if self._poller is not None and self._polling is not None:
            self._poller.stop()
            with contextlib.suppress(asyncio.CancelledError):
                await self._polling
        self._poller = self._polling = None
        if self._site is not None:
            await self._site.stop()
            self._site = None
        await self.bridge.drain(DRAIN_TIMEOUT)

    async def on_callback(self, update_id: int, query: PressedButton) -> None:
        """A pressed button: the core's notices become its pop-up answer, given once handled."""
        answer = CallbackAnswer(query.answer)
        inbound = inbound_from_callback(update_id, query)
        if inbound is not None:
            await self.bridge.handle(inbound, notice=answer.notice)
        await answer.finish()

    @abstractmethod
    async def get_updates(self, offset: int | None) -> Sequence[Any]:
        """One long poll (getUpdates) confirming everything below `offset`."""

    @abstractmethod
    async def feed_update(self, update: Any) -> None:
        """Dispatch one update to the handlers; returns once they have finished."""

    @abstractmethod
    async def delete_webhook(self) -> None:
        """deleteWebhook, keeping pending updates."""

    @abstractmethod
    async def set_webhook(self, url: str, secret: str | None) -> None:
        """setWebhook with the secret and ALLOWED_UPDATES."""

    @abstractmethod
    def webhook_app(self) -> web.Application:
        """The aiohttp application that receives the webhook's POSTs."""

    # -- sending -----------------------------------------------------------------------------

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

    def delivery_error(self, exc: BaseException, chat_id: str) -> DeliveryError:
        """The library's exception as a `DeliveryError` (permanent or worth retrying)."""
        migrated = self.migrated_to(exc)
        if migrated is not None:
            return DeliveryError(
                str(exc), chat_id=chat_id, permanent=True, migrate_to_chat_id=migrated
            )
        return DeliveryError(str(exc), chat_id=chat_id, permanent=self.is_permanent(exc))

    @abstractmethod
    def migrated_to(self, exc: BaseException) -> str | None:
        """The group's new chat id if `exc` says it became a supergroup, else None."""

    @abstractmethod
    def is_permanent(self, exc: BaseException) -> bool:
        """Whether retrying cannot help (blocked, bad request, unknown chat, bad token)."""


def _cost(step: Step) -> int:
    # An album is one request but Telegram counts every photo in it as a message.
    return len(step.photos) if isinstance(step, AlbumStep) else 1
