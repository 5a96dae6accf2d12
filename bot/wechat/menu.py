"""The 公众号 custom menu: built from `[wechat.menu]`, pushed by `hotline wechat menu`.

A click sends a CLICK event with the button's key; the key names a hotline action.
https://developers.weixin.qq.com/doc/offiaccount/Custom_Menus/Creating_Custom-Defined_Menu.html
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.config import WeChatMenuItem

_KEY_PREFIX = "HOTLINE_"


def key_of_action(action: str) -> str:
    return f"{_KEY_PREFIX}{action.upper()}"


def action_of_key(key: str) -> str | None:
    """The action a clicked key stands for (None for keys of someone else's menu)."""
    if not key.startswith(_KEY_PREFIX):
        return None
    return key[len(_KEY_PREFIX) :].lower() or None


class MenuError(ValueError):
    """The configured menu breaks one of WeChat's rules (the message says which)."""


def menu_definition(items: Sequence[WeChatMenuItem]) -> dict[str, Any]:
    """The JSON body of menu/create; raises MenuError for what WeChat would refuse."""
    if not 1 <= len(items) <= 3:
        raise MenuError("a menu has 1 to 3 top-level buttons")
    return {"button": [_button(item, top=True) for item in items]}


def _button(item: WeChatMenuItem, *, top: bool) -> dict[str, Any]:
    limit = 16 if top else 60  # bytes: WeChat counts UTF-8 bytes, 3 per Chinese character
    if len(item.name.encode("utf-8")) > limit:
        raise MenuError(f"button name {item.name!r} is longer than {limit} bytes")
    given = [x for x in (item.action, item.url, item.sub or None) if x]
    if len(given) != 1:
        raise MenuError(f"button {item.name!r} needs exactly one of action, url or sub-buttons")
    if item.sub:
        if not top:
            raise MenuError(f"sub-button {item.name!r} cannot have sub-buttons")
        return {"name": item.name, "sub_button": [_button(s, top=False) for s in item.sub]}
    if item.url:
        return {"type": "view", "name": item.name, "url": item.url}
    assert item.action is not None
    return {"type": "click", "name": item.name, "key": key_of_action(item.action)}
