"""Build the Telegram channel the configuration asks for (`[telegram] framework`)."""

from __future__ import annotations

from bot.config import TelegramSettings
from bot.telegram.replyspool import ReplySpool
from bot.telegram.throttle import RateLimits, SlotLimiter
from bot.telegram.types import ConversationCore, TelegramChannel
from storage.media import MediaStore


def create_telegram_channel(
    settings: TelegramSettings,
    core: ConversationCore,
    *,
    limits: RateLimits | None = None,
    poll_timeout: int = 30,
    media: MediaStore | None = None,
    spool: ReplySpool | None = None,
    limiter: SlotLimiter | None = None,
) -> TelegramChannel:
    """An unstarted channel on aiogram or python-telegram-bot, same behaviour either way.

    `limits` defaults to Telegram's published limits; tests pass faster ones. `poll_timeout` is
    the getUpdates long-poll in seconds (stop() may wait up to that long on aiogram).
    `media` is where photos referenced as "media:..." (one sent on WeChat) are read to upload.
    `spool` keeps replies that cannot be sent in the outbox (issue 9); `limiter` counts the rate
    limits somewhere shared (Redis) instead of in this process.
    Raises ValueError when the token is missing or webhook mode lacks its URL or secret.
    """
    if settings.framework == "ptb":
        # Imported here so a deployment on one framework never imports the other.
        from bot.telegram.ptb_adapter import PtbChannel

        return PtbChannel(
            settings,
            core,
            limits=limits,
            poll_timeout=poll_timeout,
            media=media,
            spool=spool,
            limiter=limiter,
        )
    from bot.telegram.aiogram_adapter import AiogramChannel

    return AiogramChannel(
        settings,
        core,
        limits=limits,
        poll_timeout=poll_timeout,
        media=media,
        spool=spool,
        limiter=limiter,
    )
