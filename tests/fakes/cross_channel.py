"""Both channels against one app: residents on the WeChat 公众号, staff in Telegram.

    async with cross_channel(app, clock, "aiogram") as cc:
        reply = await cc.wechat_says(OPENID, "1")      # a callback over real HTTP, then the outbox
        staff = cc.telegram.person(2001)                # a Telegram party (see TelegramScenario)

The WeChat callback server and its stand-in API (`tests.fakes.wechat_api`) and a real Telegram
channel with its stand-in Bot API (`tests.fakes.telegram_scenario`) run in this event loop; both
senders are registered in `app.senders`, so one outbox drain pushes to either channel, as in
`hotline run`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot.app import App
from handlers.policy.clock import FixedClock
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.telegram_scenario import TelegramScenario
from tests.fakes.wechat_api import Reply, Rig, make_rig


@dataclass
class CrossChannel:
    telegram: TelegramScenario
    wechat: Rig

    @property
    def app(self) -> App:
        return self.telegram.app

    async def wechat_says(self, openid: str, text: str) -> Reply:
        """The resident types `text` in the 公众号; then every due push goes out."""
        reply = await self.wechat.side.text(openid, text)
        assert reply.status == 200, reply
        await self.wechat.channel.server.drain(5.0)  # a late (客服) answer, if any, is out
        await self.telegram.outbox.drain()
        return reply

    async def wechat_follows(self, openid: str) -> Reply:
        reply = await self.wechat.side.event(openid, "subscribe")
        assert reply.status == 200, reply
        await self.telegram.outbox.drain()
        return reply

    def wechat_texts(self, openid: str) -> list[str]:
        """Customer-service messages the stand-in WeChat API accepted for `openid`, in order."""
        return self.wechat.api.texts_to(openid)


@asynccontextmanager
async def cross_channel(app: App, clock: FixedClock, framework: str) -> AsyncIterator[CrossChannel]:
    async with FakeTelegramAPI() as api, TelegramScenario(app, api, framework) as telegram:
        async for rig in make_rig(app, clock):
            app.senders.register(rig.channel.sender)
            try:
                yield CrossChannel(telegram, rig)
            finally:
                app.senders.unregister(rig.channel.sender.channel)
