"""How a case looks in lists: one row with its SLA light (红灯 past the clock, 黄灯 inside the
warning lead, 绿灯 otherwise), times in the district's zone, the text masked and shortened."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from handlers.context import CoreDeps
from handlers.policy.casetypes import Urgency
from handlers.policy.lifecycle import CaseState
from handlers.texts import Texts
from handlers.validation import mask_personal_data
from storage.models import Case

UNSIGNED = (CaseState.DISPATCHED.value,)
HANDLING = (CaseState.ACCEPTED.value, CaseState.REOPENED.value)
_SUMMARY_CHARS = 60


def local(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else "—"


def running_deadline(case: Case) -> datetime | None:
    """The clock that runs now: signing for a dispatched case, handling once signed."""
    if case.state in UNSIGNED:
        return case.sign_deadline
    if case.state in HANDLING:
        return case.handle_deadline
    return None


def light(case: Case, now: datetime, deps: CoreDeps) -> str:
    """ "red", "yellow", "green", or "" when no clock runs."""
    deadline = running_deadline(case)
    if deadline is None:
        return ""
    if now > deadline:
        return "red"
    sla = deps.sla
    lead = sla.warning_lead_urgent if case.urgency == Urgency.URGENT.value else sla.warning_lead
    if now >= lead.before(deps.calendar, deadline):
        return "yellow"
    return "green"


LIGHT_NAMES = {"red": "超期", "yellow": "临期", "green": "正常", "": ""}


@dataclass(frozen=True, slots=True)
class CaseRow:
    id: int
    number: str
    kind: str
    state: str
    state_label: str
    unit: str
    category: str
    place: str
    created: str
    deadline: str
    light: str
    light_label: str
    summary: str


def case_row(case: Case, *, now: datetime, deps: CoreDeps, texts: Texts) -> CaseRow:
    shade = light(case, now, deps)
    text = mask_personal_data(case.description)
    if len(text) > _SUMMARY_CHARS:
        text = text[:_SUMMARY_CHARS] + "…"
    return CaseRow(
        id=case.id,
        number=case.number,
        kind=texts(f"type.{case.request_type}"),
        state=case.state,
        state_label=texts(f"state.{case.state}"),
        unit=case.unit_name or "—",
        category="/".join(x for x in (case.category, case.subcategory) if x) or "—",
        place=case.place_text or case.place_unit or "—",
        created=local(case.created_at, deps.zone),
        deadline=local(running_deadline(case), deps.zone),
        light=shade,
        light_label=LIGHT_NAMES[shade],
        summary=text,
    )
