"""知识库: the entries (search, unit, validity), the edit form, proposals and the figures.

Everyone signed in reads the entries; supervisors (admins are supervisors) create and edit them,
decide proposals and see the figures; unit staff propose an entry from a 咨询 case their unit
closed, and see what became of their unit's proposals. Every rule is checked here, on the
server, whatever the page offered; the writing itself is `bot.kbdesk`'s (shared with the CLI).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from aiohttp import web

from bot.kbdesk import (
    EntryErrors,
    EntryForm,
    approve_proposal,
    kb_stats,
    propose,
    read_library,
    reject_proposal,
    save_entry,
)
from bot.web import params
from bot.web.access import Viewer, require, viewer_of
from bot.web.context import WebDeps, deps_of
from bot.web.pages.casepage import load_case
from bot.web.pages.period import period_of
from bot.web.render import render
from handlers.desk.kbpropose import CLOSED_STATES, QUESTION, proposal_title, unit_answer
from handlers.validation import mask_personal_data
from nlp.kb.entries import Entry, KbDataError
from storage.kb_proposals import KbProposalError, kb_proposals
from storage.models import Case, CaseEvent

log = logging.getLogger(__name__)

VALIDITY = {"valid": "有效", "expired": "已过期", "future": "未生效", "all": "全部"}
_FLASH = {
    "saved": "条目已保存，知识库已重新加载",
    "proposed": "已提交督查员审核",
    "approved": "已采纳，条目已写入知识库",
    "rejected": "已退回，提议人将收到原因",
}
_MAX_ANSWER = 4000


@dataclass(frozen=True, slots=True)
class EntryRow:
    entry: Entry
    state: str  # valid / expired / future
    source: str


def _state(entry: Entry, today: date) -> str:
    if entry.valid_until < today:
        return "expired"
    if entry.valid_from > today:
        return "future"
    return "valid"


def _matches(entry: Entry, needle: str) -> bool:
    hay = " ".join((entry.id, entry.title, entry.answer, *entry.tags, *entry.variants))
    return needle.lower() in hay.lower()


def _today(deps: WebDeps) -> date:
    return deps.core.clock.now().astimezone(deps.core.zone).date()


async def kb_page(request: web.Request) -> web.Response:
    viewer = viewer_of(request)
    deps = deps_of(request)
    query = request.query
    needle = params.text(query, "q") or ""
    unit = params.text(query, "unit") or ""
    validity = query.get("validity", "all")
    validity = validity if validity in VALIDITY else "all"
    today = _today(deps)
    library = read_library(deps.app)
    rows = [
        EntryRow(e, _state(e, today), e.source.pointer())
        for e in library.entries
        if (not needle or _matches(e, needle))
        and (not unit or e.unit == unit)
        and (validity == "all" or _state(e, today) == validity)
    ]
    kb = deps.core.knowledge
    # The retrieval's own view of the text, as the chat would answer it (explainable).
    found = kb.search(needle, limit=5, today=today) if kb is not None and needle else []
    async with deps.app.sessionmaker() as session:
        proposals = await kb_proposals(session=session)
    if not viewer.supervises:
        proposals = [(p, n) for p, n in proposals if p.unit_name == viewer.unit]
    context: dict[str, Any] = {
        "rows": rows,
        "total": len(library.entries),
        "q": needle,
        "unit": unit,
        "validity": validity,
        "validities": VALIDITY,
        "units": sorted({e.unit for e in library.entries}),
        "found": [(a, kb.confident(a)) for a in found] if kb is not None else [],
        "pending": [(p, n) for p, n in proposals if p.status == "pending"],
        "decided": [(p, n) for p, n in proposals if p.status != "pending"][-20:],
        "flash": _FLASH.get(query.get("done", "")),
        "live": kb is not None,
    }
    if viewer.supervises:
        period = period_of(request, deps)
        context["period"] = period
        stats = await kb_stats(
            deps.app, since=period.start, until=period.end, first=period.first, last=period.last
        )
        # Residents' own words: phone and ID numbers masked, as everywhere in staff views.
        masked = [{**u, "text": mask_personal_data(u["text"])} for u in stats.unmatched]
        context["stats"] = replace(stats, unmatched=masked)
    return render(request, "kb.html", context)


# -- the entry form --------------------------------------------------------------------------


def _form_page(
    request: web.Request,
    form: EntryForm,
    *,
    editing: str | None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> web.Response:
    viewer = viewer_of(request)
    library = read_library(deps_of(request).app)
    current = library.entry(editing) if editing else None
    return render(
        request,
        "kb_entry.html",
        {
            "form": form,
            "editing": editing,
            "errors": errors or {},
            "units": library.units,
            "may_edit": viewer.supervises,
            "flash": _FLASH.get(request.query.get("done", "")),
            "file": current.file.name if current else "",
        },
        status=status,
    )


async def entry_page(request: web.Request) -> web.Response:
    viewer_of(request)
    entry_id = request.match_info["entry_id"]
    entry = read_library(deps_of(request).app).entry(entry_id)
    if entry is None:
        raise web.HTTPNotFound(text="404 没有这个条目")
    return _form_page(request, EntryForm.of(entry), editing=entry_id)


async def new_entry_page(request: web.Request) -> web.Response:
    viewer = require(request, viewer_of(request).supervises, "editing the knowledge base")
    deps = deps_of(request)
    today = _today(deps)
    form = EntryForm(
        unit=viewer.unit,
        valid_from=today.isoformat(),
        valid_until=today.replace(year=today.year + 1).isoformat(),
    )
    return _form_page(request, form, editing=None)


async def save_entry_form(request: web.Request) -> web.Response:
    viewer = require(request, viewer_of(request).supervises, "editing the knowledge base")
    deps = deps_of(request)
    editing = request.match_info.get("entry_id")
    form = EntryForm.posted(await request.post())
    if len(form.answer) > _MAX_ANSWER:
        return _form_page(
            request,
            form,
            editing=editing,
            errors={"answer": f"answer: at most {_MAX_ANSWER} characters"},
            status=422,
        )
    who = f"{viewer.login} (staff {viewer.member.id})"
    try:
        entry = await save_entry(deps.app, form, editing=editing, who=who)
    except EntryErrors as exc:
        return _form_page(request, form, editing=editing, errors=exc.errors, status=422)
    except KbDataError as exc:  # the file around the entry no longer loads
        return _form_page(request, form, editing=editing, errors={"id": str(exc)}, status=422)
    log.info("web: knowledge entry %s saved by staff %s", entry.id, viewer.member.id)
    raise web.HTTPSeeOther(f"/desk/kb/entries/{entry.id}?done=saved")


# -- proposals -------------------------------------------------------------------------------


def _may_propose(viewer: Viewer, case: Case) -> bool:
    return (
        viewer.works_a_unit
        and case.unit_name == viewer.unit
        and case.request_type == QUESTION
        and case.state in CLOSED_STATES
    )


async def _proposable(request: web.Request) -> tuple[Viewer, Case, list[CaseEvent]]:
    viewer = viewer_of(request)
    case, events = await load_case(request, deps_of(request))  # 404 / 403 for other units
    require(request, _may_propose(viewer, case), f"proposing from case {case.number}")
    return viewer, case, events


async def propose_page(request: web.Request) -> web.Response:
    _, case, events = await _proposable(request)
    return render(
        request,
        "kb_propose.html",
        {
            "case": case,
            "title": proposal_title(case.description),
            "answer": mask_personal_data(unit_answer(events)),
            "error": None,
        },
    )


async def propose_form(request: web.Request) -> web.Response:
    viewer, case, _ = await _proposable(request)
    form = await request.post()
    title = str(form.get("title") or "").strip()
    answer = str(form.get("answer") or "").strip()[:_MAX_ANSWER]
    try:
        proposal = await propose(
            deps_of(request).app, viewer.member, case.id, title=title, answer=answer
        )
    except KbProposalError as exc:
        return render(
            request,
            "kb_propose.html",
            {"case": case, "title": title, "answer": answer, "error": str(exc)},
            status=422,
        )
    log.info(
        "web: proposal %s from case %s by staff %s", proposal.id, case.number, viewer.member.id
    )
    raise web.HTTPSeeOther("/desk/kb?done=proposed")


async def decide(request: web.Request) -> web.Response:
    viewer = require(request, viewer_of(request).supervises, "deciding proposals")
    deps = deps_of(request)
    raw = request.match_info["proposal_id"]
    if not raw.isdigit():
        raise web.HTTPNotFound()
    form = await request.post()
    note = str(form.get("note") or "").strip()[:500] or None
    try:
        if request.match_info["decision"] == "approve":
            entry_id, _ = await approve_proposal(
                deps.app, int(raw), decided_by=viewer.member.id, note=note
            )
            log.info("web: proposal %s approved as %s by staff %s", raw, entry_id, viewer.member.id)
            raise web.HTTPSeeOther(f"/desk/kb/entries/{entry_id}?done=approved")
        if not note:
            raise KbProposalError("a rejection needs a reason for the proposer")
        await reject_proposal(deps.app, int(raw), decided_by=viewer.member.id, note=note)
    except (KbProposalError, KbDataError, FileExistsError) as exc:
        raise web.HTTPConflict(text=f"409 {exc}") from exc
    log.info("web: proposal %s rejected by staff %s", raw, viewer.member.id)
    raise web.HTTPSeeOther("/desk/kb?done=rejected")


def install_routes(desk: web.Application) -> None:
    """The 知识库 routes of the staff area (behind its login and CSRF middlewares)."""
    desk.router.add_get("/kb", kb_page)
    desk.router.add_get("/kb/new", new_entry_page)
    desk.router.add_post("/kb/new", save_entry_form)
    desk.router.add_get("/kb/entries/{entry_id}", entry_page)
    desk.router.add_post("/kb/entries/{entry_id}", save_entry_form)
    desk.router.add_get("/kb/propose/{number}", propose_page)
    desk.router.add_post("/kb/propose/{number}", propose_form)
    desk.router.add_post("/kb/proposals/{proposal_id}/{decision:approve|reject}", decide)
