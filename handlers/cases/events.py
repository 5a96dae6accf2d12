"""The low-level writes of a case: move state, bump the version, log an event.

Private to `handlers.cases`: every other module changes a case through the case commands
(`handlers.cases.commands`), which check permission, state and version before calling these
through their `CommandContext`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.cases.refusal import Refusal, RefusalCode
from handlers.policy.lifecycle import can_move
from storage.cases import add_event
from storage.models import Case, CaseEvent


@dataclass(frozen=True, slots=True)
class Entry:
    """What one line of the event log says: who (kind, id), what, and its note and data."""

    actor: tuple[str, str | None]
    action: str
    note: str | None = None
    data: dict[str, Any] | None = None


def check_move(case: Case, to_state: str) -> None:
    """Refusal unless the case may go to `to_state` now."""
    if not can_move(case.state, to_state):
        raise Refusal(
            RefusalCode.WRONG_STATE, f"transition {case.state} -> {to_state}", state=case.state
        )


def bump(case: Case) -> None:
    """A new version: cards and buttons showing an older one go stale, timers are planned again."""
    case.version += 1


def change_state(
    session: AsyncSession, case: Case, to_state: str, now: datetime, entry: Entry
) -> CaseEvent:
    """One transition: new state, version + 1 (older cards go stale), one event in the log."""
    check_move(case, to_state)
    from_state = case.state
    case.state = to_state
    bump(case)
    return _log(session, case, now, entry, (from_state, to_state))


def note(session: AsyncSession, case: Case, now: datetime, entry: Entry) -> CaseEvent:
    """An event that leaves the state alone."""
    return _log(session, case, now, entry, (None, None))


def _log(
    session: AsyncSession,
    case: Case,
    now: datetime,
    entry: Entry,
    states: tuple[str | None, str | None],
) -> CaseEvent:
    case.updated_at = now
    return add_event(
        session=session,
        case=case,
        at=now,
        actor_kind=entry.actor[0],
        actor_id=entry.actor[1],
        action=entry.action,
        from_state=states[0],
        to_state=states[1],
        note=entry.note,
        data=entry.data,
    )
