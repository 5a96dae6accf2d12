"""The dispatcher's command (派单员): give a waiting case to a unit."""

from __future__ import annotations

import logging

from handlers.cases.actor import Actor, ActorKind
from handlers.cases.commands.context import CommandContext
from handlers.cases.commands.guards import locked_case, require_kind, require_state, require_version
from handlers.cases.commands.routing import dispatch_to, keep_example
from handlers.cases.refusal import Refusal, RefusalCode
from handlers.policy.lifecycle import CaseState
from storage.examples import SOURCE_DISPATCHER
from storage.models import Case
from storage.units import active_units

log = logging.getLogger(__name__)


async def assign(
    ctx: CommandContext, actor: Actor, case_id: int, *, version: int | None, unit: str
) -> Case:
    """派单: a case waiting for dispatch goes to `unit`. A unit the router did not pick is a
    correction, kept as a labelled example for retraining (design.md §4)."""
    require_kind(actor, {ActorKind.DISPATCHER}, "assign")
    case = await locked_case(ctx, case_id)
    require_version(case, version)
    require_state(case, {CaseState.PENDING_DISPATCH})
    if unit not in {u.name for u in await active_units(session=ctx.session)}:
        raise Refusal(RefusalCode.UNKNOWN_UNIT, f"no active unit {unit!r}")
    routed = (case.routing or {}).get("unit")
    if unit != routed:
        keep_example(ctx, case, unit=unit, source=SOURCE_DISPATCHER)
    await dispatch_to(ctx, case, unit=unit, actor=actor, action="assigned", data={"routed": routed})
    log.info("case %s assigned to %s by staff %s", case.number, unit, actor.id)
    return case
