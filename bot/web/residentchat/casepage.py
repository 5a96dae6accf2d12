"""What a resident's case page shows: the case, its history in their words, what they may do.

Only events a resident should see are listed; who on the staff did something is never shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from handlers.policy.lifecycle import OPEN_STATES, CaseState
from storage.models import Case, CaseEvent

_WITHDRAWABLE = {CaseState.PENDING_DISPATCH.value, CaseState.DISPATCHED.value}


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    at: str
    text: str


@dataclass(frozen=True, slots=True)
class CaseView:
    number: str
    version: int
    request_type: str
    state: str
    unit: str | None
    deadline: str | None
    description: str
    timeline: tuple[TimelineEntry, ...]
    can_add: bool
    can_withdraw: bool
    can_rate: bool


def _local(moment: datetime | None, zone: ZoneInfo) -> str | None:
    return None if moment is None else moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def timeline(
    events: Sequence[CaseEvent], labels: Mapping[str, str], zone: ZoneInfo
) -> tuple[TimelineEntry, ...]:
    entries: list[TimelineEntry] = []
    for event in events:
        template = labels.get(f"ev.{event.action}")
        if template is None:
            continue  # internal steps (reminders, reviews) are not the resident's business
        unit = str(event.data.get("unit") or event.note or "") if event.data else event.note or ""
        text = template.format(unit=unit, note=event.note or "")
        entries.append(TimelineEntry(at=_local(event.at, zone) or "", text=text))
    return tuple(entries)


def case_view(
    case: Case,
    events: Sequence[CaseEvent],
    *,
    labels: Mapping[str, str],
    state_label: str,
    type_label: str,
    zone: ZoneInfo,
) -> CaseView:
    waiting_for_rating = (
        case.state == CaseState.RESOLVED
        and case.callback_sent_at is not None
        and case.satisfaction is None
    )
    return CaseView(
        number=case.number,
        version=case.version,
        request_type=type_label,
        state=state_label,
        unit=case.unit_name,
        deadline=_local(case.handle_deadline, zone)
        if CaseState(case.state) in OPEN_STATES
        else None,
        description=case.description,
        timeline=timeline(events, labels, zone),
        can_add=CaseState(case.state) in OPEN_STATES,
        can_withdraw=case.state in _WITHDRAWABLE,
        can_rate=waiting_for_rating,
    )
