"""What a unit's staff do with a case (承办): sign (签收), reply (回复), ask for more time (延期),
return it (退单), close it with a result (办结)."""

from __future__ import annotations

from collections.abc import Sequence

from handlers.cases import notify
from handlers.cases.actor import Actor
from handlers.cases.commands.context import CommandContext, Step
from handlers.cases.commands.guards import clean, unit_case
from handlers.cases.commands.merge import relay_reply, resolve_children
from handlers.cases.commands.routing import keep_example, requeue
from handlers.cases.extensions import REQUESTED, ExtensionStatus, extension_status
from handlers.cases.refusal import Refusal, RefusalCode
from handlers.conversation import payloads as p
from handlers.conversation.messages import Button, Outbound
from handlers.desk.cards import RETURN_REASONS, Cards
from handlers.policy.lifecycle import CaseState
from storage.examples import SOURCE_RETURN
from storage.models import Case, CaseEvent

SIGN_STATES = frozenset({CaseState.DISPATCHED, CaseState.REOPENED})
REPLY_STATES = frozenset({CaseState.DISPATCHED, CaseState.ACCEPTED, CaseState.REOPENED})
WORK_STATES = frozenset({CaseState.ACCEPTED, CaseState.REOPENED})
RETURN_STATES = frozenset({CaseState.DISPATCHED})
MAX_TEXT = 1000


async def sign(ctx: CommandContext, actor: Actor, case_id: int, *, version: int | None) -> Case:
    """签收: the unit takes the case on; the resident is told who handles it."""
    case = await unit_case(ctx, actor, case_id, version, SIGN_STATES)
    await ctx.move(case, CaseState.ACCEPTED, Step(actor, "signed", data={"unit": case.unit_name}))
    case.signed_at = ctx.now
    await ctx.tell_resident(
        case,
        notify.version_stamp(case),
        Outbound(ctx.t("resident.signed", number=case.number, unit=case.unit_name)),
    )
    return case


async def reply(
    ctx: CommandContext, actor: Actor, case_id: int, *, version: int | None, text: str
) -> CaseEvent:
    """回复: words from the unit relayed to the resident; the state stays."""
    text = clean(text, max_chars=MAX_TEXT)
    case = await unit_case(ctx, actor, case_id, version, REPLY_STATES)
    event = await ctx.record(case, Step(actor, "replied", note=text, data={"unit": case.unit_name}))
    message = Outbound(
        ctx.t("resident.reply", unit=case.unit_name, number=case.number, text=text),
        buttons=((Button(ctx.t("btn.add_info"), p.build(p.RESIDENT, "add", case.id)),),),
    )
    await ctx.tell_resident(case, notify.event_stamp(event.id), message)
    await relay_reply(ctx, case, event, text)
    return event


async def extension_days_left(ctx: CommandContext, case: Case) -> int:
    """Working days the unit may still ask for; Refusal when it may not ask now."""
    if case.handle_deadline is None:
        raise Refusal(RefusalCode.WRONG_STATE, "no handling clock to extend", state=case.state)
    if ctx.now > case.handle_deadline:
        raise Refusal(RefusalCode.EXTENSION_TOO_LATE, f"{case.number} past its deadline")
    status: ExtensionStatus = await extension_status(session=ctx.session, case_id=case.id)
    if status.pending is not None:
        raise Refusal(RefusalCode.EXTENSION_PENDING, f"{case.number} has a pending request")
    cap = ctx.deps.sla.extension_cap_days
    left = cap - status.granted_days
    if left < 1:
        raise Refusal(RefusalCode.EXTENSION_CAP, f"{case.number} at the cap", cap=cap)
    return left


ACTION_STATES = {
    "sign": SIGN_STATES,
    "reply": REPLY_STATES,
    "extend": WORK_STATES,
    "return": RETURN_STATES,
    "resolve": WORK_STATES,
}


async def may(
    ctx: CommandContext, actor: Actor, case_id: int | None, *, version: int | None, action: str
) -> Case:
    """The case if `action` would pass its unit, version and state checks now (no write): a
    surface asks this before it collects the input (reply text, result) for the command."""
    case = await unit_case(ctx, actor, case_id, version, ACTION_STATES[action])
    if action == "extend":
        await extension_days_left(ctx, case)
    elif action == "return":
        check_return_window(ctx, case)
    return case


