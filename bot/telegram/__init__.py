"""The Telegram channel: aiogram or python-telegram-bot adapters over the conversation core.

Public API: `create_telegram_channel(settings, core)` -> `TelegramChannel` with `start()`,
`stop()` and `send(chat_id, outbound) -> SentResult`; `ConversationCore` is what it needs from
the core; `DeliveryError` is raised (after logging) when a message cannot be delivered.
The adapters themselves live in `aiogram_adapter` and `ptb_adapter` and are imported lazily.
"""

from bot.telegram.factory import create_telegram_channel
from bot.telegram.throttle import OutboundThrottle, RateLimits
from bot.telegram.types import ConversationCore, DeliveryError, SentResult, TelegramChannel

__all__ = [
    "ConversationCore",
    "DeliveryError",
    "OutboundThrottle",
    "RateLimits",
    "SentResult",
    "TelegramChannel",
    "create_telegram_channel",
]
