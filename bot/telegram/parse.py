"""Telegram update -> `Inbound`, shared by both adapters.

aiogram and python-telegram-bot both mirror the Bot API's field names (`from_user`, `chat.id`,
`photo`, `location`, `data`...), so one parser over small structural protocols serves both and
guarantees they map updates identically.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol

from handlers.conversation.messages import Channel, Inbound, Location

# Message kinds a person can send that the hotline does not take; the core answers them politely.
# Checked in this order: an animation also carries `document`, so it must come first.
UNSUPPORTED_KINDS = (
    "sticker",
    "voice",
    "video_note",
    "video",
    "animation",
    "audio",
    "document",
    "contact",
    "poll",
    "dice",
    "game",
    "story",
    "paid_media",
    "invoice",
)
EDITED = "edited_message"


class _User(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def is_bot(self) -> bool: ...
    @property
    def full_name(self) -> str: ...


class _Chat(Protocol):
    @property
    def id(self) -> int: ...


class _PhotoSize(Protocol):
    @property
    def file_id(self) -> str: ...
    @property
    def width(self) -> int: ...
    @property
    def height(self) -> int: ...


class _Location(Protocol):
    @property
    def latitude(self) -> float: ...
    @property
    def longitude(self) -> float: ...


class MessageLike(Protocol):
    """The parts of a Telegram Message the hotline reads (aiogram's and ptb's both fit)."""

    @property
    def from_user(self) -> _User | None: ...
    @property
    def chat(self) -> _Chat: ...
    @property
    def text(self) -> str | None: ...
    @property
    def caption(self) -> str | None: ...
    @property
    def photo(self) -> Sequence[_PhotoSize] | None: ...
    @property
    def location(self) -> _Location | None: ...


class _CallbackMessage(Protocol):
    @property
    def chat(self) -> _Chat: ...


class CallbackQueryLike(Protocol):
    """The parts of a CallbackQuery the hotline reads."""

    @property
    def from_user(self) -> _User: ...
    @property
    def data(self) -> str | None: ...
    @property
    def message(self) -> _CallbackMessage | None: ...


def inbound_from_message(update_id: int, message: MessageLike, *, edited: bool) -> Inbound | None:
    """Map a message (or an edit of one) to an `Inbound`; None for what nobody should answer:
    service messages (someone joined a group, a pin...), channel posts, other bots."""
    user = message.from_user
    if user is None or user.is_bot:
        return None
    base = Inbound(
        channel=Channel.TELEGRAM.value,
        user_id=str(user.id),
        message_id=str(update_id),
        chat_id=str(message.chat.id),
        display_name=user.full_name or None,
    )
    if edited:
        # An edit would change a message the core has already acted on; it is answered, not applied.
        return replace(base, unsupported=EDITED)
    if message.photo:
        # Telegram sends several sizes of one picture; keep the largest for staff to look at.
        largest = max(message.photo, key=lambda size: size.width * size.height)
        return replace(base, photo=largest.file_id, text=message.caption)
    if message.location is not None:
        # A venue carries a location too, so it lands here as well.
        point = Location(message.location.latitude, message.location.longitude)
        return replace(base, location=point)
    if message.text is not None:
        return replace(base, text=message.text)
    for kind in UNSUPPORTED_KINDS:
        if getattr(message, kind, None):
            return replace(base, unsupported=kind)
    return None


def inbound_from_callback(update_id: int, query: CallbackQueryLike) -> Inbound | None:
    """Map a pressed inline button to an `Inbound` with `choice` = its callback_data.

    The payload comes from the client and is not trusted (design.md §6): the core checks it.
    """
    if query.data is None:  # game buttons carry no data
        return None
    user = query.from_user
    # Buttons under inline-mode messages have no message; the reply then goes to the presser.
    chat_id = query.message.chat.id if query.message is not None else user.id
    return Inbound(
        channel=Channel.TELEGRAM.value,
        user_id=str(user.id),
        message_id=str(update_id),
        choice=query.data,
        chat_id=str(chat_id),
        display_name=user.full_name or None,
    )
