"""Rendering a template with what every page shows: who is signed in, the menu, the CSRF token."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from bot.web.access import VIEWER, Viewer
from bot.web.context import deps_of


@dataclass(frozen=True, slots=True)
class NavItem:
    path: str
    label: str


def menu(viewer: Viewer) -> list[NavItem]:
    """The pages this person may open (each page checks again on the server)."""
    items = []
    if viewer.dispatches or viewer.supervises:
        items.append(NavItem("/desk/queue", "派单"))
    items.append(NavItem("/desk/cases", "工单"))
    items.append(NavItem("/desk/overdue", "超期"))
    items.append(NavItem("/desk/kb", "知识库"))
    if viewer.supervises:
        items += [
            NavItem("/desk/figures", "统计"),
            NavItem("/desk/bulletin", "通报"),
            NavItem("/desk/ledger", "台账"),
        ]
    return items


def render(
    request: web.Request, template: str, context: Mapping[str, Any], *, status: int = 200
) -> web.Response:
    viewer = request.get(VIEWER)
    deps = deps_of(request)
    page: dict[str, Any] = {
        "viewer": viewer,
        "csrf": viewer.csrf_token if isinstance(viewer, Viewer) else None,
        "menu": menu(viewer) if isinstance(viewer, Viewer) else [],
        "path": request.path,
        "poll_seconds": deps.settings.poll_seconds,
        **context,
    }
    return aiohttp_jinja2.render_template(template, request, page, status=status)
