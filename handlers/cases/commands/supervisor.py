"""The supervisor's decisions on a case (督查员): approve or deny an extension (延期审批).

An approval moves the handling deadline (capped over the case's life), bumps the case version
(the unit's old card goes stale; a fresh one is pushed) and tells the resident the new date and
the reason. A denial tells the staff member who asked.
"""

from __future__ import annotations

from handlers.cases import notify
from handlers.cases.actor import Actor, ActorKind
from handlers.cases.commands.context import CommandContext, Step
from handlers.cases.commands.guards import locked_case, require_kind
from handlers.cases.events import bump
from handlers.cases.extensions import APPROVED, DENIED, REQUESTED, extension_status
from handlers.cases.refusal import Refusal, RefusalCode
from handlers.conversation.messages import Outbound
from handlers.desk.cards import Cards
from handlers.policy.lifecycle import CaseState
from handlers.policy.sla import SlaError, extend
from storage.models import Case, CaseEvent

HANDLING = frozenset({CaseState.ACCEPTED.value, CaseState.REOPENED.value})


async def decide_extension(
    ctx: CommandContext, actor: Actor, request_id: int | None, *, approve: bool
) -> Case:
    """Approve or deny the extension request `request_id` (the event that asked for it)."""
    require_kind(actor, {ActorKind.SUPERVISOR}, "extension decision")
    request = await ctx.session.get(CaseEvent, request_id) if request_id else None
    if request is None or request.action != REQUESTED:
        raise Refusal(RefusalCode.NOT_FOUND, f"no extension request {request_id}")
    case = await locked_case(ctx, request.case_id)
    status = await extension_status(session=ctx.session, case_id=case.id)
    if request.id in status.decided:
        raise Refusal(RefusalCode.ALREADY_DECIDED, f"request {request.id} already decided")
    if case.state not in HANDLING or case.unit_name != request.data.get("unit"):
        raise Refusal(
            RefusalCode.WRONG_STATE,
            f"case {case.number} moved on since the request",
            state=case.state,
        )
    if approve:
        await _approve(ctx, actor, case, request, status.granted_days)
    else:
        await _deny(ctx, actor, case, request)
    return case


async def _approve(
    ctx: CommandContext, actor: Actor, case: Case, request: CaseEvent, granted: int
) -> None:
    days = int(request.data.get("days", 0))
    assert case.handle_deadline is not None
    try:
        deadline = extend(
            ctx.deps.calendar, ctx.deps.sla, case.handle_deadline, days, already_extended=granted
        )
    except SlaError as error:
        raise Refusal(
            RefusalCode.EXTENSION_CAP, str(error), cap=ctx.deps.sla.extension_cap_days
        ) from error
    reason = request.note or ""
    await ctx.record(
        case,
        Step(
            actor,
            APPROVED,
            note=reason,
            data={"request": request.id, "days": days, "deadline": deadline.isoformat()},
        ),
    )
    case.handle_deadline = deadline
    # A moved deadline is a new plan: the version bump re-arms the reminder sweep and makes the
    # unit's old card stale, so a fresh one goes out below.
    bump(case)
    stamp, when = notify.version_stamp(case), ctx.local(deadline)
    said = ctx.t("resident.extended", number=case.number, deadline=when, reason=reason)
    await ctx.tell_resident(case, stamp, Outbound(said))
    card = Cards(ctx.t, ctx.deps.zone).staff_card(case, now=ctx.now)
    await ctx.tell(
        kind=notify.EXTENSION_DECIDED,
        case=case,
        stamp=stamp,
        recipients=await notify.staff_member(ctx.session, request.actor_id, case.unit_name or ""),
        message=Outbound(
            ctx.t("staff.ext_approved", number=case.number, deadline=when) + "\n" + card.text,
            buttons=card.buttons,
        ),
    )


async def _deny(ctx: CommandContext, actor: Actor, case: Case, request: CaseEvent) -> None:
    event = await ctx.record(
        case, Step(actor, DENIED, data={"request": request.id, "days": request.data.get("days")})
    )
    await ctx.tell(
        kind=notify.EXTENSION_DECIDED,
        case=case,
        stamp=notify.event_stamp(event.id),
        recipients=await notify.staff_member(ctx.session, request.actor_id, case.unit_name or ""),
        message=Outbound(
            ctx.t("staff.ext_denied", number=case.number, deadline=ctx.local(case.handle_deadline))
        ),
    )
