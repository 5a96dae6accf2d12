"""A parsed WeChat callback (wechatpy message or event) as something the channel acts on.

Messages carry a MsgId; events do not (wechatpy gives them `id == 0`), so an event is known by
who sent it, when (CreateTime, whole seconds) and what it was: WeChat retries an unanswered
callback three times with the same fields, and this key makes the retry a duplicate.
https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_standard_messages.html
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.wechat.coords import gcj02_to_wgs84
from bot.wechat.menu import action_of_key
from handlers.conversation.messages import Channel, Inbound, Location

# ProcessedMessage.message_id holds 96 characters; longer keys are hashed.
_KEY_LIMIT = 96
# Hotline commands behind the menu actions.
_ACTION_COMMANDS = {"new": "new", "mycases": "mycases", "help": "help"}
# Message types the hotline does not take; the core answers them politely.
_UNSUPPORTED = {"voice", "video", "shortvideo", "link", "file", "miniprogrampage"}


class Kind(StrEnum):
    MESSAGE = "message"  # goes to the core (text, photo, location, a menu action, follow)
    UNFOLLOW = "unfollow"  # stop pushing to this person
    ASK_CASE_NUMBER = "ask_case_number"  # the 查询进度 menu: ask for a number, expect it next
    IGNORE = "ignore"  # nothing for the hotline (a link opened from the menu, a location report)


@dataclass(frozen=True, slots=True)
class Incoming:
    kind: Kind
    openid: str
    key: str
    inbound: Inbound | None = None
    follow: bool = False  # a follow (subscribe) event: greet, make reachable again


def dedupe_key(message: Any) -> str:
    """MsgId for messages; FromUserName, CreateTime, Event and EventKey for events."""
    if message.type != "event":
        return str(message.id)
    event = str(getattr(message, "event", "") or "")
    key = str(getattr(message, "key", "") or getattr(message, "scene_id", "") or "")
    value = f"{message.source}:{message.time}:{event}:{key}"
    if len(value) > _KEY_LIMIT:
        value = hashlib.sha256(value.encode("utf-8")).hexdigest()
    return value


def to_incoming(message: Any) -> Incoming:
    """Raises ValueError/KeyError/TypeError for a callback whose fields are malformed."""
    openid = str(message.source or "")
    if not openid:
        raise ValueError("callback without FromUserName")
    key = dedupe_key(message)

    def inbound(*, follow: bool = False, **fields: Any) -> Incoming:
        return Incoming(
            Kind.MESSAGE,
            openid,
            key,
            Inbound(
                channel=Channel.WECHAT, user_id=openid, chat_id=openid, message_id=key, **fields
            ),
            follow=follow,
        )

    kind = message.type
    if kind == "text":
        return inbound(text=str(message.content or ""))
    if kind == "image":
        # Kept by MediaId: temporary media stays downloadable for 3 days (media/get).
        return inbound(photo=str(message.media_id))
    if kind == "location":
        lat, lon = gcj02_to_wgs84(float(message.location_x), float(message.location_y))
        return inbound(location=Location(lat, lon))
    if kind in _UNSUPPORTED:
        return inbound(unsupported=kind)
    if kind != "event":
        return inbound(unsupported=str(kind))
    event = str(getattr(message, "event", "")).lower()
    if event in ("subscribe", "subscribe_scan"):
        return inbound(command="start", follow=True)
    if event == "unsubscribe":
        return Incoming(Kind.UNFOLLOW, openid, key)
    if event == "click":
        action = action_of_key(str(message.key or ""))
        if action == "status":
            return Incoming(Kind.ASK_CASE_NUMBER, openid, key)
        if action in _ACTION_COMMANDS:
            return inbound(command=_ACTION_COMMANDS[action])
    return Incoming(Kind.IGNORE, openid, key)
