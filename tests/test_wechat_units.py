"""The WeChat channel's pure parts: numbered choices, text splitting, coordinates, menu, config."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import Settings, WeChatMenuItem, WeChatSettings, load_settings
from bot.wechat.choices import STALE_CHOICE, choice_for, chosen_number, render, split_text
from bot.wechat.coords import gcj02_to_wgs84, wgs84_to_gcj02
from bot.wechat.menu import MenuError, action_of_key, key_of_action, menu_definition
from handlers.conversation.messages import Button, Outbound
from handlers.texts import Texts
from tests.fakes.wechat_api import AES_KEY, APP_ID, SECRET, TOKEN, FakeWeChatAPI


def test_buttons_become_numbered_choices_across_replies() -> None:
    """Buttons of all replies of a turn are numbered in order and their payloads remembered."""
    replies = [
        Outbound("内容太短了"),
        Outbound("请选择：", ((Button("投诉", "t:complaint"), Button("求助", "t:help")),)),
    ]
    rendered = render(replies, Texts("zh"))
    assert rendered.text.endswith("回复数字选择：\n1. 投诉\n2. 求助")
    assert rendered.text.startswith("内容太短了\n\n请选择：")
    assert rendered.payloads == ("t:complaint", "t:help")


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("1", 1),
        (" 2 ", 2),
        ("３", 3),
        ("12", 12),
        ("1.", 1),
        ("2、", 2),
        ("123", None),
        ("a1", None),
    ],
)
def test_choice_numbers_are_recognised(typed: str, number: int | None) -> None:
    """ASCII and full-width digits with the punctuation people add; nothing longer."""
    assert chosen_number(typed) == number


def test_numbers_map_to_current_choices_only() -> None:
    """A number is a choice only while its choices are current; never shown: plain text."""
    assert choice_for(2, ["a", "b"], current=True) == "b"
    assert choice_for(3, ["a", "b"], current=True) == STALE_CHOICE
    assert choice_for(1, ["a", "b"], current=False) == STALE_CHOICE
    assert choice_for(1, [], current=False) is None


def test_split_keeps_every_part_within_the_byte_limit() -> None:
    """Parts stay under the limit, cut at line ends, and join back to the text."""
    text = "\n".join("路灯坏了很久没人修" * 5 for _ in range(40))
    parts = split_text(text, 500)
    assert all(len(p.encode()) <= 500 for p in parts)
    assert "\n".join(parts) == text
    assert split_text("无换行" * 400, 300)[0] == ("无换行" * 400)[:100]


def test_gcj02_round_trip_and_outside_china() -> None:
    """WeChat's GCJ-02 point converts back to WGS-84 within a metre; abroad nothing changes."""
    lat, lon = 36.1032, 103.7220  # Anning district, Lanzhou
    mars = wgs84_to_gcj02(lat, lon)
    assert abs(mars[0] - lat) + abs(mars[1] - lon) > 0.001  # hundreds of metres off
    back = gcj02_to_wgs84(*mars)
    assert abs(back[0] - lat) < 1e-5 and abs(back[1] - lon) < 1e-5
    assert gcj02_to_wgs84(48.85, 2.35) == (48.85, 2.35)


def test_default_menu_fits_wechat_rules() -> None:
    """The default menu has 3 top-level buttons with the four hotline actions."""
    definition = menu_definition(WeChatSettings().menu)
    assert len(definition["button"]) == 3
    keys = [b.get("key") for top in definition["button"] for b in [top, *top.get("sub_button", [])]]
    assert {key_of_action(a) for a in ("new", "mycases", "status", "help")} <= set(keys)
    assert action_of_key("HOTLINE_MYCASES") == "mycases" and action_of_key("OTHER") is None


def test_bad_menus_are_refused() -> None:
    """Four top-level buttons, a long name, or a button with two targets break WeChat's rules."""
    item = WeChatMenuItem(name="帮助", action="help")
    with pytest.raises(MenuError):
        menu_definition([item] * 4)
    with pytest.raises(MenuError):
        menu_definition([WeChatMenuItem(name="投诉举报建议", action="new")])
    with pytest.raises(MenuError):
        menu_definition([WeChatMenuItem(name="帮助", action="help", url="https://x")])


def test_wechat_secrets_come_from_env_and_configured_needs_them_all() -> None:
    """Secrets from env vars; the channel counts as configured only with every credential."""
    env = {
        "HOTLINE_WECHAT_SECRET": "s3cret",
        "HOTLINE_WECHAT_TOKEN": "tok",
        "HOTLINE_WECHAT_AES_KEY": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
    }
    settings = load_settings(None, env=env)
    assert not settings.wechat.configured  # no app_id yet
    assert not Settings.model_validate({"wechat": {"app_id": "wx1"}}).wechat.configured
    full = settings.wechat.model_copy(update={"app_id": "wx1"})
    assert full.configured and "s3cret" not in repr(full)
    with pytest.raises(ValueError, match="EncodingAESKey"):
        WeChatSettings(encoding_aes_key="short")  # type: ignore[arg-type]


async def test_hotline_wechat_menu_pushes_the_menu(tmp_path: Path) -> None:
    """`hotline wechat menu` fetches a token into the database and creates the menu."""
    async with FakeWeChatAPI() as api:
        config = tmp_path / "c.toml"
        config.write_text(
            f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path}/h.db"\n'
            f'[wechat]\napp_id = "{APP_ID}"\nsecret = "{SECRET}"\ntoken = "{TOKEN}"\n'
            f'encoding_aes_key = "{AES_KEY}"\napi_base_url = "{api.base_url}"\n',
            encoding="utf-8",
        )
        code = await asyncio.to_thread(main, ["--config", str(config), "wechat", "menu"])
        assert code == 0
        [menu] = api.menus
        assert menu == menu_definition(WeChatSettings().menu)
        shown = await asyncio.to_thread(main, ["wechat", "menu", "--show"])
        assert shown == 0
