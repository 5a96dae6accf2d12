"""State changes the follow-ups make: close (归档), reopen (重办). Each bumps the version (older
buttons go stale), logs one event and plans the case's timers again."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.cases.events import change_state
from handlers.context import CoreDeps
from handlers.followup.timers import plan
from handlers.policy.lifecycle import CaseState
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
    """`change_state`, then the case's timers planned again for its new state."""
    change_state(
        session=session,
        case=case,
        to_state=to_state,
        now=now,
        actor=actor,
        action=action,
        note=note,
        data=data,
    )
    plan(case, deps.calendar, deps.sla)


def close_case(
    *,
    session: AsyncSession,
    deps: CoreDeps,
    case: Case,
    now: datetime,
    action: str,
    actor: tuple[str, str | None] = ("system", None),
    data: dict[str, Any] | None = None,
) -> None:
    """Archive (已归档) the case: rated, auto-closed as 未评价, or handed to supervisor review."""
    case.closed_at = now
    transition(
        session=session,
        deps=deps,
        case=case,
        to_state=CaseState.CLOSED.value,
        now=now,
        action=action,
        actor=actor,
        data=data,
    )
