"""State changes the follow-ups make: close (归档), reopen (重办). Each bumps the version (older
buttons go stale), logs one event and plans the case's timers again."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.context import CoreDeps
from handlers.followup.timers import plan
from handlers.lifecycle import can_move
from storage.cases import add_event
from storage.models import Case


def transition(
    *,
    session: AsyncSession,
    deps: CoreDeps,
    case: Case,
    to_state: str,
    now: datetime,
    action: str,
    actor: tuple[str, str | None] = ("system", None),
    note: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    if not can_move(case.state, to_state):
        raise ValueError(f"case {case.number}: {case.state} -> {to_state} is not allowed")
    from_state = case.state
    case.state = to_state
    case.version += 1
    case.updated_at = now
    add_event(
        session=session,
        case=case,
        at=now,
        actor_kind=actor[0],
        actor_id=actor[1],
        action=action,
        from_state=from_state,
        to_state=to_state,
        note=note,
        data=data,
    )
    plan(case, deps.calendar, deps.sla)
