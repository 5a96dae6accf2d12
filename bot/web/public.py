"""One call for `hotline run`: the public side of the web server (Open311 and the resident chat).

    install_public(web_app, hotline_app)

adds /open311/v2/ and /chat to the workbench's aiohttp application and registers the outbox
senders of channels "web" and "open311", so pushes reach open resident pages. Call it before
the scheduler's jobs start (they read `app.senders`) and before the web app starts.
"""

from __future__ import annotations

from aiohttp import web

from bot.app import App
from bot.web import open311, residentchat
from bot.web.open311.sink import Open311Sink


def install_public(web_app: web.Application, app: App) -> residentchat.ResidentChatDeps:
    open311.install(web_app, open311.Open311Deps(core=app.deps, settings=app.settings.open311))
    deps = residentchat.ResidentChatDeps(
        conversation=app.conversation, media=app.media, settings=app.settings.resident_web
    )
    residentchat.install(web_app, deps)
    app.senders.register(residentchat.WebSender(deps.pages))
    app.senders.register(Open311Sink())
    return deps
