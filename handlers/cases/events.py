"""The low-level writes of a case: move state, bump the version, log an event.

Private to `handlers.cases`: every other module changes a case through the case commands
(`handlers.cases.commands`), which check permission, state and version before calling these.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.cases.refusal import Refusal, RefusalCode
from handlers.policy.lifecycle import can_move
from storage.cases import add_event
from storage.models import Case, CaseEvent


def check_move(case: Case, to_state: str) -> None:
    """Refusal unless the case may go to `to_state` now."""
    if not can_move(case.state, to_state):
        raise Refusal(
            RefusalCode.WRONG_STATE, f"transition {case.state} -> {to_state}", state=case.state
        )


def bump(case: Case) -> None:
    """A new version: cards and buttons showing an older one go stale, timers are planned again."""
    case.version += 1


async def move(
    *,
    session: AsyncSession,
    case: Case,
    to_state: str,
    now: datetime,
    actor: tuple[str, str | None],
    action: str,
    note: str | None = None,
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    """`change_state`, flushed so the event has its id.

    A case not yet written (just filed) is inserted by this flush, already in its new state.
    """
    event = change_state(
        session=session,
        case=case,
        to_state=to_state,
        now=now,
        actor=actor,
        action=action,
        note=note,
        data=data,
    )
    await session.flush()
    return event


def change_state(
    *,
    session: AsyncSession,
    case: Case,
    to_state: str,
    now: datetime,
    actor: tuple[str, str | None],
    action: str,
    note: str | None = None,
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    """One transition: new state, version + 1 (older cards go stale), one event in the log.

    Every state change of a case goes through here (staff, dispatchers, residents, follow-ups).
    """
    check_move(case, to_state)
    from_state = case.state
    case.state = to_state
    bump(case)
    return _log(session, case, now, actor, action, (from_state, to_state), note, data)


async def record(
    *,
    session: AsyncSession,
    case: Case,
    now: datetime,
    actor: tuple[str, str | None],
    action: str,
    note: str | None = None,
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    """An event that leaves the state alone (a reply, added information); flushed for its id."""
    event = _log(session, case, now, actor, action, (None, None), note, data)
    await session.flush()
    return event


def _log(
    session: AsyncSession,
    case: Case,
    now: datetime,
    actor: tuple[str, str | None],
    action: str,
    states: tuple[str | None, str | None],
    note: str | None,
    data: dict[str, Any] | None,
) -> CaseEvent:
    case.updated_at = now
    return add_event(
        session=session,
        case=case,
        at=now,
        actor_kind=actor[0],
        actor_id=actor[1],
        action=action,
        from_state=states[0],
        to_state=states[1],
        note=note,
        data=data,
    )
