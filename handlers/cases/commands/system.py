"""What the follow-ups do to a case on their own (actor: system): record a timer that fired,
ask the callback (回访), reopen (重办), archive (归档) or auto-close as 未评价."""

from __future__ import annotations

from datetime import datetime

from handlers.cases import notify
from handlers.cases.actor import SYSTEM
from handlers.cases.commands.context import CommandContext, Step
from handlers.cases.commands.routing import start_clocks
from handlers.cases.events import change_state
from handlers.conversation.messages import Outbound
from handlers.desk.cards import Cards
from handlers.followup.timers import Timer, TimerKind, plan
from handlers.policy.lifecycle import CaseState
from storage.models import Case

UNRATED = "unrated"  # 未评价: never counted as satisfied

# Which marker on the case says "fired for this deadline" (see handlers.followup.timers).
_MARKERS = {
    TimerKind.SIGN_REMIND: "sign_reminded_for",
    TimerKind.SIGN_OVERDUE: "sign_alerted_for",
    TimerKind.WARN: "warned_for",
    TimerKind.OVERDUE: "overdue_alerted_for",
    TimerKind.ESCALATE: "escalated_for",
}


def record_timer(ctx: CommandContext, case: Case, timer: Timer, *, skipped: bool) -> None:
    """An SLA timer fired (or was skipped as too late): its marker and its event, so a second
    sweep or instance neither repeats nor loses it."""
    setattr(case, _MARKERS[timer.kind], timer.deadline)
    ctx.log(
        case,
        Step(
            SYSTEM,
            f"{timer.kind.value}_skipped" if skipped else timer.kind.value,
            data={"deadline": timer.deadline.isoformat(), "due_at": timer.at.isoformat()},
        ),
    )


def callback_sent(ctx: CommandContext, case: Case, timer: Timer) -> None:
    """回访 asked: earlier answers are cleared, the auto-close clock starts."""
    case.callback_for = timer.deadline
    case.callback_sent_at = ctx.now
    case.feedback_resolved = None
    case.satisfaction = None
    ctx.log(case, Step(SYSTEM, "callback_sent", data={"resolved_at": timer.deadline.isoformat()}))


def _transition(ctx: CommandContext, case: Case, to_state: CaseState, step: Step) -> None:
    """A state change, then the case's timers planned again for its new state."""
    change_state(ctx.session, case, to_state.value, ctx.now, step.entry())
    plan(case, ctx.deps.calendar, ctx.deps.sla)


def close(ctx: CommandContext, case: Case, step: Step) -> None:
    """Archive (已归档): rated, auto-closed as 未评价, or handed to supervisor review."""
    case.closed_at = ctx.now
    _transition(ctx, case, CaseState.CLOSED, step)


def auto_close(ctx: CommandContext, case: Case) -> None:
    """No rating within `auto_close_days`: archive as 未评价, never as satisfied."""
    case.satisfaction = UNRATED
    data = {"resolved": case.feedback_resolved, "satisfaction": UNRATED}
    close(ctx, case, Step(SYSTEM, "auto_closed", data=data))


async def to_review(ctx: CommandContext, case: Case) -> None:
    """Dissatisfied after the last allowed reopen: archived, and the supervisors review it."""
    data = {"reopens": case.reopen_count, "satisfaction": case.satisfaction}
    close(ctx, case, Step(SYSTEM, "review", data=data))
    await ctx.tell(
        kind="fu:review",
        case=case,
        stamp=notify.version_stamp(case),
        recipients=await notify.supervisors(ctx.session),
        message=Outbound(
            ctx.t(
                "fu.review_supervisor",
                number=case.number,
                unit=case.unit_name or "-",
                reopens=case.reopen_count,
            )
        ),
    )


async def reopen(ctx: CommandContext, case: Case) -> datetime:
    """重办 to the same unit with fresh clocks from now; the unit gets a fresh card to sign.

    `dispatched_at` becomes the reopen time (the clocks run from it); the first dispatch stays
    in the event log. Returns the new handle deadline (the sign deadline for a type without one).
    """
    before = case.handle_deadline
    case.reopen_count += 1
    deadlines = start_clocks(ctx, case)
    data = {
        "reopen": case.reopen_count,
        "handle_deadline_before": before.isoformat() if before else None,
    }
    _transition(ctx, case, CaseState.REOPENED, Step(SYSTEM, "reopened", case.unit_name, data))
    deadline = deadlines.handle_by or deadlines.sign_by
    card = Cards(ctx.t, ctx.deps.zone).staff_card(case, now=ctx.now)
    notice = ctx.t(
        "fu.reopened_unit",
        number=case.number,
        sign_deadline=ctx.local(deadlines.sign_by),
        deadline=ctx.local(deadline),
    )
    await ctx.tell(
        kind="fu:reopen",
        case=case,
        stamp=notify.version_stamp(case),
        recipients=await notify.unit_staff(ctx.session, case.unit_name or ""),
        message=Outbound(f"{notice}\n{card.text}", buttons=card.buttons, photos=card.photos),
    )
    return deadline
