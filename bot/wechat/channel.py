"""The WeChat channel as `hotline run` sees it: built from `[wechat]`, then `start()`/`stop()`.

channel = WeChatChannel.build(app)
await channel.start()        # callback server listening; channel.sender delivers pushes
...
await channel.stop()
"""

from __future__ import annotations

import logging
from typing import NamedTuple

from aiohttp import web

from bot.app import App
from bot.config import WeChatSettings
from bot.wechat.api import HotlineWeChatClient, WeChatApi
from bot.wechat.menu import menu_definition
from bot.wechat.photos import PhotoKeeper
from bot.wechat.protocol import CallbackCodec
from bot.wechat.sender import WeChatSender
from bot.wechat.server import CallbackServer
from bot.wechat.token import SharedAccessToken
from bot.wechat.turns import ConversationCore, WeChatTurns
from handlers.context import CoreDeps
from storage.media import MediaStore

log = logging.getLogger(__name__)


class WeChatParts(NamedTuple):
    """The API side, enough for pushes and `hotline wechat menu` (no callback server)."""

    settings: WeChatSettings
    api: WeChatApi
    token: SharedAccessToken
    sender: WeChatSender

    async def push_menu(self) -> None:
        """Replace the 公众号's custom menu with the configured one."""
        definition = menu_definition(self.settings.menu)
        await self.api.create_menu(await self.token.get(), definition)


def build_parts(settings: WeChatSettings, deps: CoreDeps) -> WeChatParts:
    """The API side alone (no core, no router): what `hotline wechat menu` needs."""
    if not settings.configured:
        raise ValueError("[wechat] needs app_id, secret, token (and encoding_aes_key)")
    assert settings.app_id is not None and settings.secret is not None
    client = HotlineWeChatClient(
        settings.app_id,
        settings.secret.get_secret_value(),
        api_base_url=settings.api_base_url,
        timeout=settings.api_timeout_seconds,
    )
    api = WeChatApi(client, timeout=settings.api_timeout_seconds)
    token = SharedAccessToken(
        app_id=settings.app_id, api=api, sessionmaker=deps.sessionmaker, clock=deps.clock
    )
    sender = WeChatSender(settings=settings, api=api, token=token, deps=deps)
    return WeChatParts(settings=settings, api=api, token=token, sender=sender)


class WeChatChannel:
    """The callback server and the push sender of one 公众号."""

    def __init__(
        self,
        settings: WeChatSettings,
        *,
        core: ConversationCore,
        deps: CoreDeps,
        media: MediaStore | None = None,
    ) -> None:
        self.settings = settings
        self.parts = build_parts(settings, deps)
        # Without a media store (some tests) photos stay WeChat media ids, as they once were.
        photos = (
            PhotoKeeper(api=self.parts.api, token=self.parts.token, media=media)
            if media is not None
            else None
        )
        turns = WeChatTurns(core=core, deps=deps, photos=photos)
        self.server = CallbackServer(
            codec=CallbackCodec(settings, deps.clock),
            turns=turns,
            sender=self.parts.sender,
            deps=deps,
            reply_budget=settings.reply_budget_seconds,
            original_id=settings.original_id,
        )
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    @property
    def sender(self) -> WeChatSender:
        """The `ChannelSender` for the outbox sender's registry."""
        return self.parts.sender

    @property
    def url(self) -> str:
        """The callback URL as served here (behind the proxy it is the public HTTPS one)."""
        return f"http://{self.settings.listen}:{self.port}{self.settings.path}"

    async def start(self) -> None:
        application = self.server.application(self.settings.path, self.settings.max_body_bytes)
        self._runner = web.AppRunner(application, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.listen, self.settings.port)
        await site.start()
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else self.settings.port
        log.info("wechat: callback server listening on %s", self.url)

    async def stop(self, within: float = 10.0) -> None:
        if self._runner is None:
            return
        # Stop taking callbacks (open requests get their answer; WeChat retries new ones
        # elsewhere), then let turns still running finish and send their late replies.
        await self._runner.cleanup()
        self._runner = None
        await self.server.drain(within)


def channel_for(app: App) -> WeChatChannel | None:
    """The 公众号 channel if `[wechat]` is configured (for `hotline run`), else None."""
    if not app.settings.wechat.configured:
        return None
    return WeChatChannel(
        app.settings.wechat,
        core=app.conversation,
        deps=app.deps,
        media=app.media,
    )
