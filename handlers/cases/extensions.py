"""Extension (延期) bookkeeping read from a case's event log: how many working days were granted,
and which request is still waiting for a supervisor."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy.ext.asyncio import AsyncSession

from storage.casequeries import case_events
from storage.models import CaseEvent

REQUESTED = "extension_requested"
APPROVED = "extension_approved"
DENIED = "extension_denied"


class ExtensionStatus(NamedTuple):
    granted_days: int
    pending: CaseEvent | None
    # Ids of requests already approved or denied: pressing their buttons again is a replay.
    decided: frozenset[int]


def summarise(events: Sequence[CaseEvent]) -> ExtensionStatus:
    granted = 0
    decided: set[int] = set()
    for event in events:
        if event.action in (APPROVED, DENIED):
            decided.add(int(event.data.get("request", 0)))
            if event.action == APPROVED:
                granted += int(event.data.get("days", 0))
    pending = [e for e in events if e.action == REQUESTED and e.id not in decided]
    return ExtensionStatus(
        granted_days=granted, pending=pending[-1] if pending else None, decided=frozenset(decided)
    )


async def extension_status(*, session: AsyncSession, case_id: int) -> ExtensionStatus:
    events = await case_events(
        session=session, case_id=case_id, actions=(REQUESTED, APPROVED, DENIED)
    )
    return summarise(events)
