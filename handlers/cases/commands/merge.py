"""并单 (merge) and its undoing: one matter, one case (issue 13).

The child case goes to state `merged` with `parent_id` naming the parent; the unit works the
parent only. The child's resident keeps their own case: every reply on the parent is relayed to
them, the parent's 办结 resolves the child with the same result (so the sweep asks the child's
own 回访 and the resident rates it on their own case), and nobody learns who else reported it.
Unmerge gives the child back to the unit it had, or to the dispatchers.

Who may: dispatchers and supervisors any case; unit staff only when both cases are their unit's;
the system for near-certain duplicates found at filing.
"""

from __future__ import annotations

from typing import Any

from handlers.cases import notify
from handlers.cases.actor import SYSTEM, Actor, ActorKind
from handlers.cases.commands.context import CommandContext, Step
from handlers.cases.commands.guards import (
    STAFF_KINDS,
    locked_case,
    require_kind,
    require_state,
    require_version,
)
from handlers.cases.commands.routing import dispatch_to, requeue
from handlers.cases.events import Entry, change_state
from handlers.cases.refusal import Refusal, RefusalCode
from handlers.conversation.messages import Outbound
from handlers.policy.lifecycle import OPEN_STATES, CaseState
from storage.casequeries import case_events
from storage.duplicates import children_in_state
from storage.models import Case, CaseEvent

MERGERS = frozenset({ActorKind.DISPATCHER, ActorKind.SUPERVISOR, ActorKind.SYSTEM, *STAFF_KINDS})
# A parent may still be open, or already resolved or archived: a report of a matter handled
# days ago is merged into that case and its resident hears the result at once.
PARENT_STATES = OPEN_STATES | {CaseState.RESOLVED, CaseState.CLOSED}
MERGED = "merged"  # the child's event
MERGED_IN = "merged_in"  # the parent's event


async def _pair(ctx: CommandContext, first: int, second: int) -> tuple[Case, Case]:
    """Both cases locked, the lower id first, so two merges of one pair never deadlock."""
    low, high = sorted((first, second))
    cases = {low: await locked_case(ctx, low), high: await locked_case(ctx, high)}
    return cases[first], cases[second]


def _require_unit_of_both(actor: Actor, *cases: Case) -> None:
    """Unit staff merge only their own unit's cases (首接负责: a merge moves no case between
    units)."""
    if actor.kind in STAFF_KINDS and any(c.unit_name != actor.unit for c in cases):
        raise Refusal(RefusalCode.NOT_YOUR_UNIT, f"merge across units by {actor.unit}")


async def _tell_resident(ctx: CommandContext, case: Case, stamp: str, text: str) -> None:
    await ctx.tell(
        kind=notify.RESIDENT_STEP,
        case=case,
        stamp=stamp,
        recipients=await notify.resident_of(ctx.session, case),
        message=Outbound(text),
    )


async def merge(
    ctx: CommandContext,
    actor: Actor,
    child_id: int,
    parent_id: int,
    *,
    version: int | None,
    similarity: float | None = None,
    tell_resident: bool = True,
) -> Case:
    """并单: `child_id` (at `version`) joins `parent_id`; returns the child.

    A parent that is itself merged is replaced by its own parent, so families stay one level
    deep; the child's own merged children follow it. `tell_resident=False` when the surface
    that files the case tells the resident itself (the receipt of an automatic merge).
    """
    require_kind(actor, MERGERS, "merge")
    if child_id == parent_id:
        raise Refusal(RefusalCode.NOT_MERGEABLE, f"case {child_id} into itself")
    child, parent = await _pair(ctx, child_id, parent_id)
    if parent.state == CaseState.MERGED.value and parent.parent_id is not None:
        parent = await locked_case(ctx, parent.parent_id)
    if parent.id == child.id or CaseState(parent.state) not in PARENT_STATES:
        raise Refusal(RefusalCode.NOT_MERGEABLE, f"{child.number} into {parent.number}")
    require_version(child, version)
    require_state(child, OPEN_STATES)
    _require_unit_of_both(actor, child, parent)
    before: dict[str, Any] = {"state": child.state, "unit": child.unit_name}
    change_state(
        ctx.session,
        child,
        CaseState.MERGED.value,
        ctx.now,
        Entry(
            actor.event_actor,
            MERGED,
            parent.number,
            {
                "parent": parent.id,
                "parent_number": parent.number,
                "state_before": before["state"],
                "unit_before": before["unit"],
                "similarity": similarity,
                "auto": actor.kind is ActorKind.SYSTEM,
            },
        ),
    )
    child.parent_id = parent.id
    child.unit_name = parent.unit_name
    child.sign_deadline = child.handle_deadline = child.return_deadline = None
    for grandchild in await children_in_state(
        session=ctx.session, parent_id=child.id, states=[CaseState.MERGED.value]
    ):
        grandchild.parent_id = parent.id
    event = await ctx.record(
        parent,
        Step(
            actor,
            MERGED_IN,
            note=child.number,
            data={"child": child.id, "child_number": child.number, "similarity": similarity},
        ),
    )
    if CaseState(parent.state) in (CaseState.RESOLVED, CaseState.CLOSED):
        await resolve_child(ctx, child, parent, result=await _result_of(ctx, parent))
    elif tell_resident:
        text = ctx.t("merge.resident", number=child.number, parent=parent.number)
        await _tell_resident(ctx, child, notify.version_stamp(child), text)
    unit_before = before["unit"]
    if unit_before is not None and before["state"] != CaseState.PENDING_DISPATCH.value:
        # The unit that held the child stops working it: one case, the parent, remains.
        await ctx.tell(
            kind=notify.CARD,
            case=child,
            stamp=notify.event_stamp(event.id),
            recipients=await notify.unit_everyone(ctx.session, unit_before),
            message=Outbound(ctx.t("merge.unit_notice", number=child.number, parent=parent.number)),
        )
    return child


