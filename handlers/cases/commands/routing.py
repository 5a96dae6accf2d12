"""Giving a case to a unit (派单) and queueing it for the dispatchers: shared by filing, the
dispatcher's assignment and the re-dispatch after a return (退单)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from handlers.cases import notify
from handlers.cases.actor import Actor
from handlers.cases.commands.context import CommandContext, Step
from handlers.cases.events import check_move
from handlers.conversation import payloads as p
from handlers.conversation.messages import Button, Outbound
from handlers.desk.cards import Cards, DuplicateHint
from handlers.policy.casetypes import RequestType, Urgency
from handlers.policy.lifecycle import CaseState
from handlers.policy.sla import Deadlines, compute_deadlines
from storage.examples import add_example
from storage.models import Case


async def dispatch_to(
    ctx: CommandContext,
    case: Case,
    *,
    unit: str,
    actor: Actor,
    action: str,
    tell_resident: bool = True,
    data: dict[str, Any] | None = None,
    duplicates: Sequence[DuplicateHint] = (),
) -> None:
    """Move the case to `unit` (state dispatched, fresh clocks) and queue the pushes.

    `action` is "dispatched" when the router chose the unit and "assigned" when a dispatcher did.
    `duplicates` (found on filing) are shown on the unit's card as 可能重复 lines.
    """
    # Unit and clocks are set before the transition's flush, so one write carries all of it (for
    # a case just filed: the INSERT itself). The check comes first: a refused move changes nothing.
    check_move(case, CaseState.DISPATCHED)
    start_clocks(ctx, case)
    case.unit_name = unit
    step = Step(actor, action, unit, {**(data or {}), "unit": unit})
    await ctx.move(case, CaseState.DISPATCHED, step)
    cards = Cards(ctx.t, ctx.deps.zone)
    stamp = notify.version_stamp(case)
    await ctx.tell(
        kind=notify.CARD,
        case=case,
        stamp=stamp,
        recipients=await notify.unit_everyone(ctx.session, unit),
        message=cards.staff_card(case, now=ctx.now, new=True, duplicates=duplicates),
    )
    if tell_resident:
        said = ctx.t("resident.dispatched", number=case.number, unit=unit)
        await ctx.tell_resident(case, stamp, Outbound(said, buttons=(resident_buttons(ctx, case),)))


def start_clocks(ctx: CommandContext, case: Case) -> Deadlines:
    """The unit's clocks run from now (a dispatch, or a reopen to the same unit): sign, handle
    and return deadlines from `Deadlines`, and nothing signed yet."""
    deadlines = compute_deadlines(
        ctx.deps.calendar,
        ctx.deps.sla,
        request_type=RequestType(case.request_type),
        urgency=Urgency(case.urgency),
        dispatched_at=ctx.now,
    )
    case.dispatched_at = ctx.now
    case.signed_at = None
    case.sign_deadline = deadlines.sign_by
    case.handle_deadline = deadlines.handle_by
    case.return_deadline = deadlines.return_by
    return deadlines


def keep_example(ctx: CommandContext, case: Case, *, unit: str, source: str) -> None:
    """This text belongs with `unit` (a dispatcher's correction) or not (a return): a labelled
    example for retraining the router (design.md §4)."""
    add_example(
        session=ctx.session,
        text=case.description,
        unit=unit,
        category=case.category,
        subcategory=case.subcategory,
        source=source,
        case_id=case.id,
        now=ctx.now,
    )


def resident_buttons(ctx: CommandContext, case: Case) -> tuple[Button, ...]:
    """补充 and 撤销 under a message to the resident about a case not yet signed for."""
    return (
        Button(ctx.t("btn.add_info"), p.build(p.RESIDENT, "add", case.id)),
        Button(ctx.t("btn.withdraw"), p.build(p.RESIDENT, "wd", case.id, case.version)),
    )


async def requeue(
    ctx: CommandContext,
    case: Case,
    step: Step,
    *,
    returned: tuple[str, str] | None = None,
    duplicates: Sequence[DuplicateHint] = (),
) -> None:
    """Move the case to 待派单 (nobody holds it: no unit, no clocks) and push it to the
    dispatchers: a filing the router could not place, a unit's return, an unmerge."""
    case.unit_name = None
    case.sign_deadline = case.handle_deadline = case.return_deadline = None
    await ctx.move(case, CaseState.PENDING_DISPATCH, step)
    await queue_for_dispatch(ctx, case, returned=returned, duplicates=duplicates)


async def queue_for_dispatch(
    ctx: CommandContext,
    case: Case,
    *,
    returned: tuple[str, str] | None = None,
    duplicates: Sequence[DuplicateHint] = (),
) -> None:
    """Push a case awaiting dispatch to every dispatcher, with the router's suggestions.

    `returned` is (unit, reason) when a unit sent the case back; that unit is not suggested.
    `duplicates` (found on filing) are shown on the card as 可能重复 lines.
    """
    cards = Cards(ctx.t, ctx.deps.zone)
    message = cards.dispatcher_card(case, returned=returned, duplicates=duplicates)
    await ctx.tell(
        kind=notify.QUEUE,
        case=case,
        stamp=notify.version_stamp(case),
        recipients=await notify.dispatchers(ctx.session),
        message=message,
    )
