"""The case page's forms: each POST is parsed, checked for the case's visibility, and handed to
one case command (`run_command`); the answer is a redirect back to the case (so a reload does not
post again), or the case page with the refusal."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from bot.web.access import viewer_of
from bot.web.context import deps_of
from bot.web.deskcommands import ActionRefused, run_command
from bot.web.pages.casepage import load_case, render_case
from bot.web.pages.uploads import UploadRefused, stored_photos
from handlers.cases import commands
from handlers.cases.commands import RefusalCode
from storage.models import Case

log = logging.getLogger(__name__)

_STATUS = {RefusalCode.NOT_YOUR_UNIT: 403, RefusalCode.FORBIDDEN: 403, RefusalCode.NOT_FOUND: 404}


def _int(value: object, default: int = -1) -> int:
    return int(value) if isinstance(value, str) and value.isdigit() else default


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


Form = MultiDictProxy[Any]
Command = Callable[..., Awaitable[object]]
# Each form of the case page: the case command it runs on (case id, version=the page's version,
# **the fields read here), and the word for the flash after it. Everything is checked again by
# the command itself.
_FORMS: dict[
    str, tuple[Callable[..., Awaitable[object]], Callable[[Form], dict[str, object]], str]
] = {
    "sign": (commands.sign, lambda form: {}, "signed"),
    "reply": (commands.reply, lambda form: {"text": _str(form.get("text"))}, "replied"),
    "extend": (
        commands.request_extension,
        lambda form: {"days": _int(form.get("days"), 0), "reason": _str(form.get("reason"))},
        "extension",
    ),
    "return": (
        commands.return_case,
        lambda form: {"reason": _str(form.get("reason")), "note": _str(form.get("note")) or None},
        "returned",
    ),
    "resolve": (commands.resolve, lambda form: {"result": _str(form.get("result"))}, "resolved"),
    "assign": (commands.assign, lambda form: {"unit": _str(form.get("unit")).strip()}, "assigned"),
}


async def _act(request: web.Request, case: Case, action: str) -> str:
    """Run the action's command; returns the flash word."""
    deps = deps_of(request)
    member = viewer_of(request).member
    form = await request.post()
    if action == "decide":
        approve = form.get("decision") == "approve"
        await run_command(
            deps.app,
            member,
            commands.decide_extension,
            _int(form.get("request")),
            approve=approve,
        )
        return "approved" if approve else "denied"
    if action not in _FORMS:
        raise web.HTTPNotFound()
    command, fields, done = _FORMS[action]
    extra = fields(form)
    if action == "resolve":
        # The photos go to the media store first; the command gets their references.
        extra["photos"] = await stored_photos(deps, form)
    await run_command(
        deps.app, member, command, case.id, version=_int(form.get("version")), **extra
    )
    return done


async def case_action(request: web.Request) -> web.Response:
    deps = deps_of(request)
    case, _ = await load_case(request, deps)  # 404 / 403 before anything is parsed
    action = request.match_info["action"]
    member = viewer_of(request).member
    try:
        done = await _act(request, case, action)
    except (ActionRefused, UploadRefused) as refusal:
        log.warning(
            "web: %s of case %s by staff %s refused: %s", action, case.number, member.id, refusal
        )
        case, events = await load_case(request, deps)
        if isinstance(refusal, UploadRefused):
            message, status = str(refusal), refusal.status
        else:
            message, status = refusal.message, _STATUS.get(refusal.code, 409)
        return render_case(request, deps, case, events, error=message, status=status)
    log.info("web: %s of case %s by staff %s", action, case.number, member.id)
    # A returned case has left the unit's view: go where the viewer can look.
    target = f"/desk/cases/{case.number}?done={done}"
    if action == "return":
        target = f"/desk/cases?done={done}"
    raise web.HTTPSeeOther(target)
