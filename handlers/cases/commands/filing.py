"""Filing (立案): a new case from a resident's finished dialog or another system's request."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from handlers.cases.actor import Actor, ActorKind
from handlers.cases.commands import duplicates as dupes
from handlers.cases.commands.context import CommandContext, Step
from handlers.cases.commands.guards import require_kind
from handlers.cases.commands.routing import dispatch_to, requeue
from handlers.policy.lifecycle import CaseState
from storage.cases import add_event, next_case_number
from storage.models import Case

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class NewCase:
    """What a filing carries. `decision` is the router's verdict (`Decision.to_json()`): its
    unit, if any, receives the case at once; without one the case waits for a dispatcher."""

    resident_id: int
    channel: str
    request_type: str
    description: str
    decision: dict[str, Any] = field(default_factory=dict)
    place_text: str | None = None
    place_unit: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    photos: Sequence[str] = ()
    phone: str | None = None
    share_identity: bool = False
    # Names this filing once (a draft's key): cases.filing_key is unique, so however two
    # instances interleave two presses of 提交, one draft becomes at most one case (issue 9).
    filing_key: str | None = None


async def file_case(ctx: CommandContext, actor: Actor, filing: NewCase) -> Case:
    """Create the case and its first events in the caller's transaction, and route it.

    A near-certain duplicate of an open case is merged into it instead (state `merged`,
    `parent_id` set: the caller's receipt says so); a likely one is routed as usual and shown to
    the dispatchers and the unit as 可能重复. The caller shows the number only after its
    transaction commits (design.md §2).
    """
    require_kind(actor, {ActorKind.RESIDENT, ActorKind.API}, "filing")
    session, now = ctx.session, ctx.now
    day = now.astimezone(ctx.deps.zone).strftime("%Y%m%d")
    number = await next_case_number(session=session, prefix=ctx.deps.policy.case_prefix, day=day)
    decision = filing.decision
    unit = decision.get("unit")
    case = Case(
        number=number,
        resident_id=filing.resident_id,
        channel=filing.channel,
        request_type=filing.request_type,
        urgency="urgent" if decision.get("emergency") else "normal",
        # Dispatch below moves it on; it starts where every case starts.
        state=CaseState.SUBMITTED.value,
        version=1,
        category=decision.get("category"),
        subcategory=decision.get("subcategory"),
        confidence=decision.get("confidence"),
        description=filing.description,
        place_text=filing.place_text or decision.get("place"),
        place_unit=filing.place_unit,
        latitude=filing.latitude,
        longitude=filing.longitude,
        photos=list(filing.photos),
        anonymous=filing.phone is None,
        contact_phone=filing.phone,
        share_identity=bool(filing.phone and filing.share_identity),
        emergency=decision.get("emergency"),
        routing=decision,
        filing_key=filing.filing_key,
        created_at=now,
        updated_at=now,
    )
    # Not flushed here: the move below writes the case once, already in its next state, together
    # with both events (an INSERT then UPDATEs would cost two more round trips).
    session.add(case)
    # The first line of the log: no state before it, so not a transition.
    add_event(
        session=session,
        case=case,
        at=now,
        actor_kind=actor.event_actor[0],
        actor_id=actor.id,
        action="submitted",
        from_state=None,
        to_state=CaseState.SUBMITTED.value,
    )
    routing = {"confidence": decision.get("confidence"), "matched": decision.get("matched", [])}
    system = Actor(ActorKind.SYSTEM)
    found: list[dupes.Candidate] = []
    if ctx.deps.duplicates is not None and case.subcategory:
        # Before dispatch: a near-certain duplicate never reaches a unit as a case of its own.
        fingerprint = dupes.prepare(ctx.deps.duplicates, case)
        await session.flush()
        found = await dupes.find_duplicates(ctx, case, fingerprint)
        parent = dupes.automatic_parent(case, found)
        if parent is not None:
            await dupes.merge_automatically(ctx, case, parent)
            log.info("case %s filed and merged into %s", number, parent.case.number)
            return case
    if unit:
        # The receipt names the unit, so dispatch need not tell the resident again.
        await dispatch_to(
            ctx,
            case,
            unit=unit,
            actor=system,
            action="dispatched",
            tell_resident=False,
            data=routing,
            duplicates=dupes.card_hints(found),
        )
    else:
        await requeue(
            ctx,
            case,
            Step(system, "pending_dispatch", data=routing),
            duplicates=dupes.card_hints(found),
        )
    await dupes.suggest_duplicates(ctx, case, found)
    log.info("case %s filed: unit=%s state=%s", number, unit, case.state)
    return case
