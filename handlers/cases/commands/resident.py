"""What a resident does with their own case: add information (补充), withdraw it (撤销) before
the unit signs, and answer the callback (回访): resolved? satisfied? and a comment."""

from __future__ import annotations

from datetime import timedelta

from handlers.cases import notify
from handlers.cases.actor import Actor
from handlers.cases.commands.context import CommandContext, Step
from handlers.cases.commands.guards import clean, require_state, require_version, residents_case
from handlers.cases.commands.merge import release_children
from handlers.cases.commands.system import close, reopen, to_review
from handlers.cases.refusal import Refusal, RefusalCode
from handlers.conversation.messages import Outbound
from handlers.policy.lifecycle import OPEN_STATES, CaseState
from handlers.policy.sla import reopen_goes_to_supervisor
from handlers.validation import mask_personal_data
from storage.models import Case, CaseEvent

AT_UNIT = frozenset(
    {CaseState.DISPATCHED, CaseState.ACCEPTED, CaseState.REOPENED, CaseState.MERGED}
)
WITHDRAWABLE = frozenset({CaseState.PENDING_DISPATCH, CaseState.DISPATCHED})
SATISFIED_VALUES = frozenset({"satisfied", "basic"})
SATISFACTION_VALUES = frozenset({"satisfied", "basic", "dissatisfied"})
# How long after rating the resident's next plain text is taken as a comment on it.
COMMENT_WINDOW = timedelta(minutes=10)
MAX_TEXT = 1000


async def add_info(ctx: CommandContext, actor: Actor, case_id: int, *, text: str) -> CaseEvent:
    """补充: the resident's words go to the unit, relayed by the bot (never who wrote them)."""
    text = clean(text, max_chars=MAX_TEXT)
    case = await residents_case(ctx, actor, case_id)
    # A merged resident's words go to the unit working the parent (并单, issue 13).
    require_state(case, OPEN_STATES | {CaseState.MERGED})
    event = await ctx.record(case, Step(actor, "info_added", note=text))
    if CaseState(case.state) in AT_UNIT and case.unit_name:
        await ctx.tell(
            kind=notify.INFO,
            case=case,
            stamp=notify.event_stamp(event.id),
            recipients=await notify.unit_everyone(ctx.session, case.unit_name),
            message=Outbound(
                ctx.t("staff.info_added", number=case.number, text=mask_personal_data(text))
            ),
        )
    return event


async def withdraw(
    ctx: CommandContext, actor: Actor, case_id: int, *, version: int | None = None
) -> Case:
    """撤销: only before the unit signs. `version` is checked when the surface showed one (a
    button); a typed /withdraw names the case by number and has none."""
    case = await residents_case(ctx, actor, case_id)
    if version is not None:
        require_version(case, version)
    require_state(case, WITHDRAWABLE)
    unit = case.unit_name
    await ctx.move(case, CaseState.CANCELLED, Step(actor, "withdrawn", data={"unit": unit}))
    case.sign_deadline = case.handle_deadline = case.return_deadline = None
    await release_children(ctx, case)
    if unit is not None:
        await ctx.tell(
            kind=notify.WITHDRAWN,
            case=case,
            stamp=notify.version_stamp(case),
            recipients=await notify.unit_everyone(ctx.session, unit),
            message=Outbound(ctx.t("staff.withdrawn", number=case.number)),
        )
    return case


async def _awaiting_rating(ctx: CommandContext, actor: Actor, case_id: int) -> Case:
    case = await residents_case(ctx, actor, case_id)
    if case.state != CaseState.RESOLVED.value or case.callback_sent_at is None:
        # Already rated (closed or reopened), or no callback asked yet: old buttons.
        if case.satisfaction:
            raise Refusal(RefusalCode.ALREADY_RATED, f"{case.number} already rated")
        raise Refusal(
            RefusalCode.WRONG_STATE, f"{case.number} is not awaiting a rating", state=case.state
        )
    return case


async def answer_resolved(
    ctx: CommandContext, actor: Actor, case_id: int, *, resolved: bool
) -> Case:
    """回访, first question: was the matter resolved? (解决率 counts this, apart from 满意率.)"""
    case = await _awaiting_rating(ctx, actor, case_id)
    case.feedback_resolved = resolved
    ctx.log(case, Step(actor, "feedback_resolved", data={"resolved": resolved}))
    return case


async def rate(ctx: CommandContext, actor: Actor, case_id: int, *, satisfaction: str) -> Case:
    """回访, second question. 满意/基本满意 archives the case; 不满意 reopens it (重办) to the same
    unit, or after `sla.max_reopens` reopens archives it for the supervisors' review."""
    if satisfaction not in SATISFACTION_VALUES:
        raise Refusal(RefusalCode.BAD_INPUT, f"satisfaction {satisfaction!r}")
    case = await _awaiting_rating(ctx, actor, case_id)
    case.satisfaction = satisfaction
    case.comment_open_until = ctx.now + COMMENT_WINDOW
    ctx.log(
        case,
        Step(
            actor,
            "feedback",
            data={"resolved": case.feedback_resolved, "satisfaction": satisfaction},
        ),
    )
    if satisfaction in SATISFIED_VALUES:
        close(ctx, case, Step(actor, "closed", data={"satisfaction": satisfaction}))
    elif reopen_goes_to_supervisor(ctx.deps.sla, reopens_so_far=case.reopen_count):
        await to_review(ctx, case)
    else:
        await reopen(ctx, case)
    return case


async def comment(ctx: CommandContext, actor: Actor, case_id: int, *, text: str) -> Case:
    """A comment on the rating just given; a dissatisfied resident's words go to whoever now
    has the case (the unit, reopened; or the supervisors, under review)."""
    case = await residents_case(ctx, actor, case_id)
    if case.comment_open_until is None or case.comment_open_until <= ctx.now:
        raise Refusal(
            RefusalCode.WRONG_STATE, f"{case.number} takes no comment now", state=case.state
        )
    text = text.strip()[:MAX_TEXT]
    case.comment_open_until = None
    ctx.log(case, Step(actor, "feedback_comment", note=text))
    recipients: list[notify.Recipient] = []
    if case.state == CaseState.REOPENED.value and case.unit_name:
        recipients = await notify.unit_staff(ctx.session, case.unit_name)
    elif case.satisfaction == "dissatisfied":
        recipients = await notify.supervisors(ctx.session)
    if recipients:
        await ctx.tell(
            kind="fu:comment",
            case=case,
            stamp=notify.version_stamp(case),
            recipients=recipients,
            message=Outbound(ctx.t("fu.comment_relay", number=case.number, comment=text)),
        )
    return case
