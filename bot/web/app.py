"""The web app: `create_web_app(deps, installers=...)`.

Layout:
* public routes (no login) on the root app: /login, /setup/{token}, /static/..., and whatever the
  installers add (Open311 under /open311/, the resident web chat under /chat/ ...);
* the staff area is the sub-app at /desk/, whose middlewares require a signed-in session and a
  CSRF token on every state-changing request. Nothing outside /desk/ is behind the login, and
  nothing inside it can be reached without one.

The seam for other surfaces: an `Installer` is `install(app, deps) -> None`; it adds its routes
(or its own sub-app with its own middlewares) to the root app. Pass them to `create_web_app`,
or list them in `bot/web/installers.py`, which `hotline run` uses.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot.web.auth import login
from bot.web.auth.csrf import csrf_middleware
from bot.web.auth.sessions import session_middleware
from bot.web.context import DEPS, WebDeps
from bot.web.headers import add_security_headers
from bot.web.pages import (
    actions,
    bulletin,
    caselist,
    casepage,
    figures,
    kb,
    ledger,
    overdue,
    queue,
)
from bot.web.pages.uploads import upload_middleware

Installer = Callable[[web.Application, WebDeps], None]

_HERE = Path(__file__).parent
STATIC_DIR = _HERE / "static"
TEMPLATES_DIR = _HERE / "templates"
# Forms are small; the largest is a result or reply text of at most 1000 characters. The close
# form's photos get their own limit (bot/web/pages/uploads.py).
_MAX_BODY = 256 * 1024


def _staff_area() -> web.Application:
    desk = web.Application(middlewares=[session_middleware, upload_middleware, csrf_middleware])
    desk.router.add_get("/", _home)
    desk.router.add_get("/queue", queue.queue)
    desk.router.add_get("/cases", caselist.case_list)
    desk.router.add_get("/cases/fresh", caselist.fresh_cases)
    desk.router.add_get("/cases/rows", caselist.live_rows)
    desk.router.add_get("/cases/{number}", casepage.case_page)
    desk.router.add_get("/cases/{number}/live", casepage.case_live)
    desk.router.add_get("/cases/{number}/photos/{index}", casepage.case_photo)
    desk.router.add_get("/cases/{number}/media/{digest}", casepage.case_media)
    desk.router.add_post("/cases/{number}/{action}", actions.case_action)
    desk.router.add_get("/overdue", overdue.overdue_board)
    desk.router.add_get("/figures", figures.figures)
    desk.router.add_get("/bulletin", bulletin.bulletin)
    desk.router.add_get("/ledger", ledger.ledger_form)
    desk.router.add_get("/ledger/download", ledger.ledger_download)
    kb.install_routes(desk)
    desk.router.add_post("/logout", login.logout)
    return desk


async def _home(request: web.Request) -> web.Response:
    raise web.HTTPSeeOther("/desk/cases")


async def _root(request: web.Request) -> web.Response:
    raise web.HTTPSeeOther("/desk/cases")


def percent(value: float | None) -> str:
    """A rate as the report prints it (one decimal), or — when there is nothing to rate."""
    return f"{value * 100:.1f}%" if value is not None else "—"


def create_web_app(deps: WebDeps, *, installers: Sequence[Installer] = ()) -> web.Application:
    app = web.Application(client_max_size=_MAX_BODY)
    app[DEPS] = deps
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        # Everything is escaped (a <script> in a complaint shows as text); |safe is never used.
        autoescape=True,
    )
    env.filters["pct"] = percent
    app.on_response_prepare.append(add_security_headers)
    app.router.add_get("/", _root)
    app.router.add_get("/login", login.login_page)
    app.router.add_post("/login", login.login)
    app.router.add_get("/setup/{token}", login.setup_page)
    app.router.add_post("/setup/{token}", login.setup)
    app.router.add_static("/static/", STATIC_DIR, append_version=False)
    app.add_subapp("/desk/", _staff_area())
    for install in installers:
        install(app, deps)
    return app
