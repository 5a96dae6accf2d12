"""Who is looking, and what they may see and do (checked on the server for every request).

Unit staff and heads see only their unit's cases; dispatchers and supervisors (the hotline
centre) read every case; dispatchers work the queue; supervisors see the figures, export the
台账 and decide extensions. Case actions are checked again by the case commands themselves.
"""

from __future__ import annotations

import logging
from typing import NamedTuple

from aiohttp import web

from storage.models import Case, StaffMember

log = logging.getLogger(__name__)

UNIT_ROLES = frozenset({"staff", "head"})
CENTRE_ROLES = frozenset({"dispatcher", "supervisor"})

ROLE_NAMES = {
    "staff": "承办人",
    "head": "单位负责人",
    "dispatcher": "派单员",
    "supervisor": "督查员",
}


class Viewer(NamedTuple):
    """The signed-in person, from the stored staff record (never from the request)."""

    member: StaffMember
    login: str
    csrf_token: str
    session_hash: str

    @property
    def role(self) -> str:
        return self.member.role

    @property
    def unit(self) -> str:
        return self.member.unit_name

    @property
    def name(self) -> str:
        return self.member.display_name or self.login

    @property
    def role_name(self) -> str:
        return ROLE_NAMES.get(self.role, self.role)

    @property
    def works_a_unit(self) -> bool:
        return self.role in UNIT_ROLES

    @property
    def dispatches(self) -> bool:
        return self.role == "dispatcher"

    @property
    def supervises(self) -> bool:
        return self.role == "supervisor"

    @property
    def unit_scope(self) -> str | None:
        """The only unit whose cases this person sees; None: every unit."""
        return self.unit if self.works_a_unit else None

    def may_view(self, case: Case) -> bool:
        return self.unit_scope is None or case.unit_name == self.unit_scope


VIEWER = web.RequestKey("hotline_viewer", Viewer)


def viewer_of(request: web.Request) -> Viewer:
    if VIEWER not in request:  # the session middleware sets it for every /desk request
        raise web.HTTPUnauthorized()
    return request[VIEWER]


def deny(request: web.Request, what: str) -> web.HTTPForbidden:
    """A 403 for `what`, logged with who asked (the request is refused, never silently empty)."""
    viewer = request.get(VIEWER)
    who = (
        f"staff {viewer.member.id} ({viewer.role} of {viewer.unit})"
        if isinstance(viewer, Viewer)
        else "anonymous"
    )
    log.warning(
        "web: 403 %s %s for %s from %s: %s", request.method, request.path, who, request.remote, what
    )
    return web.HTTPForbidden(text="403 无权访问")


def require(request: web.Request, allowed: bool, what: str) -> Viewer:
    viewer = viewer_of(request)
    if not allowed:
        raise deny(request, what)
    return viewer


def check_case(request: web.Request, case: Case | None) -> Case:
    """The case if the viewer may see it; 404 when there is none, 403 (logged) otherwise."""
    viewer = viewer_of(request)
    if case is None:
        raise web.HTTPNotFound(text="404 没有这个工单")
    if not viewer.may_view(case):
        raise deny(request, f"case {case.number} of {case.unit_name}")
    return case
