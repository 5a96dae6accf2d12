"""派单: cases no unit holds (the router was unsure, or a unit returned them), with the router's
suggestions and reasons, the return reason, and an assign form with a unit search box."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.web.access import require, viewer_of
from bot.web.context import deps_of
from bot.web.render import render
from bot.web.views import CaseRow, case_row
from bot.web.wording import RETURN_NAMES
from handlers.desk.cards import suggestions
from handlers.policy.lifecycle import CaseState
from handlers.validation import mask_personal_data
from storage.caselist import last_event_of
from storage.casequeries import cases_in_states

_SHOWN = 100


@dataclass(frozen=True, slots=True)
class QueueItem:
    row: CaseRow
    version: int
    text: str
    suggested: list[str]
    reasons: str
    returned_by: str | None
    return_reason: str | None


def _reasons(routing: dict[str, Any]) -> str:
    matched = routing.get("matched") or []
    words = [str(m.get("word", m)) if isinstance(m, dict) else str(m) for m in matched][:6]
    confidence = routing.get("confidence")
    parts = []
    if words:
        parts.append("关键词：" + "、".join(words))
    if isinstance(confidence, int | float):
        parts.append(f"置信度 {confidence:.2f}")
    return "；".join(parts) or "—"


async def queue(request: web.Request) -> web.Response:
    viewer = viewer_of(request)
    require(request, viewer.dispatches or viewer.supervises, "the queue is for the centre")
    deps = deps_of(request)
    now = deps.core.clock.now()
    async with deps.app.sessionmaker() as session:
        cases = await cases_in_states(
            session=session, states=[CaseState.PENDING_DISPATCH.value], limit=_SHOWN
        )
        returns = await last_event_of(
            session=session, case_ids=[c.id for c in cases], action="returned"
        )
    items = []
    for case in cases:
        returned = returns.get(case.id)
        data = returned.data if returned is not None else {}
        by = str(data.get("unit")) if returned is not None else None
        reason = None
        if returned is not None:
            reason = RETURN_NAMES.get(str(data.get("reason")), "")
            if data.get("note"):
                reason += "：" + mask_personal_data(str(data["note"]))
        items.append(
            QueueItem(
                row=case_row(case, now=now, deps=deps.core, texts=deps.texts),
                version=case.version,
                text=mask_personal_data(case.description),
                suggested=suggestions(case, exclude=by),
                reasons=_reasons(case.routing or {}),
                returned_by=by,
                return_reason=reason,
            )
        )
    units = [u.name for u in deps.app.router.directory.units]
    return render(
        request, "queue.html", {"items": items, "units": units, "can_assign": viewer.dispatches}
    )
