"""Turning a confirmed draft into a case (立案): number, row, first events, receipt."""

from __future__ import annotations

import logging

from handlers.context import CoreDeps
from handlers.draft import DraftState
from handlers.lifecycle import CaseState
from handlers.turn import Turn
from storage.cases import add_event, next_case_number
from storage.models import Case
from storage.residents import ensure_resident

log = logging.getLogger(__name__)


async def file_case(*, turn: Turn, deps: CoreDeps, state: DraftState) -> Case:
    """Create the case and its events in the turn's transaction; queue the receipt.

    The receipt (with the number) is only a reply in `turn.replies`: the caller hands replies to
    the channel after the transaction has committed, so no number is shown for a case that
    failed to be stored.
    """
    inbound, now, session = turn.inbound, turn.now, turn.session
    assert state.request_type is not None and state.description is not None
    resident = await ensure_resident(
        session=session,
        channel=inbound.channel,
        external_id=inbound.user_id,
        chat_id=inbound.chat_id,
        now=now,
    )
    day = now.astimezone(deps.zone).strftime("%Y%m%d")
    number = await next_case_number(session=session, prefix=deps.policy.case_prefix, day=day)
    decision = state.decision or {}
    unit = decision.get("unit")
    target = CaseState.DISPATCHED if unit else CaseState.PENDING_DISPATCH
    case = Case(
        number=number,
        resident_id=resident.id,
        channel=inbound.channel,
        request_type=state.request_type,
        urgency="urgent" if decision.get("emergency") else "normal",
        state=target.value,
        category=decision.get("category"),
        subcategory=decision.get("subcategory"),
        unit_name=unit,
        confidence=decision.get("confidence"),
        description=state.description,
        place_text=state.place_text or decision.get("place"),
        place_unit=state.place_unit,
        latitude=state.latitude,
        longitude=state.longitude,
        photos=list(state.photos),
        anonymous=state.anonymous is not False,
        contact_phone=state.phone,
        emergency=decision.get("emergency"),
        routing=decision,
        created_at=now,
        updated_at=now,
        dispatched_at=now if unit else None,
    )
    session.add(case)
    await session.flush()
    actor = inbound.user_id
    add_event(
        session=session,
        case=case,
        at=now,
        actor_kind="resident",
        actor_id=actor,
        action="submitted",
        from_state=None,
        to_state=CaseState.SUBMITTED.value,
    )
    add_event(
        session=session,
        case=case,
        at=now,
        actor_kind="system",
        actor_id=None,
        action="dispatched" if unit else "pending_dispatch",
        from_state=CaseState.SUBMITTED.value,
        to_state=target.value,
        note=unit,
        data={"confidence": decision.get("confidence"), "matched": decision.get("matched", [])},
    )
    t = deps.texts
    kind = t(f"type.{state.request_type}")
    if unit:
        turn.say(t("submitted", type=kind, number=number, unit=unit))
    else:
        turn.say(t("submitted_pending", type=kind, number=number))
    log.info("case %s filed: unit=%s state=%s", number, unit, target.value)
    return case
