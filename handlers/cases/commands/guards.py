"""The checks every command makes before it writes: the case exists, the actor may act on it,
it is in a state that allows the action, and it is still the version the actor saw."""

from __future__ import annotations

from collections.abc import Collection

from handlers.cases.actor import Actor, ActorKind
from handlers.cases.commands.context import CommandContext
from handlers.cases.refusal import Refusal, RefusalCode
from handlers.policy.lifecycle import CaseState
from storage.cases import get_case_for_update
from storage.models import Case

STAFF_KINDS = frozenset({ActorKind.STAFF, ActorKind.HEAD})


async def locked_case(ctx: CommandContext, case_id: int | None) -> Case:
    """The case row, locked until commit (PostgreSQL; SQLite serialises writers anyway)."""
    case = None
    if case_id is not None:
        case = await get_case_for_update(session=ctx.session, case_id=case_id)
    if case is None:
        raise Refusal(RefusalCode.NOT_FOUND, f"no case {case_id}")
    return case


def require_kind(actor: Actor, kinds: Collection[ActorKind], action: str) -> None:
    if actor.kind not in kinds:
        raise Refusal(RefusalCode.FORBIDDEN, f"{action} by {actor.kind.value}")


def require_unit(case: Case, actor: Actor) -> None:
    """Unit staff act only on their own unit's cases (首接负责)."""
    require_kind(actor, STAFF_KINDS, "unit work")
    if case.unit_name is None or case.unit_name != actor.unit:
        raise Refusal(
            RefusalCode.NOT_YOUR_UNIT, f"case of {case.unit_name} acted on by {actor.unit}"
        )


def require_version(case: Case, version: int | None) -> None:
    if version is None or case.version != version:
        raise Refusal(RefusalCode.STALE, f"saw v{version}, case is v{case.version}")


def require_state(case: Case, states: Collection[CaseState]) -> None:
    if CaseState(case.state) not in states:
        raise Refusal(
            RefusalCode.WRONG_STATE, f"state {case.state} does not allow this", state=case.state
        )


async def unit_case(
    ctx: CommandContext,
    actor: Actor,
    case_id: int | None,
    version: int | None,
    states: Collection[CaseState],
) -> Case:
    """A case the actor's unit holds, in one of `states`, at the version the actor saw."""
    case = await locked_case(ctx, case_id)
    require_unit(case, actor)
    require_version(case, version)
    require_state(case, states)
    return case


async def residents_case(ctx: CommandContext, actor: Actor, case_id: int | None) -> Case:
    """A resident's own case; a case of someone else is NOT_FOUND (numbers are no access key)."""
    require_kind(actor, {ActorKind.RESIDENT}, "resident action")
    case = await locked_case(ctx, case_id)
    if str(case.resident_id) != actor.id:
        raise Refusal(RefusalCode.NOT_FOUND, f"case {case.number} is not resident {actor.id}'s")
    return case


def clean(text: str, *, max_chars: int) -> str:
    """Text a person typed for a case: trimmed, not empty, not over-long."""
    text = text.strip()
    if not text or len(text) > max_chars:
        raise Refusal(RefusalCode.BAD_INPUT, f"text of {len(text)} chars", max=max_chars)
    return text
