"""What every web handler needs, built once when the web app is created (never at import)."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from aiohttp import web

from bot.app import App
from bot.config import WebSettings
from handlers.context import CoreDeps
from handlers.texts import Texts

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WebDeps:
    """The running app's collaborators plus the web settings and the session key."""

    app: App
    settings: WebSettings
    secret: bytes
    # The workbench speaks Chinese whatever the bot's resident language is: it is for the
    # district's own staff.
    texts: Texts

    @property
    def core(self) -> CoreDeps:
        return self.app.deps

    @classmethod
    def build(cls, app: App, settings: WebSettings) -> WebDeps:
        if settings.secret is not None and settings.secret.get_secret_value():
            secret = settings.secret.get_secret_value().encode()
        else:
            log.warning(
                "web: no HOTLINE_WEB_SECRET; using a random key, so sessions end at restart"
            )
            secret = secrets.token_bytes(32)
        return cls(app=app, settings=settings, secret=secret, texts=Texts("zh"))


DEPS = web.AppKey("hotline_web_deps", WebDeps)


def deps_of(request: web.Request) -> WebDeps:
    """The deps from the root app (also reachable from a sub-app's handlers)."""
    return request.config_dict[DEPS]
