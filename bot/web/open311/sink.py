"""The outbox sender of channel "open311": an API client follows its requests by GET, so a
push to it (the unit's reply, the result) has nowhere to go and is recorded as delivered.
Without it those rows would wait in the outbox for a channel that never runs."""

from __future__ import annotations

from bot.delivery import DeliveryResult
from handlers.conversation.messages import Outbound


class Open311Sink:
    channel = "open311"

    async def deliver(self, recipient: str, message: Outbound) -> DeliveryResult:
        return DeliveryResult.sent()