async def _result_of(ctx: CommandContext, parent: Case) -> str:
    events = await case_events(session=ctx.session, case_id=parent.id)
    notes = [e.note for e in events if e.to_state == CaseState.RESOLVED.value and e.note]
    return notes[-1] if notes else ctx.t("fu.no_result")


async def resolve_child(ctx: CommandContext, child: Case, parent: Case, *, result: str) -> None:
    """The parent's 办结 reaches a merged child: resolved with the same result, told to its
    resident; the sweep then asks this child's own 回访 (timers key on `resolved_at`)."""
    change_state(
        ctx.session,
        child,
        CaseState.RESOLVED.value,
        ctx.now,
        Entry(
            SYSTEM.event_actor,
            "resolved_with_parent",
            result,
            {"parent": parent.id, "parent_number": parent.number, "unit": parent.unit_name},
        ),
    )
    child.resolved_at = ctx.now
    child.unit_name = parent.unit_name
    await ctx.session.flush()
    text = ctx.t("resident.resolved", number=child.number, result=result)
    await _tell_resident(ctx, child, notify.version_stamp(child), text)


async def merged_now(ctx: CommandContext, parent: Case) -> list[Case]:
    """The parent's children still merged (not yet resolved with it), locked."""
    return list(
        await children_in_state(
            session=ctx.session, parent_id=parent.id, states=[CaseState.MERGED.value]
        )
    )


async def resolve_children(ctx: CommandContext, parent: Case, *, result: str) -> None:
    """Called by 办结 of a parent: every merged child is resolved with it."""
    for child in await merged_now(ctx, parent):
        await resolve_child(ctx, child, parent, result=result)


async def relay_reply(ctx: CommandContext, parent: Case, event: CaseEvent, text: str) -> None:
    """A unit's reply on the parent goes to every merged child's resident, on their own case."""
    for child in await merged_now(ctx, parent):
        message = ctx.t("resident.reply", unit=parent.unit_name, number=child.number, text=text)
        await _tell_resident(ctx, child, notify.event_stamp(event.id), message)


async def unmerge(ctx: CommandContext, actor: Actor, child_id: int, *, version: int | None) -> Case:
    """拆单: the child is a case of its own again, back at the unit that held it before the
    merge, or the router's unit if it was merged at filing (fresh clocks), else with the
    dispatchers."""
    require_kind(actor, MERGERS, "unmerge")
    child = await locked_case(ctx, child_id)
    require_version(child, version)
    require_state(child, {CaseState.MERGED})
    parent = await locked_case(ctx, child.parent_id)
    _require_unit_of_both(actor, parent)
    events = await case_events(session=ctx.session, case_id=child.id, actions=[MERGED])
    unit_before = events[-1].data.get("unit_before") if events else None
    # Merged at filing, before any dispatch: the unit the router chose for it then.
    unit_before = unit_before or (child.routing or {}).get("unit")
    child.parent_id = None
    data = {"parent": parent.id, "parent_number": parent.number}
    if unit_before:
        await dispatch_to(
            ctx,
            child,
            unit=str(unit_before),
            actor=actor,
            action="unmerged",
            tell_resident=False,
            data=data,
        )
    else:
        await requeue(ctx, child, Step(actor, "unmerged", data=data))
    data = {"child": child.id, "child_number": child.number}
    await ctx.record(parent, Step(actor, "unmerged_out", child.number, data))
    text = ctx.t("merge.resident_unmerged", number=child.number)
    await _tell_resident(ctx, child, notify.version_stamp(child), text)
    return child


async def release_children(ctx: CommandContext, parent: Case) -> None:
    """A parent withdrawn by its resident leaves its merged children cases of their own."""
    for child in await merged_now(ctx, parent):
        await unmerge(ctx, SYSTEM, child.id, version=child.version)


async def dismiss_duplicate(
    ctx: CommandContext, actor: Actor, case_id: int, other_id: int
) -> CaseEvent:
    """不是重复: the suggestion is recorded as wrong on the case (a labelled pair for later)."""
    require_kind(actor, MERGERS - {ActorKind.SYSTEM}, "dismiss duplicate")
    case, other = await _pair(ctx, case_id, other_id)
    if actor.kind in STAFF_KINDS and case.unit_name != actor.unit:
        raise Refusal(RefusalCode.NOT_YOUR_UNIT, f"{case.number} dismissed by {actor.unit}")
    data = {"other": other.id, "other_number": other.number}
    return await ctx.record(case, Step(actor, "not_duplicate", other.number, data))
