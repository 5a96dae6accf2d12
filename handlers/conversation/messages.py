"""Transport-free message types: what a channel adapter hands the core and gets back.

Adapters (Telegram, WeChat, console) parse their platform's update into an `Inbound`, call the
core, and render each `Outbound`. Nothing here knows which platform is on the other side.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple


class Channel(StrEnum):
    """Where a person talks to the hotline from."""

    CONSOLE = "console"
    TELEGRAM = "telegram"
    WECHAT = "wechat"
    WEB = "web"


class Location(NamedTuple):
    """A point a person shared from their phone (WGS-84 degrees)."""

    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class Inbound:
    """One thing a person did: typed text, pressed a button, sent a photo or a location.

    `message_id` is the platform's id for this delivery (Telegram update_id, WeChat MsgId);
    the core uses it to handle a redelivery once. `choice` is the payload of a pressed button.
    `unsupported` names a kind of message the hotline does not take (e.g. "sticker", "voice",
    "edited_message"); text, choice, photo and location are then all None.
    """

    channel: str
    user_id: str
    message_id: str | None = None
    text: str | None = None
    choice: str | None = None
    photo: str | None = None
    location: Location | None = None
    chat_id: str | None = None
    display_name: str | None = None
    # Set when the person sent something the hotline cannot take (sticker, voice, video, document,
    # an edit of an earlier message...): the platform's name for it. The core answers politely.
    unsupported: str | None = None
    # A command ("/status AN…" typed, or a menu entry standing for one), parsed once here: the
    # name in lower case without "/" or Telegram's "@BotName", and the rest of the line. An
    # adapter whose menu stands for a command sets these instead of writing command text.
    command: str | None = None
    argument: str = ""

    def __post_init__(self) -> None:
        if self.command is None and self.choice is None and self.text is not None:
            parsed = parse_command(self.text)
            if parsed is not None:
                object.__setattr__(self, "command", parsed[0])
                object.__setattr__(self, "argument", parsed[1])


def parse_command(text: str) -> tuple[str, str] | None:
    """ "/status@AnningHotlineBot AN20261125-0007" → ("status", "AN20261125-0007")."""
    text = text.strip()
    if not text.startswith("/") or len(text) < 2:
        return None
    name, _, argument = text[1:].partition(" ")
    # Telegram appends the bot's name in groups: /status@AnningHotlineBot.
    return name.split("@", 1)[0].lower(), argument.strip()


class Button(NamedTuple):
    """A choice offered to the person; `payload` is short (Telegram allows 64 bytes)."""

    label: str
    payload: str


@dataclass(frozen=True, slots=True)
class Outbound:
    """One message to show: text, optional rows of buttons, optional photos (platform file ids)."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    photos: tuple[str, ...] = field(default=())
    # An answer to a pressed button rather than a message (Telegram: answerCallbackQuery's
    # pop-up), so a refusal in a unit's group is seen by the presser alone. Never queued.
    notice: bool = False
    # Still worth sending after the person has written again (a case number). A prompt or an
    # acknowledgement is not: if a crash leaves it unconfirmed and the person has moved on, the
    # outbox drops it instead of showing an old question again (storage.replies).
    lasting: bool = False

    def all_buttons(self) -> list[Button]:
        return [b for row in self.buttons for b in row]

    def to_payload(self) -> dict[str, Any]:
        """A JSON-able form, as stored in the outbox."""
        payload: dict[str, Any] = {
            "text": self.text,
            "buttons": [
                [{"label": b.label, "payload": b.payload} for b in row] for row in self.buttons
            ],
            "photos": list(self.photos),
        }
        if self.lasting:
            payload["lasting"] = True
        return payload

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> Outbound:
        return cls(
            text=str(data["text"]),
            buttons=tuple(
                tuple(Button(str(b["label"]), str(b["payload"])) for b in row)
                for row in data.get("buttons", [])
            ),
            photos=tuple(str(p) for p in data.get("photos", [])),
            lasting=bool(data.get("lasting", False)),
        )
