"""Build the Telegram channel the configuration asks for (`[telegram] framework`)."""

from __future__ import annotations

from typing import Unpack

from bot.config import TelegramSettings
from bot.telegram.base import ChannelOptions, TelegramChannelBase
from bot.telegram.types import ConversationCore, TelegramChannel


def create_telegram_channel(
    settings: TelegramSettings, core: ConversationCore, **options: Unpack[ChannelOptions]
) -> TelegramChannel:
    """An unstarted channel on aiogram or python-telegram-bot, same behaviour either way.

    `limits` defaults to Telegram's published limits; tests pass faster ones. `poll_timeout` is
    the getUpdates long-poll in seconds (stop() may wait up to that long on aiogram).
    `media` is where photos referenced as "media:..." (one sent on WeChat) are read to upload.
    `spool` keeps replies that cannot be sent in the outbox (issue 9); `limiter` counts the rate
    limits somewhere shared (Redis) instead of in this process.
    Raises ValueError when the token is missing or webhook mode lacks its URL or secret.
    """
    # Imported here so a deployment on one framework never imports the other.
    channel: type[TelegramChannelBase]
    if settings.framework == "ptb":
        from bot.telegram.ptb_adapter import PtbChannel

        channel = PtbChannel
    else:
        from bot.telegram.aiogram_adapter import AiogramChannel

        channel = AiogramChannel
    return channel(settings, core, **options)
