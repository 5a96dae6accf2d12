"""The web server inside `hotline run`: same process, same event loop as the chat channels."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from aiohttp import web

from bot.app import App
from bot.delivery import DeliveryResult
from bot.web.app import Installer, create_web_app
from bot.web.context import WebDeps
from handlers.conversation.messages import Outbound
from storage.webaccounts import DESK_CHANNEL

log = logging.getLogger(__name__)


class WebInbox:
    """The outbox sender for staff who work only in the browser (staff records on channel
    "desk"): their case cards are the queue and case pages, so a push to them is done at once."""

    channel = DESK_CHANNEL

    async def deliver(self, recipient: str, message: Outbound) -> DeliveryResult:
        log.debug("web: push to browser-only staff %s not sent (seen in the workbench)", recipient)
        return DeliveryResult.sent()


class WebServer:
    def __init__(self, app: App, *, installers: Sequence[Installer] = ()) -> None:
        settings = app.settings.web
        self.deps = WebDeps.build(app, settings)
        self.application = create_web_app(self.deps, installers=installers)
        self._runner: web.AppRunner | None = None
        self.port = settings.port

    @property
    def url(self) -> str:
        settings = self.deps.settings
        if settings.public_url is None and settings.port == 0 and self.port:
            return f"http://{settings.listen}:{self.port}"
        return settings.base_url

    async def start(self) -> None:
        settings = self.deps.settings
        self._runner = web.AppRunner(self.application, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, settings.listen, settings.port)
        await site.start()
        # Port 0 (tests) picks a free port: report the real one.
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        if sockets:
            self.port = int(sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
