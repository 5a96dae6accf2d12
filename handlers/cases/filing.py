"""Turning a confirmed draft into a case (立案): number, row, first events, receipt."""

from __future__ import annotations

import logging

from handlers.cases.dispatching import dispatch_case, queue_for_dispatch, resident_buttons
from handlers.cases.events import move
from handlers.context import CoreDeps
from handlers.conversation.turn import Turn
from handlers.policy.lifecycle import CaseState
from handlers.resident.draft import DraftState
from storage.cases import add_event, next_case_number
from storage.models import Case
from storage.residents import ensure_resident_id

log = logging.getLogger(__name__)


async def file_case(*, turn: Turn, deps: CoreDeps, state: DraftState) -> Case:
    """Create the case and its events in the turn's transaction; queue the receipt.

    The receipt (with the number) is only a reply in `turn.replies`: the caller hands replies to
    the channel after the transaction has committed, so no number is shown for a case that
    failed to be stored.
    """
    inbound, now, session = turn.inbound, turn.now, turn.session
    assert state.request_type is not None and state.description is not None
    resident_id = await ensure_resident_id(
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
    case = Case(
        number=number,
        resident_id=resident_id,
        channel=inbound.channel,
        request_type=state.request_type,
        urgency="urgent" if decision.get("emergency") else "normal",
        # Dispatch below moves it on; it starts where every case starts.
        state=CaseState.SUBMITTED.value,
        version=1,
        category=decision.get("category"),
        subcategory=decision.get("subcategory"),
        confidence=decision.get("confidence"),
        description=state.description,
        place_text=state.place_text or decision.get("place"),
        place_unit=state.place_unit,
        latitude=state.latitude,
        longitude=state.longitude,
        photos=list(state.photos),
        anonymous=state.anonymous is not False,
        contact_phone=state.phone,
        share_identity=bool(state.phone and state.share_phone),
        emergency=decision.get("emergency"),
        routing=decision,
        filing_key=state.filing_key,  # issue 9: unique, one case per draft
        created_at=now,
        updated_at=now,
    )
    # Not flushed here: the move below writes the case once, already in its next state, together
    # with both events (an INSERT then UPDATEs would cost two more round trips).
    session.add(case)
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
    routing_data = {
        "confidence": decision.get("confidence"),
        "matched": decision.get("matched", []),
    }
    if unit:
        # The receipt below names the unit, so dispatch need not tell the resident again.
        await dispatch_case(
            session=session,
            deps=deps,
            case=case,
            unit=unit,
            now=now,
            actor=("system", None),
            tell_resident=False,
            data=routing_data,
        )
    else:
        await move(
            session=session,
            case=case,
            to_state=CaseState.PENDING_DISPATCH,
            now=now,
            actor=("system", None),
            action="pending_dispatch",
            data=routing_data,
        )
        await queue_for_dispatch(session=session, deps=deps, case=case, now=now)
    t = deps.texts
    kind = t(f"type.{state.request_type}")
    buttons = [resident_buttons(deps, case)]
    if unit:
        turn.say(t("submitted", type=kind, number=number, unit=unit), buttons)
    else:
        turn.say(t("submitted_pending", type=kind, number=number), buttons)
    log.info("case %s filed: unit=%s state=%s", number, unit, case.state)
    return case
