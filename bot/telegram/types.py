"""The seams of the Telegram channel: what it needs from the core and what it offers the app."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from handlers.conversation.messages import Inbound, Outbound


class ConversationCore(Protocol):
    """The transport-free conversation core: one inbound message in, the replies out."""

    async def handle(self, inbound: Inbound) -> list[Outbound]: ...


@dataclass(frozen=True, slots=True)
class SentResult:
    """What one `Outbound` became in Telegram: the chat and the ids of the messages it took."""

    chat_id: str
    message_ids: tuple[str, ...]


class DeliveryError(Exception):
    """An `Outbound` could not be (fully) delivered; raised after logging, never swallowed.

    `permanent` means retrying will not help (bot blocked, chat gone, bad request);
    otherwise the outbox may try again later, after `retry_after` seconds when Telegram said so.
    `sent_message_ids` lists the parts already delivered (a long text is several messages), so a
    retry can tell what the person has already seen. `migrate_to_chat_id` is set when a group was
    upgraded to a supergroup and now has a new id.
    """

    def __init__(
        self,
        message: str,
        *,
        chat_id: str,
        permanent: bool,
        retry_after: float | None = None,
        sent_message_ids: tuple[str, ...] = (),
        migrate_to_chat_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.chat_id = chat_id
        self.permanent = permanent
        self.retry_after = retry_after
        self.sent_message_ids = sent_message_ids
        self.migrate_to_chat_id = migrate_to_chat_id


class TelegramChannel(Protocol):
    """A running Telegram bot on either framework, as the composition root sees it."""

    async def start(self) -> None:
        """Connect, then receive updates (long polling or webhook) in the current event loop."""

    async def stop(self) -> None:
        """Stop receiving, finish in-flight handlers, close the HTTP session."""

    async def send(self, chat_id: str, outbound: Outbound) -> SentResult:
        """Push one message to any chat (outbox sender), through the rate limiter."""