async def may_extend(
    ctx: CommandContext, actor: Actor, case_id: int, *, version: int | None
) -> int:
    """The days left to ask for, checked as `request_extension` will check them (no write)."""
    case = await unit_case(ctx, actor, case_id, version, WORK_STATES)
    return await extension_days_left(ctx, case)


async def request_extension(
    ctx: CommandContext,
    actor: Actor,
    case_id: int,
    *,
    version: int | None,
    days: int,
    reason: str,
) -> CaseEvent:
    """延期申请: supervisors are asked; the deadline moves only when one approves."""
    reason = clean(reason, max_chars=MAX_TEXT)
    case = await unit_case(ctx, actor, case_id, version, WORK_STATES)
    left = await extension_days_left(ctx, case)
    if not 1 <= days <= left:
        raise Refusal(RefusalCode.BAD_DAYS, f"{days} days asked, {left} left", left=left)
    event = await ctx.record(
        case, Step(actor, REQUESTED, note=reason, data={"days": days, "unit": case.unit_name})
    )
    cap = ctx.deps.sla.extension_cap_days
    await ctx.tell(
        kind=notify.EXTENSION_ASKED,
        case=case,
        stamp=notify.event_stamp(event.id),
        recipients=await notify.supervisors(ctx.session),
        message=Cards(ctx.t, ctx.deps.zone).extension_request(
            case, event_id=event.id, days=days, reason=reason, already=cap - left, cap=cap
        ),
    )
    return event


def check_return_window(ctx: CommandContext, case: Case) -> None:
    if case.return_deadline is None or ctx.now > case.return_deadline:
        raise Refusal(
            RefusalCode.RETURN_WINDOW_CLOSED,
            f"{case.number} return window closed",
            deadline=ctx.local(case.return_deadline),
        )


async def return_case(
    ctx: CommandContext,
    actor: Actor,
    case_id: int,
    *,
    version: int | None,
    reason: str,
    note: str | None = None,
) -> Case:
    """退单: the case goes back to the dispatchers, the unit's clocks stop; kept as a labelled
    example (this unit was wrong for this text)."""
    if reason not in RETURN_REASONS:
        raise Refusal(RefusalCode.BAD_INPUT, f"return reason {reason!r}")
    if note is not None:
        note = clean(note, max_chars=MAX_TEXT)
    case = await unit_case(ctx, actor, case_id, version, RETURN_STATES)
    check_return_window(ctx, case)
    unit = case.unit_name
    assert unit is not None
    label = ctx.t(f"return.{reason}")
    said = f"{label}：{note}" if note else label
    # Nobody is responsible until a dispatcher assigns it again.
    data = {"unit": unit, "reason": reason, "note": note}
    await requeue(ctx, case, Step(actor, "returned", said, data), returned=(unit, said))
    keep_example(ctx, case, unit=unit, source=SOURCE_RETURN)
    await ctx.tell_resident(
        case,
        notify.version_stamp(case),
        Outbound(ctx.t("resident.requeued", number=case.number)),
    )
    return case


async def resolve(
    ctx: CommandContext,
    actor: Actor,
    case_id: int,
    *,
    version: int | None,
    result: str,
    photos: Sequence[str] = (),
) -> Case:
    """办结: the unit's result, told to the resident; the callback (回访) follows."""
    result = clean(result, max_chars=MAX_TEXT)
    if len(photos) > ctx.deps.policy.max_photos:
        raise Refusal(
            RefusalCode.BAD_INPUT, f"{len(photos)} photos", max=ctx.deps.policy.max_photos
        )
    case = await unit_case(ctx, actor, case_id, version, WORK_STATES)
    await ctx.move(
        case,
        CaseState.RESOLVED,
        Step(actor, "resolved", note=result, data={"unit": case.unit_name, "photos": list(photos)}),
    )
    case.resolved_at = ctx.now
    await ctx.tell_resident(
        case,
        notify.version_stamp(case),
        Outbound(
            ctx.t("resident.resolved", number=case.number, result=result), photos=tuple(photos)
        ),
    )
    await resolve_children(ctx, case, result=result)
    return case
