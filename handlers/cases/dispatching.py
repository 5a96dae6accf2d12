"""Dispatch (派单): give a case to a unit, start its clocks, and tell everyone concerned.

One function for all three ways a case reaches a unit: routed at filing, assigned by a
dispatcher, re-assigned after a return (退单). Cases no unit could be chosen for go to the
dispatcher queue instead (`queue_for_dispatch`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.cases import notify
from handlers.cases.events import check_move, move
from handlers.context import CoreDeps
from handlers.conversation import payloads as p
from handlers.conversation.messages import Button, Outbound
from handlers.desk.cards import Cards
from handlers.policy.casetypes import RequestType, Urgency
from handlers.policy.lifecycle import CaseState
from handlers.policy.sla import compute_deadlines
from storage.models import Case


async def dispatch_case(
    *,
    session: AsyncSession,
    deps: CoreDeps,
    case: Case,
    unit: str,
    now: datetime,
    actor: tuple[str, str | None],
    action: str = "dispatched",
    tell_resident: bool = True,
    data: dict[str, Any] | None = None,
) -> None:
    """Move the case to `unit` (state dispatched, fresh clocks) and queue the pushes.

    `action` is "dispatched" when the router chose the unit and "assigned" when a dispatcher did.
    The resident is told unless the caller tells them itself (the filing receipt names the unit).
    """
    # Unit and clocks are set before the transition's flush, so one write carries all of it (for
    # a case just filed: the INSERT itself). The check comes first: a refused move changes nothing.
    check_move(case, CaseState.DISPATCHED)
    deadlines = compute_deadlines(
        deps.calendar,
        deps.sla,
        request_type=RequestType(case.request_type),
        urgency=Urgency(case.urgency),
        dispatched_at=now,
    )
    case.unit_name = unit
    case.dispatched_at = now
    case.signed_at = None
    case.sign_deadline = deadlines.sign_by
    case.handle_deadline = deadlines.handle_by
    case.return_deadline = deadlines.return_by
    await move(
        session=session,
        case=case,
        to_state=CaseState.DISPATCHED,
        now=now,
        actor=actor,
        action=action,
        note=unit,
        data={**(data or {}), "unit": unit},
    )

    cards = Cards(deps.texts, deps.zone)
    stamp = notify.version_stamp(case)
    await notify.push(
        session=session,
        case=case,
        kind=notify.CARD,
        stamp=stamp,
        recipients=await notify.unit_recipients(session=session, unit=unit),
        message=cards.staff_card(case, now=now, new=True),
        now=now,
    )
    if tell_resident:
        await notify.push(
            session=session,
            case=case,
            kind=notify.RESIDENT_STEP,
            stamp=stamp,
            recipients=await notify.resident_recipient(session=session, case=case),
            message=Outbound(
                deps.texts("resident.dispatched", number=case.number, unit=unit),
                buttons=(resident_buttons(deps, case),),
            ),
            now=now,
        )


def resident_buttons(deps: CoreDeps, case: Case) -> tuple[Button, ...]:
    """补充 and 撤销 under a message to the resident about a case not yet signed for."""
    return (
        Button(deps.texts("btn.add_info"), p.build(p.RESIDENT, "add", case.id)),
        Button(deps.texts("btn.withdraw"), p.build(p.RESIDENT, "wd", case.id, case.version)),
    )


async def queue_for_dispatch(
    *,
    session: AsyncSession,
    deps: CoreDeps,
    case: Case,
    now: datetime,
    returned: tuple[str, str] | None = None,
) -> None:
    """Push a case awaiting dispatch to every dispatcher, with the router's suggestions.

    `returned` is (unit, reason) when a unit sent the case back; that unit is not suggested.
    """
    message = Cards(deps.texts, deps.zone).dispatcher_card(case, returned=returned)
    await notify.push(
        session=session,
        case=case,
        kind=notify.QUEUE,
        stamp=notify.version_stamp(case),
        recipients=await notify.role_recipients(session=session, role="dispatcher"),
        message=message,
        now=now,
    )
