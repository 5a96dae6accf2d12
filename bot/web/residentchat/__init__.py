"""The resident web chat at /chat and the resident's case pages (issue 12).

    deps = ResidentChatDeps(conversation=app.conversation, media=app.media,
                            settings=settings.resident_web)
    install(web_app, deps)                          # the routes
    app.senders.register(WebSender(deps.pages))     # pushes reach open pages

The chat is the same conversation core as every channel (channel "web"); an anonymous resident
is a signed cookie. `bot.web.public.install_public(web_app, hotline_app)` does both steps (and
installs Open311) in one call.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.web.residentchat.caseviews import CaseViews
from bot.web.residentchat.chatviews import ChatViews
from bot.web.residentchat.common import (
    STATIC_DIR,
    Guard,
    Pages,
    ResidentChatDeps,
    signing_secret,
    too_many,
)
from bot.web.residentchat.live import LivePages, WebSender
from bot.web.residentchat.signing import Signer

__all__ = ["LivePages", "ResidentChatDeps", "WebSender", "install"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def install(app: web.Application, deps: ResidentChatDeps) -> None:
    signer = Signer(signing_secret(deps.settings))
    guard = Guard(deps, signer)
    pages = Pages(deps.core.texts.language)
    chat = ChatViews(deps, guard, pages, signer)
    cases = CaseViews(deps, guard, pages, signer)

    def limited(handler: Handler) -> Handler:
        """The per-address limit in front of every call of the resident pages."""

        async def wrapped(request: web.Request) -> web.StreamResponse:
            if not guard.admit_address(request):
                return too_many()
            return await handler(request)

        return wrapped

    app.router.add_get("/chat", limited(chat.page))
    app.router.add_post("/chat/send", limited(chat.send))
    app.router.add_post("/chat/photo", limited(chat.photo))
    app.router.add_get("/chat/events", limited(chat.events))
    app.router.add_get("/chat/mine", limited(chat.mine))
    app.router.add_post("/chat/find", limited(chat.find))
    app.router.add_get("/chat/case/{token}", limited(cases.show))
    app.router.add_post("/chat/case/{token}/{action:add|withdraw|rate}", limited(cases.act))
    app.router.add_static("/chat/static/", STATIC_DIR, append_version=True)
