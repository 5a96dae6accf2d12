"""One case: text, photos, place, contact (only if the resident allowed it), deadlines, the
event timeline in words, and the actions this viewer may take now."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web

from bot.web.access import Viewer, check_case, viewer_of
from bot.web.context import WebDeps, deps_of
from bot.web.pages.uploads import ACCEPT, limits_text
from bot.web.render import render
from bot.web.views import case_row, local
from bot.web.wording import CHANNEL_NAMES, RETURN_NAMES, describe
from handlers.cases.extensions import summarise
from handlers.policy.lifecycle import CaseState
from handlers.validation import mask_personal_data, mask_phone
from storage.caselist import case_by_number, events_of_cases
from storage.media import PREFIX, MediaError, image_type, is_media_ref
from storage.models import Case, CaseEvent

_FLASH = {
    "signed": "已签收",
    "replied": "回复已发给群众",
    "extension": "延期申请已提交督查员",
    "returned": "已退单，工单回到派单队列",
    "resolved": "已办结，群众将收到结果和回访",
    "assigned": "已派单",
    "approved": "已批准延期",
    "denied": "已驳回延期",
}


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    at: str
    who: str
    text: str
    photos: tuple[str, ...] = ()  # the digests of the event's media-store photos (办结 photos)


def _event_photos(event: CaseEvent) -> tuple[str, ...]:
    refs = (event.data or {}).get("photos") or ()
    return tuple(str(r).removeprefix(PREFIX) for r in refs if is_media_ref(str(r)))


def allowed_actions(
    viewer: Viewer, case: Case, *, now: datetime, pending: CaseEvent | None
) -> set[str]:
    """What to offer; the case commands check everything again when the form comes back."""
    state = case.state
    offered: set[str] = set()
    if viewer.works_a_unit and case.unit_name == viewer.unit:
        if state in (CaseState.DISPATCHED, CaseState.REOPENED):
            offered.add("sign")
        if state in (CaseState.DISPATCHED, CaseState.ACCEPTED, CaseState.REOPENED):
            offered.add("reply")
        if state == CaseState.DISPATCHED and case.return_deadline and now <= case.return_deadline:
            offered.add("return")
        if state in (CaseState.ACCEPTED, CaseState.REOPENED):
            offered.add("resolve")
            if pending is None and case.handle_deadline and now <= case.handle_deadline:
                offered.add("extend")
    if viewer.dispatches and state == CaseState.PENDING_DISPATCH:
        offered.add("assign")
    if viewer.supervises and pending is not None:
        offered.add("decide")
    return offered


async def load_case(request: web.Request, deps: WebDeps) -> tuple[Case, list[CaseEvent]]:
    number = request.match_info["number"]
    async with deps.app.sessionmaker() as session:
        case = check_case(request, await case_by_number(session=session, number=number))
        events = (await events_of_cases(session=session, case_ids=[case.id]))[case.id]
    return case, events


async def case_page(request: web.Request) -> web.Response:
    deps = deps_of(request)
    case, events = await load_case(request, deps)
    return render_case(request, deps, case, events, flash=_FLASH.get(request.query.get("done", "")))


async def case_live(request: web.Request) -> web.Response:
    """The htmx poll of an open case page: 204 while the case is at the version the page shows;
    once it moved (in Telegram, another browser, a timer), the page as it is now."""
    deps = deps_of(request)
    case, events = await load_case(request, deps)
    if str(case.version) == request.query.get("version"):
        return web.Response(status=204)
    return render_case(request, deps, case, events, flash="工单已有新进展，页面已更新")


def render_case(
    request: web.Request,
    deps: WebDeps,
    case: Case,
    events: list[CaseEvent],
    *,
    flash: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> web.Response:
    viewer = viewer_of(request)
    now = deps.core.clock.now()
    zone = deps.core.zone
    pending = summarise(events).pending
    shared = bool(case.share_identity and case.contact_phone)
    contact = (
        case.contact_phone
        if shared
        else (
            f"{mask_phone(case.contact_phone)}（群众未同意公开）" if case.contact_phone else "未留"
        )
    )
    timeline = [
        TimelineEntry(
            at=local(e.at, zone), who=e.actor_kind, text=describe(e), photos=_event_photos(e)
        )
        for e in events
    ]
    photos = [i for i, ref in enumerate(case.photos or []) if is_media_ref(str(ref))]
    context: dict[str, Any] = {
        "case": case,
        "row": case_row(case, now=now, deps=deps.core, texts=deps.texts),
        "text": mask_personal_data(case.description),
        "contact": contact,
        "channel": CHANNEL_NAMES.get(case.channel, case.channel),
        "deadlines": {
            "签收时限": local(case.sign_deadline, zone),
            "办理时限": local(case.handle_deadline, zone),
            "退单截止": local(case.return_deadline, zone),
        },
        "timeline": timeline,
        "photos": photos,
        "chat_photos": len(case.photos or []) - len(photos),
        "actions": allowed_actions(viewer, case, now=now, pending=pending),
        "pending": pending,
        "return_reasons": list(RETURN_NAMES.items()),
        "units": [u.name for u in deps.app.router.directory.units],
        "upload_limits": limits_text(deps),
        "photo_types": ACCEPT,
        "flash": flash,
        "error": error,
    }
    return render(request, "case.html", context, status=status)


async def case_photo(request: web.Request) -> web.Response:
    """A photo of the case from the media store, for viewers who may see the case."""
    deps = deps_of(request)
    case, _ = await load_case(request, deps)
    index = request.match_info["index"]
    photos = [str(ref) for ref in case.photos or []]
    if not index.isdigit() or int(index) >= len(photos) or not is_media_ref(photos[int(index)]):
        raise web.HTTPNotFound()
    return await _photo_response(deps, photos[int(index)])


async def case_media(request: web.Request) -> web.Response:
    """A photo attached to one of the case's events (the unit's 办结 photos), by its digest;
    only a photo the case's log names is served, to viewers who may see the case."""
    deps = deps_of(request)
    _, events = await load_case(request, deps)
    digest = request.match_info["digest"]
    if not any(digest in _event_photos(e) for e in events):
        raise web.HTTPNotFound()
    return await _photo_response(deps, PREFIX + digest)


async def _photo_response(deps: WebDeps, ref: str) -> web.Response:
    try:
        data = await asyncio.to_thread(deps.app.media.open, ref)
    except MediaError as exc:
        raise web.HTTPNotFound() from exc
    kind = image_type(data) or "octet-stream"
    content_type = "image/jpeg" if kind == "jpg" else f"image/{kind}"
    return web.Response(body=data, content_type=content_type)
