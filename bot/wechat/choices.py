"""The core's buttons as numbered choices: a 公众号 message has no inline keyboard.

The replies of one turn become one text ending in "回复数字选择：\n1. 投诉\n2. 求助 …"; the
payloads are remembered per person (in the database, see `storage.wechat.save_menu`), and a
reply that is just a number is turned back into the payload it stood for.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from handlers.conversation.messages import Outbound
from handlers.texts import Texts

# Passive replies and customer-service texts are limited to 2048 bytes of UTF-8 (a Chinese
# character is 3); longer texts are refused, so keep a margin and cut at a line end.
TEXT_LIMIT_BYTES = 2000
# A choice number: one or two digits, ASCII or full-width (Chinese keyboards type "１"),
# optionally followed by the punctuation people add ("1." "2、").
_NUMBER = re.compile(r"^\s*([0-9\uff10-\uff19]{1,2})\s*[.。、]?\s*$")
# Payload given to the core for a number that matches no current choice: the core knows no such
# button and answers "this option is not available" (err.not_offered).
STALE_CHOICE = "wx:stale"


@dataclass(frozen=True, slots=True)
class Rendered:
    """One turn's replies as WeChat text, and the payload of each offered number (1-based)."""

    text: str
    payloads: tuple[str, ...] = ()
    # The core's replies behind the text (what goes to the outbox if it cannot be sent now).
    replies: tuple[Outbound, ...] = ()


def render(replies: Sequence[Outbound], texts: Texts) -> Rendered:
    """Join the replies into one text; number the buttons of all of them in order."""
    parts: list[str] = []
    payloads: list[str] = []
    for reply in replies:
        body = reply.text
        if reply.photos:
            # Photo ids of other channels mean nothing to WeChat; say they exist.
            body += "\n" + texts("wechat.photos_attached", n=len(reply.photos))
        buttons = reply.all_buttons()
        if buttons:
            lines = [texts("wechat.choose_number")]
            for button in buttons:
                payloads.append(button.payload)
                lines.append(f"{len(payloads)}. {button.label}")
            body += "\n\n" + "\n".join(lines)
        parts.append(body)
    return Rendered("\n\n".join(p for p in parts if p), tuple(payloads), tuple(replies))


def chosen_number(text: str | None) -> int | None:
    """The number typed, if the text is nothing but a choice number."""
    if text is None:
        return None
    match = _NUMBER.match(text)
    if match is None:
        return None
    digits = "".join(chr(ord(c) - 0xFF10 + 0x30) if c > "9" else c for c in match.group(1))
    return int(digits)


def choice_for(number: int, menu: Sequence[str], current: bool) -> str | None:
    """The payload a typed number stands for: None if no choices were ever shown (the number is
    plain text then), `STALE_CHOICE` if the choices are stale or the number is not among them."""
    if not menu:
        return None
    if current and 1 <= number <= len(menu):
        return menu[number - 1]
    return STALE_CHOICE


def split_text(text: str, limit: int = TEXT_LIMIT_BYTES) -> list[str]:
    """Cut `text` into parts of at most `limit` UTF-8 bytes, at a line end where possible."""
    parts: list[str] = []
    rest = text
    while len(rest.encode("utf-8")) > limit:
        cut = _prefix_fitting(rest, limit)
        newline = rest.rfind("\n", 0, cut)
        if newline > cut // 2:
            cut = newline + 1
        parts.append(rest[:cut].rstrip("\n"))
        rest = rest[cut:]
    if rest.strip():
        parts.append(rest)
    return [p for p in parts if p.strip()]


def _prefix_fitting(text: str, limit: int) -> int:
    size = 0
    for i, ch in enumerate(text):
        size += len(ch.encode("utf-8"))
        if size > limit:
            return max(i, 1)
    return len(text)
