"""SLA clocks (时限) for a case: when it must be signed, handled, returned, warned and followed up.

Pure functions over a `WorkCalendar` and the `[sla]` settings; nothing here reads the clock or the
database. The storage layer stores the results in UTC so the sweep can find due work by index.

Rules (defaults from design.md §3, all configurable per request type and urgency):

* Sign (签收), handle (办理) and return (退单) clocks all run from dispatch (派单). A clock in
  working days ends at the close of office of the Nth working day after the dispatch date; a clock
  in hours counts office time only (see `handlers.policy.workcalendar`).
* A handle clock never ends before the sign clock: when it would (an urgent "same day" case
  dispatched late in the day), it is counted from the sign deadline instead.
* The return window never outlasts the handle clock.
* Praise (表扬) has no handle clock by default: the unit acknowledges it by signing, and the case
  is closed. Configure ``handle = "3d"`` under ``[sla.praise]`` to treat it like the others.
* The yellow-light warning comes `warning_lead` of office time before the handle deadline; a lead
  of whole days lands on the previous close of office. No warning is scheduled when that instant
  is not after dispatch (the dispatch notice already states the deadline).
* The sign reminder comes when `sign_reminder_fraction` of the sign clock's office time has run.
* Overdue is counted in completed working days after the deadline; the bulletin (通报) escalation
  falls at the close of the Nth working day after it.
* Auto-close counts calendar days (72 hours by default), as the design says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    model_validator,
)

from handlers.policy.casetypes import RequestType, Urgency
from handlers.policy.workcalendar import WorkCalendar

_SPAN = re.compile(r"(\d+)\s*d|(\d+(?:\.\d+)?)\s*h")
_NO_CLOCK = "none"


@dataclass(frozen=True, slots=True)
class WorkSpan:
    """A clock length: whole working days (`days`) or office time (`office_time`), never both.

    Written in config as ``"5d"`` (working days), ``"0d"`` (same working day), ``"2h"`` or
    ``"1.5h"`` (office hours); a bare integer means working days.
    """

    days: int | None = None
    office_time: timedelta | None = None

    def __post_init__(self) -> None:
        if (self.days is None) == (self.office_time is None):
            raise ValueError("a WorkSpan has either days or office_time")
        if self.days is not None and self.days < 0:
            raise ValueError(f"working days must be 0 or more, got {self.days}")
        if self.office_time is not None and self.office_time <= timedelta(0):
            raise ValueError(f"office time must be positive, got {self.office_time}")

    @classmethod
    def parse(cls, value: object) -> WorkSpan:
        """Read ``"5d"``, ``"2h"``, ``1.5h`` or an int (working days)."""
        if isinstance(value, WorkSpan):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return cls(days=value)
        if isinstance(value, str):
            match = _SPAN.fullmatch(value.strip().lower())
            if match is not None:
                if match[1] is not None:
                    return cls(days=int(match[1]))
                return cls(office_time=timedelta(hours=float(match[2])))
        raise ValueError(
            f"{value!r} is not a clock length; write e.g. '5d' (working days), "
            "'0d' (same working day) or '2h' (office hours)"
        )

    def __str__(self) -> str:
        if self.days is not None:
            return f"{self.days}d"
        assert self.office_time is not None
        return f"{self.office_time.total_seconds() / 3600:g}h"

    def after(self, calendar: WorkCalendar, start: datetime) -> datetime:
        """When a clock of this length started at `start` expires."""
        if self.days is not None:
            return calendar.add_working_days(start, self.days)
        assert self.office_time is not None
        return calendar.add_working_time(start, self.office_time)

    def before(self, calendar: WorkCalendar, end: datetime) -> datetime:
        """The instant this much office time before `end` (a day is one office day's time)."""
        lead = self.office_time
        if lead is None:
            assert self.days is not None
            lead = calendar.office_day_length * self.days
        return calendar.subtract_working_time(end, lead)


def _parse_optional_span(value: object) -> WorkSpan | None:
    if value is None or (isinstance(value, str) and value.strip().lower() == _NO_CLOCK):
        return None
    return WorkSpan.parse(value)


def _span_text(span: WorkSpan | None) -> str:
    return _NO_CLOCK if span is None else str(span)


Span = Annotated[WorkSpan, PlainValidator(WorkSpan.parse), PlainSerializer(str, return_type=str)]
# TOML has no null, so "none" switches a clock off.
OptionalSpan = Annotated[
    WorkSpan | None,
    PlainValidator(_parse_optional_span),
    PlainSerializer(_span_text, return_type=str),
]


class _Table(BaseModel):
    # A misspelt key is an error, not a silently ignored setting.
    model_config = ConfigDict(extra="forbid", frozen=True)


class TypeClocks(_Table):
    """Sign and handle clocks for one request type, normal and urgent (``[sla.<type>]``)."""

    sign: Span = WorkSpan(days=1)
    sign_urgent: Span = WorkSpan(office_time=timedelta(hours=2))
    handle: OptionalSpan
    handle_urgent: OptionalSpan


# Per-type defaults (design.md §3). Kept as plain values so a partial [sla.<type>] table in the
# config is merged over them key by key instead of resetting the untouched keys.
_TYPE_DEFAULTS: dict[RequestType, dict[str, str]] = {
    RequestType.COMPLAINT: {"handle": "5d", "handle_urgent": "0d"},
    RequestType.SUGGESTION: {"handle": "5d", "handle_urgent": "0d"},
    RequestType.HELP: {"handle": "3d", "handle_urgent": "0d"},
    RequestType.QUESTION: {"handle": "3d", "handle_urgent": "0d"},
    RequestType.PRAISE: {"handle": _NO_CLOCK, "handle_urgent": _NO_CLOCK},
}


def _default_clocks(request_type: RequestType) -> TypeClocks:
    return TypeClocks.model_validate(_TYPE_DEFAULTS[request_type])


class SlaSettings(_Table):
    """The ``[sla]`` table: every clock length and threshold of design.md §3."""

    complaint: TypeClocks = Field(default_factory=lambda: _default_clocks(RequestType.COMPLAINT))
    help: TypeClocks = Field(default_factory=lambda: _default_clocks(RequestType.HELP))
    suggestion: TypeClocks = Field(default_factory=lambda: _default_clocks(RequestType.SUGGESTION))
    question: TypeClocks = Field(default_factory=lambda: _default_clocks(RequestType.QUESTION))
    praise: TypeClocks = Field(default_factory=lambda: _default_clocks(RequestType.PRAISE))
    warning_lead: Span = WorkSpan(days=1)
    warning_lead_urgent: Span = WorkSpan(office_time=timedelta(hours=1))
    sign_reminder_fraction: float = Field(default=0.5, gt=0.0, lt=1.0)
    return_window: Span = WorkSpan(days=2)
    extension_cap_days: int = Field(default=10, ge=0)
    auto_close_days: int = Field(default=3, ge=1)
    escalate_after_days: int = Field(default=5, ge=1)
    max_reopens: int = Field(default=2, ge=0)

    @model_validator(mode="before")
    @classmethod
    def _merge_type_defaults(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        merged = dict(data)
        for request_type, defaults in _TYPE_DEFAULTS.items():
            given = merged.get(request_type.value)
            if isinstance(given, dict):
                merged[request_type.value] = {**defaults, **given}
        return merged

    def clocks(self, request_type: RequestType) -> TypeClocks:
        """The sign and handle clocks for `request_type`."""
        clocks: TypeClocks = getattr(self, RequestType(request_type).value)
        return clocks


@dataclass(frozen=True, slots=True)
class Deadlines:
    """Every instant a freshly dispatched case is due for something, in UTC.

    `handle_by` and `warn_at` are None when the type has no handle clock (praise) or, for
    `warn_at`, when the warning would fall at or before dispatch.
    """

    sign_by: datetime
    handle_by: datetime | None
    return_by: datetime
    warn_at: datetime | None
    sign_remind_at: datetime


class SlaError(ValueError):
    """A request that breaks an SLA rule; the attributes say which, for the reply text."""


class InvalidExtension(SlaError):
    """An extension (延期) of less than one working day."""

    def __init__(self, requested: int) -> None:
        super().__init__(f"an extension must be at least 1 working day, got {requested}")
        self.requested = requested


class ExtensionCapExceeded(SlaError):
    """An extension (延期) that would take the case past the configured total cap."""

    def __init__(self, *, requested: int, already: int, cap: int) -> None:
        super().__init__(
            f"extension of {requested} working days exceeds the cap: {already} already granted, "
            f"at most {cap} in total"
        )
        self.requested = requested
        self.already = already
        self.cap = cap
        self.remaining = max(cap - already, 0)


def compute_deadlines(
    calendar: WorkCalendar,
    sla: SlaSettings,
    *,
    request_type: RequestType,
    urgency: Urgency,
    dispatched_at: datetime,
) -> Deadlines:
    """All clocks of a case dispatched (or reopened, 重办) at `dispatched_at`."""
    clocks = sla.clocks(request_type)
    urgent = Urgency(urgency) is Urgency.URGENT
    sign_span = clocks.sign_urgent if urgent else clocks.sign
    handle_span = clocks.handle_urgent if urgent else clocks.handle

    dispatched_at = dispatched_at.astimezone(UTC)
    sign_by = sign_span.after(calendar, dispatched_at)

    handle_by: datetime | None = None
    warn_at: datetime | None = None
    return_by = sla.return_window.after(calendar, dispatched_at)
    if handle_span is not None:
        handle_by = handle_span.after(calendar, dispatched_at)
        if handle_by < sign_by:
            handle_by = handle_span.after(calendar, sign_by)
        return_by = min(return_by, handle_by)
        lead = sla.warning_lead_urgent if urgent else sla.warning_lead
        warning = lead.before(calendar, handle_by)
        warn_at = warning if warning > dispatched_at else None

    sign_window = calendar.working_time_between(dispatched_at, sign_by)
    # Whole seconds: a fraction like 0.3 must not leave float noise in stored timestamps.
    to_reminder = timedelta(seconds=round(sign_window.total_seconds() * sla.sign_reminder_fraction))
    sign_remind_at = calendar.add_working_time(dispatched_at, to_reminder)

    return Deadlines(
        sign_by=sign_by,
        handle_by=handle_by,
        return_by=return_by,
        warn_at=warn_at,
        sign_remind_at=sign_remind_at,
    )


def extend(
    calendar: WorkCalendar,
    sla: SlaSettings,
    deadline: datetime,
    days: int,
    *,
    already_extended: int = 0,
) -> datetime:
    """The handle deadline after an approved extension (延期) of `days` working days.

    The cap counts all extensions of the case together, so `already_extended` is the sum of the
    ones granted before.
    """
    if days < 1:
        raise InvalidExtension(days)
    if already_extended + days > sla.extension_cap_days:
        raise ExtensionCapExceeded(
            requested=days, already=already_extended, cap=sla.extension_cap_days
        )
    return calendar.add_working_days(deadline, days)


def follow_up_at(calendar: WorkCalendar, resolved_at: datetime) -> datetime:
    """When the callback (回访) is due: opening of office on the working day after 办结."""
    return calendar.next_workday_start(resolved_at)


def auto_close_at(sla: SlaSettings, asked_at: datetime) -> datetime:
    """When an unanswered callback closes the case as 未评价 (calendar days, not working days)."""
    return asked_at.astimezone(UTC) + timedelta(days=sla.auto_close_days)


def overdue_working_days(calendar: WorkCalendar, deadline: datetime, now: datetime) -> int:
    """Completed working days since `deadline` passed (0 while not yet overdue).

    A working day counts once its office has closed: due Friday 17:30, it is 0 on Monday at
    10:00 and 1 from Monday 17:30.
    """
    if now <= deadline:
        return 0
    days = calendar.working_days_between(deadline, now)
    closes = calendar.closing_time(calendar.local_date(now))
    if days > 0 and closes is not None and now < closes:
        days -= 1  # today's office is still open, so today is not yet a full overdue day
    return days


def escalate_at(calendar: WorkCalendar, sla: SlaSettings, deadline: datetime) -> datetime:
    """When an overdue case reaches the bulletin (通报): `escalate_after_days` overdue days.

    Store it with the case so the sweep finds escalations by index.
    """
    return calendar.add_working_days(deadline, sla.escalate_after_days)


def reopen_goes_to_supervisor(sla: SlaSettings, *, reopens_so_far: int) -> bool:
    """Whether a 不满意 answer goes to a supervisor instead of reopening (重办) to the unit."""
    return reopens_so_far >= sla.max_reopens
