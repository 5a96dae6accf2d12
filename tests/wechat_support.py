"""Shared set-up of the WeChat tests: the stand-in API, the channel over real HTTP, WeChat's side."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from bot.app import App
from bot.config import WeChatSettings
from bot.wechat.channel import WeChatChannel
from handlers.clock import FixedClock
from handlers.messages import Inbound, Outbound
from tests.fakes.wechat_api import AES_KEY, APP_ID, SECRET, TOKEN, FakeWeChatAPI, Reply, WeChatSide


def wechat_settings(api: FakeWeChatAPI, **overrides: Any) -> WeChatSettings:
    values: dict[str, Any] = {
        "app_id": APP_ID,
        "secret": SECRET,
        "token": TOKEN,
        "encoding_aes_key": AES_KEY,
        "port": 0,
        "api_base_url": api.base_url,
        "api_timeout_seconds": 2.0,
        "reply_budget_seconds": 1.0,
    }
    values.update(overrides)
    return WeChatSettings.model_validate(values)


class SlowCore:
    """The real core, after `delay` seconds (a turn slower than WeChat's patience)."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.delay = 0.0
        self.calls = 0

    async def handle(self, inbound: Inbound) -> list[Outbound]:
        import asyncio

        self.calls += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        return await self.app.conversation.handle(inbound)


@dataclass
class Rig:
    app: App
    api: FakeWeChatAPI
    channel: WeChatChannel
    side: WeChatSide
    core: SlowCore
    clock: FixedClock


async def make_rig(app: App, clock: FixedClock, **overrides: Any) -> AsyncIterator[Rig]:
    async with FakeWeChatAPI() as api:
        settings = wechat_settings(api, **overrides)
        core = SlowCore(app)
        channel = WeChatChannel(settings, core=core, deps=app.deps, sessionmaker=app.sessionmaker)
        await channel.start()
        side = WeChatSide(channel.url, clock, api=api, encrypt=settings.mode != "plain")
        try:
            yield Rig(app, api, channel, side, core, clock)
        finally:
            await channel.stop()


_CHOICE = re.compile(r"^(\d+)\. (.+)$", re.MULTILINE)


def number_of(reply: Reply | str | None, label: str) -> str:
    """The number to type for the choice `label` in a reply."""
    text = reply.content if isinstance(reply, Reply) else reply
    assert text is not None, "no passive reply"
    for number, shown in _CHOICE.findall(text):
        if shown.strip() == label:
            return str(number)
    raise AssertionError(f"no choice {label!r} in:\n{text}")
