"""CSRF protection for every state-changing request.

Signed in: the session's own token, sent as the form field `csrf` or (htmx) the header
`X-CSRF-Token`, which the page sets through `hx-headers` on <body>. Before sign-in (the login and
set-up forms): a double-submit cookie whose value is keyed with the server secret, so a cookie
planted by a sibling subdomain does not pass either.
"""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.typedefs import Handler

from bot.web.access import viewer_of
from bot.web.auth.tokens import keyed_hash, new_token, same
from bot.web.context import WebDeps, deps_of

log = logging.getLogger(__name__)

FIELD = "csrf"
HEADER = "X-CSRF-Token"
_PRE_COOKIE = "hotline_csrf"
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


def _refuse(request: web.Request, why: str) -> web.HTTPForbidden:
    log.warning(
        "web: CSRF check failed for %s %s from %s: %s",
        request.method,
        request.path,
        request.remote,
        why,
    )
    return web.HTTPForbidden(text="403 表单已失效，请刷新页面后重试")


async def _sent_token(request: web.Request) -> str:
    header = request.headers.get(HEADER)
    if header:
        return header
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()  # cached by aiohttp: handlers read it again for free
        value = form.get(FIELD)
        return value if isinstance(value, str) else ""
    return ""


@web.middleware
async def csrf_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """For the staff area: runs after the session middleware has found the viewer."""
    if request.method not in _SAFE:
        expected = viewer_of(request).csrf_token
        sent = await _sent_token(request)
        if not sent or not same(sent, expected):
            raise _refuse(request, "missing or wrong token")
    return await handler(request)


# -- before sign-in ------------------------------------------------------------------------------


def pre_login_token(request: web.Request, response_cookies: dict[str, str]) -> str:
    """The token for a login or set-up form; a new cookie is queued if the browser has none."""
    deps = deps_of(request)
    token = request.cookies.get(_PRE_COOKIE)
    if not token or len(token) > 128:
        token = new_token()
        response_cookies[_PRE_COOKIE] = token
    return keyed_hash(deps.secret, "pre:" + token)


def set_pre_cookies(response: web.StreamResponse, deps: WebDeps, cookies: dict[str, str]) -> None:
    for name, value in cookies.items():
        response.set_cookie(
            name,
            value,
            path="/",
            httponly=True,
            secure=deps.settings.secure_cookies,
            samesite="Strict",
        )


async def check_pre_login(request: web.Request) -> None:
    deps = deps_of(request)
    cookie = request.cookies.get(_PRE_COOKIE)
    sent = await _sent_token(request)
    if not cookie or not sent or not same(sent, keyed_hash(deps.secret, "pre:" + cookie)):
        raise _refuse(request, "login form without a valid token")
