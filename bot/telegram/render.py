"""How an `Outbound` becomes Telegram messages, independent of the client library.

Limits (https://core.telegram.org/bots/api#sendmessage, #sendphoto, #inlinekeyboardbutton):
text 4096 characters, caption 1024, callback_data 1-64 bytes, an album 2-10 photos and no
keyboard. Telegram counts characters in UTF-16 code units, so an emoji counts twice.
Each adapter executes the planned steps with its own library.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from handlers.conversation.messages import Outbound

log = logging.getLogger(__name__)

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
ALBUM_LIMIT = 10

# Where a long text may be cut, best first: paragraph, Chinese/Western sentence end, space.
_SENTENCE_ENDS = "。！？；!?;"

Keyboard = tuple[tuple[tuple[str, str], ...], ...]
"""Rows of (label, callback_data) pairs, already checked against Telegram's limits."""

B = TypeVar("B")


def button_rows(keyboard: Keyboard, button: Callable[[str, str], B]) -> list[list[B]]:
    """The keyboard as rows of a library's button objects, `button(label, callback_data)`."""
    return [[button(label, data) for label, data in row] for row in keyboard]


@dataclass(frozen=True, slots=True)
class TextStep:
    """sendMessage."""

    text: str
    keyboard: Keyboard = ()


@dataclass(frozen=True, slots=True)
class PhotoStep:
    """sendPhoto with an optional caption and keyboard."""

    photo: str
    caption: str | None = None
    keyboard: Keyboard = ()


@dataclass(frozen=True, slots=True)
class AlbumStep:
    """sendMediaGroup of 2-10 photos; the caption goes on the first (albums take no keyboard)."""

    photos: tuple[str, ...]
    caption: str | None = None


Step = TextStep | PhotoStep | AlbumStep


def utf16_len(text: str) -> int:
    """Length as Telegram counts it."""
    return len(text.encode("utf-16-le")) // 2


def _prefix_fitting(text: str, limit: int) -> int:
    """The number of characters of `text` whose UTF-16 length is at most `limit`."""
    units = 0
    for i, ch in enumerate(text):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > limit:
            return i
    return len(text)


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Cut `text` into parts of at most `limit` UTF-16 units, at a newline when one is in the
    second half of the part, else after a sentence end or at a space, else anywhere.
    Blank parts are dropped (Telegram rejects an empty message)."""
    parts: list[str] = []
    rest = text
    while utf16_len(rest) > limit:
        cut = _prefix_fitting(rest, limit)
        window = rest[:cut]
        newline = window.rfind("\n")
        if newline >= cut // 2:
            parts.append(window[:newline])
            rest = rest[newline + 1 :]
            continue
        sentence_end = max(window.rfind(ch) for ch in _SENTENCE_ENDS)
        if sentence_end >= cut // 2:
            parts.append(window[: sentence_end + 1])
            rest = rest[sentence_end + 1 :]
            continue
        space = window.rfind(" ")
        if space >= cut // 2:
            parts.append(window[:space])
            rest = rest[space + 1 :]
            continue
        parts.append(window)
        rest = rest[cut:]
    parts.append(rest)
    return [p for p in parts if p.strip()]


def build_keyboard(outbound: Outbound) -> Keyboard:
    """The outbound's buttons, minus any whose payload Telegram would refuse.

    A payload over 64 bytes (about 21 Chinese characters) is a bug in the core; dropping that one
    button with an error in the log keeps the rest of the message (aiogram's CallbackData.pack()
    would raise, and the Bot API answers 400 BUTTON_DATA_INVALID for the whole message).
    """
    rows: list[tuple[tuple[str, str], ...]] = []
    for row in outbound.buttons:
        kept: list[tuple[str, str]] = []
        for button in row:
            size = len(button.payload.encode("utf-8"))
            if not 1 <= size <= CALLBACK_DATA_LIMIT:
                log.error(
                    "telegram: button %r dropped: callback_data is %d bytes (allowed 1-%d): %r",
                    button.label,
                    size,
                    CALLBACK_DATA_LIMIT,
                    button.payload,
                )
                continue
            kept.append((button.label, button.payload))
        if kept:
            rows.append(tuple(kept))
    return tuple(rows)


def plan(outbound: Outbound) -> list[Step]:
    """The Bot API calls that show `outbound`, in order.

    The keyboard always rides on the last message, so it sits under the text it belongs to.
    One photo: the text is its caption when it fits. Several photos: albums of up to 10, then
    the text as messages (unless it fits as the album caption and there are no buttons).
    """
    keyboard = build_keyboard(outbound)
    text = outbound.text
    fits_caption = bool(text.strip()) and utf16_len(text) <= CAPTION_LIMIT
    photos = outbound.photos
    steps: list[Step] = []
    if len(photos) == 1:
        if fits_caption:
            return [PhotoStep(photos[0], caption=text, keyboard=keyboard)]
        if not text.strip():
            return [PhotoStep(photos[0], keyboard=keyboard)]
        steps.append(PhotoStep(photos[0]))
    elif photos:
        albums = [photos[i : i + ALBUM_LIMIT] for i in range(0, len(photos), ALBUM_LIMIT)]
        caption_on_album = fits_caption and not keyboard
        for n, album in enumerate(albums):
            caption = text if caption_on_album and n == 0 else None
            if len(album) == 1:  # an album needs two; a lone tail photo is sent on its own
                steps.append(PhotoStep(album[0], caption=caption))
            else:
                steps.append(AlbumStep(album, caption=caption))
        if caption_on_album:
            return steps
    parts = split_text(text)
    if not parts:
        if keyboard:
            # Buttons need a message to hang on; an empty text is refused by Telegram.
            log.error("telegram: outbound with buttons but no text; buttons not shown")
        elif not steps:
            log.error("telegram: empty outbound (no text, no photos) not sent")
        return steps
    steps.extend(TextStep(p) for p in parts[:-1])
    steps.append(TextStep(parts[-1], keyboard=keyboard))
    return steps
