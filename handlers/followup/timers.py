"""Which follow-up timers a case has, and when each is due: pure functions of the case row.

A timer is pending while the case is in a state it applies to and its marker on the case does not
name the current deadline (see `storage.models.Case`). So a timer fires once per deadline: the
sweep sets the marker in the transaction that queues the messages; an extension, a re-dispatch
or a reopen (重办) moves the deadline and so arms the timers again.

* sign_remind (dispatched, reopened): at `sign_reminder_fraction` of the sign clock, to the unit.
* sign_overdue (dispatched, reopened): at the sign deadline, to supervisors.
* warn (dispatched, accepted, reopened): `warning_lead` before the handle deadline (黄灯), to
  the handling staff (the signer, else the unit's staff).
* overdue (same states): at the handle deadline: 催办 to the unit head, alert to supervisors.
* escalate (same states): `escalate_after_days` working days after it (通报), to supervisors.
* callback (resolved): opening of the next working day (回访), to the resident.
* auto_close (resolved, callback unanswered): `auto_close_days` after the callback: 未评价.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import NamedTuple

from handlers.policy.casetypes import RequestType, Urgency
from handlers.policy.lifecycle import CaseState
from handlers.policy.sla import (
    SlaSettings,
    auto_close_at,
    compute_deadlines,
    escalate_at,
    follow_up_at,
)
from handlers.policy.workcalendar import WorkCalendar
from storage.models import Case

SIGN_STATES = frozenset({CaseState.DISPATCHED.value, CaseState.REOPENED.value})
HANDLE_STATES = frozenset(
    {CaseState.DISPATCHED.value, CaseState.ACCEPTED.value, CaseState.REOPENED.value}
)


class TimerKind(StrEnum):
    SIGN_REMIND = "sign_remind"
    SIGN_OVERDUE = "sign_overdue"
    WARN = "warn"
    OVERDUE = "overdue"
    ESCALATE = "escalate"
    CALLBACK = "callback"
    AUTO_CLOSE = "auto_close"


class Timer(NamedTuple):
    """One pending timer: what, when, and the deadline (or resolution) it belongs to."""

    kind: TimerKind
    at: datetime
    deadline: datetime


def sign_remind_at(
    calendar: WorkCalendar, sla: SlaSettings, *, started: datetime, sign_by: datetime
) -> datetime:
    """When `sign_reminder_fraction` of the sign clock's office time has run (as in sla.py)."""
    window = calendar.working_time_between(started, sign_by)
    to_reminder = timedelta(seconds=round(window.total_seconds() * sla.sign_reminder_fraction))
    return calendar.add_working_time(started, to_reminder)


def warn_at(
    calendar: WorkCalendar, sla: SlaSettings, case: Case, handle_by: datetime
) -> datetime | None:
    """The yellow light, or None when it would not fall after the clock started."""
    lead = sla.warning_lead_urgent if case.urgency == Urgency.URGENT.value else sla.warning_lead
    warning = lead.before(calendar, handle_by)
    started = case.dispatched_at
    return warning if started is None or warning > started else None


def fill_missing_deadlines(case: Case, calendar: WorkCalendar, sla: SlaSettings) -> bool:
    """Give a dispatched case without clocks its deadlines (a dispatch that did not set them).

    Returns whether anything changed. The dispatch code normally sets them itself.
    """
    if (
        case.state not in HANDLE_STATES
        or case.dispatched_at is None
        or case.sign_deadline is not None
    ):
        return False
    deadlines = compute_deadlines(
        calendar,
        sla,
        request_type=RequestType(case.request_type),
        urgency=Urgency(case.urgency),
        dispatched_at=case.dispatched_at,
    )
    case.sign_deadline = deadlines.sign_by
    case.handle_deadline = deadlines.handle_by
    case.return_deadline = deadlines.return_by
    return True


def pending_timers(case: Case, calendar: WorkCalendar, sla: SlaSettings) -> list[Timer]:
    """Every timer of the case not yet fired for its current deadline, earliest first."""
    timers: list[Timer] = []
    sign_by, handle_by = case.sign_deadline, case.handle_deadline
    if case.state in SIGN_STATES and sign_by is not None:
        if case.sign_reminded_for != sign_by and case.dispatched_at is not None:
            at = sign_remind_at(calendar, sla, started=case.dispatched_at, sign_by=sign_by)
            timers.append(Timer(TimerKind.SIGN_REMIND, at, sign_by))
        if case.sign_alerted_for != sign_by:
            timers.append(Timer(TimerKind.SIGN_OVERDUE, sign_by, sign_by))
    if case.state in HANDLE_STATES and handle_by is not None:
        if case.warned_for != handle_by:
            warning = warn_at(calendar, sla, case, handle_by)
            if warning is not None:
                timers.append(Timer(TimerKind.WARN, warning, handle_by))
        if case.overdue_alerted_for != handle_by:
            timers.append(Timer(TimerKind.OVERDUE, handle_by, handle_by))
        if case.escalated_for != handle_by:
            at = escalate_at(calendar, sla, handle_by)
            timers.append(Timer(TimerKind.ESCALATE, at, handle_by))
    resolved_at = case.resolved_at
    if case.state == CaseState.RESOLVED.value and resolved_at is not None:
        if case.callback_for != resolved_at:
            at = follow_up_at(calendar, resolved_at)
            timers.append(Timer(TimerKind.CALLBACK, at, resolved_at))
        elif case.satisfaction is None and case.callback_sent_at is not None:
            at = auto_close_at(sla, case.callback_sent_at)
            timers.append(Timer(TimerKind.AUTO_CLOSE, at, resolved_at))
    timers.sort(key=lambda timer: timer.at)
    return timers


def plan(case: Case, calendar: WorkCalendar, sla: SlaSettings) -> None:
    """Set `next_due_at` from the pending timers and note the version it was planned for."""
    fill_missing_deadlines(case, calendar, sla)
    timers = pending_timers(case, calendar, sla)
    case.next_due_at = timers[0].at if timers else None
    case.clocks_version = case.version
