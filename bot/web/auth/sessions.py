"""The session cookie: who is signed in, for every request to the staff area.

The cookie holds a random token; the database holds its keyed hash with an idle expiry (pushed
on by use) and a hard end. No valid session: a page request is sent to the login page, an htmx
request gets 401 with `HX-Redirect`, anything else 401.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

from aiohttp import web
from aiohttp.typedefs import Handler

from bot.web.access import VIEWER, Viewer
from bot.web.auth.tokens import keyed_hash
from bot.web.context import WebDeps, deps_of
from storage.webaccounts import signed_in


def set_session_cookie(response: web.StreamResponse, deps: WebDeps, token: str) -> None:
    settings = deps.settings
    response.set_cookie(
        settings.cookie_name,
        token,
        max_age=settings.session_max_hours * 3600,
        path="/",
        httponly=True,
        secure=settings.secure_cookies,
        samesite="Lax",
    )


def clear_session_cookie(response: web.StreamResponse, deps: WebDeps) -> None:
    response.del_cookie(deps.settings.cookie_name, path="/")


def session_hash(request: web.Request) -> str | None:
    deps = deps_of(request)
    token = request.cookies.get(deps.settings.cookie_name)
    return keyed_hash(deps.secret, token) if token else None


@web.middleware
async def session_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    deps = deps_of(request)
    token_hash = session_hash(request)
    found = None
    if token_hash is not None:
        settings = deps.settings
        async with deps.app.sessionmaker() as session, session.begin():
            found = await signed_in(
                session=session,
                token_hash=token_hash,
                now=deps.core.clock.now(),
                idle=timedelta(minutes=settings.session_idle_minutes),
                lifetime=timedelta(hours=settings.session_max_hours),
            )
    if found is None or token_hash is None:
        return _signed_out(request)
    request[VIEWER] = Viewer(
        member=found.member,
        login=found.account.login,
        csrf_token=found.session.csrf_token,
        session_hash=token_hash,
    )
    return await handler(request)


def _signed_out(request: web.Request) -> web.StreamResponse:
    login = f"/login?next={quote(request.path_qs, safe='')}"
    if request.headers.get("HX-Request") == "true":
        return web.Response(status=401, headers={"HX-Redirect": login})
    if request.method in ("GET", "HEAD"):
        raise web.HTTPSeeOther(login)
    return web.Response(status=401, text="401 请先登录", content_type="text/plain")
