"""The seam between the outbox sender and the channels: how a push is delivered and how it went.

Each channel (Telegram, WeChat, ...) offers a `ChannelSender`. The sender drains the outbox and
hands each row's payload (an `Outbound` in JSON form) to the channel of that row; the result
tells it what to do with the row.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from handlers.conversation.messages import Outbound


class DeliveryStatus(StrEnum):
    SENT = "sent"  # done: mark the row sent
    RETRY = "retry"  # a passing failure (429, network): try again after `retry_after` seconds
    HOLD = "hold"  # cannot be sent now (WeChat 48-hour window closed): keep until the person writes
    FAILED = "failed"  # permanent (blocked the bot, chat gone): dead-letter with the reason


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    status: DeliveryStatus
    retry_after: float | None = None
    reason: str | None = None

    @classmethod
    def sent(cls) -> DeliveryResult:
        return cls(DeliveryStatus.SENT)


class ChannelSender(Protocol):
    """Delivers one push to one recipient of its channel; never raises for platform errors."""

    @property
    def channel(self) -> str: ...

    async def deliver(self, recipient: str, message: Outbound) -> DeliveryResult: ...
