"""The case page's forms: each POST is parsed, checked for the case's visibility, and handed to
one case command (`CaseWork`); the answer is a redirect back to the case (so a reload does not
post again), or the case page with the refusal."""

from __future__ import annotations

import logging

from aiohttp import web

from bot.web.access import viewer_of
from bot.web.context import deps_of
from bot.web.deskcommands import ActionRefused, CaseWork
from bot.web.pages.casepage import load_case, render_case
from bot.web.pages.uploads import UploadRefused, stored_photos
from handlers.cases.commands import RefusalCode

log = logging.getLogger(__name__)

_STATUS = {RefusalCode.NOT_YOUR_UNIT: 403, RefusalCode.FORBIDDEN: 403, RefusalCode.NOT_FOUND: 404}


def _int(value: object, default: int = -1) -> int:
    return int(value) if isinstance(value, str) and value.isdigit() else default


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


async def case_action(request: web.Request) -> web.Response:
    deps = deps_of(request)
    viewer = viewer_of(request)
    case, events = await load_case(request, deps)  # 404 / 403 before anything is parsed
    action = request.match_info["action"]
    form = await request.post()
    version = _int(form.get("version"))
    work = CaseWork(deps.app)
    member = viewer.member
    try:
        if action == "sign":
            await work.sign(member, case.id, version=version)
            done = "signed"
        elif action == "reply":
            await work.reply(member, case.id, version=version, text=_str(form.get("text")))
            done = "replied"
        elif action == "extend":
            await work.request_extension(
                member,
                case.id,
                version=version,
                days=_int(form.get("days"), 0),
                reason=_str(form.get("reason")),
            )
            done = "extension"
        elif action == "return":
            await work.return_case(
                member,
                case.id,
                version=version,
                reason=_str(form.get("reason")),
                note=_str(form.get("note")) or None,
            )
            done = "returned"
        elif action == "resolve":
            photos = await stored_photos(deps, form)
            await work.resolve(
                member, case.id, version=version, result=_str(form.get("result")), photos=photos
            )
            done = "resolved"
        elif action == "assign":
            await work.assign(member, case.id, version=version, unit=_str(form.get("unit")).strip())
            done = "assigned"
        elif action == "decide":
            approve = form.get("decision") == "approve"
            await work.decide_extension(
                member, case.id, request_id=_int(form.get("request")), approve=approve
            )
            done = "approved" if approve else "denied"
        else:
            raise web.HTTPNotFound()
    except (ActionRefused, UploadRefused) as refusal:
        log.warning(
            "web: %s of case %s by staff %s refused: %s", action, case.number, member.id, refusal
        )
        case, events = await load_case(request, deps)
        status = (
            refusal.status if isinstance(refusal, UploadRefused) else _STATUS.get(refusal.code, 409)
        )
        return render_case(request, deps, case, events, error=refusal.message, status=status)
    log.info("web: %s of case %s by staff %s", action, case.number, member.id)
    # A returned or re-assigned case may have left a unit's view: go where the viewer can look.
    target = f"/desk/cases/{case.number}?done={done}"
    if action in ("return",):
        target = f"/desk/cases?done={done}"
    raise web.HTTPSeeOther(target)
