"""How a case looks to staff and operators: personal data masked (design.md §6)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from handlers.validation import mask_personal_data, mask_phone
from storage.models import Case, CaseEvent


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def case_row(case: Case) -> dict[str, Any]:
    """One line of a case list."""
    return {
        "number": case.number,
        "state": case.state,
        "type": case.request_type,
        "category": case.category,
        "subcategory": case.subcategory,
        "unit": case.unit_name,
        "created_at": _iso(case.created_at),
    }


def case_detail(case: Case, events: list[CaseEvent]) -> dict[str, Any]:
    """The whole case for a staff view: text, place, contact (masked) and its event log."""
    detail = case_row(case)
    detail.update(
        {
            "urgency": case.urgency,
            "text": mask_personal_data(case.description),
            "place": mask_personal_data(case.place_text) if case.place_text else None,
            "place_subdistrict": case.place_unit,
            "location": ([case.latitude, case.longitude] if case.latitude is not None else None),
            "photos": list(case.photos or []),
            "contact": mask_phone(case.contact_phone) if case.contact_phone else None,
            "anonymous": case.anonymous,
            "emergency": case.emergency,
            "confidence": case.confidence,
            "channel": case.channel,
            "sign_deadline": _iso(case.sign_deadline),
            "handle_deadline": _iso(case.handle_deadline),
            "events": [
                {
                    "at": _iso(e.at),
                    "actor": e.actor_kind,
                    "action": e.action,
                    "from": e.from_state,
                    "to": e.to_state,
                    "note": mask_personal_data(e.note) if e.note else None,
                }
                for e in events
            ],
        }
    )
    return detail
