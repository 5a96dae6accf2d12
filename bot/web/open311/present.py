"""A case as a GeoReport v2 service request: public fields only, never personal data.

Status: the spec knows open and closed. As FixMyStreet's Open311 server does with its richer
states, every internal state maps to one of them (已办结 counts as closed, as FixMyStreet counts
"fixed"; a 重办 reopens it), and the exact state is the extension field `detailed_status`
(documented in the README). Descriptions and notes are masked for phone and ID numbers; the
resident, their phone and any contact detail are never part of a request.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.web.open311.catalogue import ServiceCatalogue
from handlers.policy.lifecycle import OPEN_STATES, CaseState
from handlers.validation import mask_personal_data
from storage.models import Case, CaseEvent

OPEN = "open"
CLOSED = "closed"
# The events whose note explains the current state (status_notes).
NOTE_ACTIONS = ("resolved", "withdrawn")


def status_of(state: str) -> str:
    return OPEN if CaseState(state) in OPEN_STATES else CLOSED


def states_for(status: str) -> set[str]:
    """The internal states behind an Open311 status."""
    return {s.value for s in CaseState if status_of(s.value) == status}


def w3c(moment: datetime | None, zone: ZoneInfo) -> str | None:
    """ISO 8601 in local time with its offset, e.g. 2026-11-25T10:00:00+08:00."""
    return None if moment is None else moment.astimezone(zone).isoformat(timespec="seconds")


def status_notes(case: Case, note: CaseEvent | None) -> str | None:
    if case.state == CaseState.CANCELLED:
        return "群众已撤销"
    if case.state == CaseState.PENDING_DISPATCH:
        return "待派单"
    if note is not None and note.action == "resolved" and note.note:
        return mask_personal_data(note.note)
    return None


def service_notice(case: Case, zone: ZoneInfo) -> str | None:
    """What happens next, as a 12345 centre tells a caller."""
    if case.state == CaseState.PENDING_DISPATCH:
        return "已受理，等待派单员派单"
    if case.unit_name and case.handle_deadline is not None:
        by = case.handle_deadline.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        return f"已派至{case.unit_name}，应于{by}前办结"
    if case.unit_name:
        return f"已派至{case.unit_name}"
    return None


def request_fields(
    case: Case, catalogue: ServiceCatalogue, zone: ZoneInfo, note: CaseEvent | None
) -> dict[str, Any]:
    service = catalogue.by_name(case.subcategory)
    media = case.routing.get("media_urls") if isinstance(case.routing, Mapping) else None
    closed_at = case.closed_at or case.resolved_at if status_of(case.state) == CLOSED else None
    return {
        "service_request_id": case.number,
        "status": status_of(case.state),
        "detailed_status": case.state,
        "status_notes": status_notes(case, note),
        "service_name": service.name if service else None,
        "service_code": service.code if service else None,
        "description": mask_personal_data(case.description),
        "agency_responsible": case.unit_name,
        "service_notice": service_notice(case, zone),
        "requested_datetime": w3c(case.created_at, zone),
        # For a closed request the spec wants the closing time here.
        "updated_datetime": w3c(closed_at or case.updated_at, zone),
        "expected_datetime": w3c(case.handle_deadline, zone),
        "address": case.place_text,
        "address_id": None,
        "zipcode": None,
        "lat": case.latitude,
        "long": case.longitude,
        "media_url": media[0] if media else None,
    }
