"""The Telegram `ChannelSender`: how the outbox sender pushes through a running bot."""

from __future__ import annotations

import dataclasses
import logging

from bot.delivery import DeliveryResult, DeliveryStatus
from bot.telegram.types import DeliveryError, TelegramChannel
from handlers.conversation.messages import Outbound

log = logging.getLogger(__name__)


class TelegramSender:
    """Delivers outbox pushes through the channel's throttled `send` (rate limits, 429s)."""

    channel = "telegram"

    def __init__(self, telegram: TelegramChannel) -> None:
        self._telegram = telegram

    async def deliver(self, recipient: str, message: Outbound) -> DeliveryResult:
        try:
            await self._telegram.send(recipient, message)
        except DeliveryError as error:
            if error.permanent and message.photos and not error.sent_message_ids:
                # Photos Telegram refuses (a WeChat media id kept when its download failed, a
                # file gone from Telegram or from the media store): the text and buttons still
                # go, the text says how many photos.
                log.warning(
                    "telegram push to %s: photos refused, sent without: %s", recipient, error
                )
                return await self.deliver(recipient, dataclasses.replace(message, photos=()))
            if error.sent_message_ids:
                # Part of a long message went out; a retry repeats those parts. Rare (a 429
                # storm outlasting the throttle's own retries), and better than losing the rest.
                log.warning("telegram push to %s partly sent before failing", recipient)
            if error.permanent:
                return DeliveryResult(DeliveryStatus.FAILED, reason=str(error))
            return DeliveryResult(
                DeliveryStatus.RETRY, retry_after=error.retry_after, reason=str(error)
            )
        except (OSError, TimeoutError) as error:
            return DeliveryResult(DeliveryStatus.RETRY, reason=f"network: {error}")
        return DeliveryResult.sent()
