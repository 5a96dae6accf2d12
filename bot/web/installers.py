"""Surfaces that `hotline run` adds to the web app besides the staff workbench.

Append an `install(app, deps)` here. Public routes go on the root app under their own prefix;
they are not behind the staff login, and must do their own checks (API keys, rate limits, CSRF
for their forms). Open311 (/open311/v2/) and the resident web chat (/chat) are the first two.
"""

from __future__ import annotations

from aiohttp import web

from bot.web.app import Installer
from bot.web.context import WebDeps
from bot.web.public import install_public


def _public(web_app: web.Application, deps: WebDeps) -> None:
    """Open311 GeoReport v2 and the resident web chat, with their outbox senders."""
    install_public(web_app, deps.app)


INSTALLERS: list[Installer] = [_public]
