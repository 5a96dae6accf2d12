"""Which `ChannelSender` delivers each channel's outbox rows.

Channel adapters register themselves at start-up (`app.senders.register(channel)`); the sender
only claims rows of registered channels, so rows of a channel that is not running here wait in
the outbox for an instance that runs it instead of failing.
"""

from __future__ import annotations

from bot.delivery import ChannelSender


class SenderRegistry:
    """Channel name → its sender; one per channel."""

    def __init__(self) -> None:
        self._senders: dict[str, ChannelSender] = {}

    def register(self, sender: ChannelSender) -> None:
        if sender.channel in self._senders and self._senders[sender.channel] is not sender:
            raise ValueError(f"a sender for channel {sender.channel!r} is already registered")
        self._senders[sender.channel] = sender

    def unregister(self, channel: str) -> None:
        self._senders.pop(channel, None)

    def get(self, channel: str) -> ChannelSender | None:
        return self._senders.get(channel)

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(sorted(self._senders))

    def __bool__(self) -> bool:
        return bool(self._senders)
