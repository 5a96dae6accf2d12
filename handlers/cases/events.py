"""What every action on a case shares: refusing what is not allowed, moving state, logging it.

A `Refused` is answered with a short text and logged as a warning by the desk; the transaction
still commits (the refusal changed nothing, and the inbound message id stays recorded, so a
replayed delivery is not handled twice).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.errors import UserError
from handlers.policy.lifecycle import can_move
from storage.cases import add_event
from storage.models import Case, CaseEvent, StaffMember


class Refused(UserError):
    """A request the sender may not make, or no longer: forged, replayed or out of date."""

    def __init__(self, reason: str, key: str = "desk.refused") -> None:
        super().__init__(key)
        self.reason = reason


def actor_of(member: StaffMember) -> tuple[str, str]:
    """The (actor_kind, actor_id) a staff member's events are written with."""
    kind = member.role if member.role in ("dispatcher", "supervisor") else "staff"
    return kind, str(member.id)


def check_card(case: Case | None, *, version: int | None, states: set[str]) -> Case:
    """The case behind a pressed button, if the button still fits it; Refused otherwise."""
    if case is None:
        raise Refused("no such case")
    if version is None or case.version != version:
        raise Refused(f"stale card v{version}, case is v{case.version}", key="desk.stale")
    if case.state not in states:
        raise Refused(f"state {case.state} does not allow this")
    return case


def check_unit(case: Case, member: StaffMember) -> None:
    if member.role not in ("staff", "head") or case.unit_name != member.unit_name:
        raise Refused(f"case of {case.unit_name} pressed by {member.role} of {member.unit_name}")


def check_move(case: Case, to_state: str) -> None:
    """Refused unless the case may go to `to_state` now."""
    if not can_move(case.state, to_state):
        raise Refused(f"transition {case.state} -> {to_state} not allowed")


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
    case.version += 1
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
