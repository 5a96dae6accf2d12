"""SLA clocks of a case (policy/sla.py) and the case types they are keyed by (casetypes.py).

Week used throughout: Monday 2026-11-23 to Friday 2026-11-27 are ordinary working days; Golden
Week 2026 (10-01..07 off, Saturday 10-10 on) and Spring Festival 2026 (02-15..23 off, Saturdays
02-14 and 02-28 on) as chinesecalendar 1.11 has them.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from handlers.policy.casetypes import RequestType, Urgency
from handlers.policy.sla import (
    Deadlines,
    ExtensionCapExceeded,
    InvalidExtension,
    SlaSettings,
    WorkSpan,
    auto_close_at,
    compute_deadlines,
    escalate_at,
    extend,
    follow_up_at,
    overdue_working_days,
    reopen_goes_to_supervisor,
)
from handlers.policy.workcalendar import CalendarSettings, WorkCalendar

CST = ZoneInfo("Asia/Shanghai")


def cst(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A Beijing-time instant."""
    return datetime(year, month, day, hour, minute, tzinfo=CST)


@pytest.fixture
def cal() -> WorkCalendar:
    """The default calendar: Asia/Shanghai, 09:00-12:00 and 13:30-17:30."""
    return WorkCalendar()


@pytest.fixture
def sla() -> SlaSettings:
    """The default clocks of design.md §3."""
    return SlaSettings()


def deadlines(
    cal: WorkCalendar,
    sla: SlaSettings,
    at: datetime,
    request_type: RequestType = RequestType.COMPLAINT,
    urgency: Urgency = Urgency.NORMAL,
) -> Deadlines:
    """compute_deadlines with the test's defaults."""
    return compute_deadlines(cal, sla, request_type=request_type, urgency=urgency, dispatched_at=at)


# --- case types ---------------------------------------------------------------------------


def test_case_types_have_stable_codes_and_chinese_labels() -> None:
    """Stored codes are English and each type and urgency has its Chinese label."""
    labels = {rt.value: rt.label_zh for rt in RequestType}
    assert labels == {
        "complaint": "投诉",
        "help": "求助",
        "suggestion": "建议",
        "question": "咨询",
        "praise": "表扬",
    }
    assert RequestType("help") is RequestType.HELP
    assert [(u.value, u.label_zh) for u in Urgency] == [("normal", "一般"), ("urgent", "紧急")]


# --- compute_deadlines --------------------------------------------------------------------


def test_normal_complaint_deadlines(cal: WorkCalendar, sla: SlaSettings) -> None:
    """A complaint dispatched Monday 10:00 gets every default clock of design.md §3."""
    got = deadlines(cal, sla, cst(2026, 11, 23, 10))
    assert got == Deadlines(
        sign_by=cst(2026, 11, 24, 17, 30),  # 1 working day
        handle_by=cst(2026, 11, 30, 17, 30),  # 5 working days, over the weekend
        return_by=cst(2026, 11, 25, 17, 30),  # 2 working days
        warn_at=cst(2026, 11, 27, 17, 30),  # 1 working day before handle_by
        # half of the 13 office hours to sign_by: 6 on Monday, then 30 minutes on Tuesday
        sign_remind_at=cst(2026, 11, 24, 9, 30),
    )


def test_deadlines_are_utc(cal: WorkCalendar, sla: SlaSettings) -> None:
    """Every computed instant is in UTC, whatever zone dispatch was given in."""
    got = deadlines(cal, sla, cst(2026, 11, 23, 10))
    for instant in (got.sign_by, got.handle_by, got.return_by, got.warn_at, got.sign_remind_at):
        assert instant is not None
        assert instant.tzinfo is UTC


@pytest.mark.parametrize(
    ("request_type", "handle_by"),
    [
        (RequestType.COMPLAINT, cst(2026, 11, 30, 17, 30)),
        (RequestType.SUGGESTION, cst(2026, 11, 30, 17, 30)),
        (RequestType.QUESTION, cst(2026, 11, 26, 17, 30)),
        (RequestType.HELP, cst(2026, 11, 26, 17, 30)),
    ],
)
def test_handle_clock_per_request_type(
    cal: WorkCalendar, sla: SlaSettings, request_type: RequestType, handle_by: datetime
) -> None:
    """投诉/建议 get 5 working days to handle and 咨询/求助 get 3."""
    assert deadlines(cal, sla, cst(2026, 11, 23, 10), request_type).handle_by == handle_by


def test_complaint_over_spring_festival(cal: WorkCalendar, sla: SlaSettings) -> None:
    """Dispatched before Spring Festival, clocks use the 调休 Saturday and skip the break."""
    got = deadlines(cal, sla, cst(2026, 2, 13, 10))
    assert got.sign_by == cst(2026, 2, 14, 17, 30)
    assert got.return_by == cst(2026, 2, 24, 17, 30)
    assert got.handle_by == cst(2026, 2, 27, 17, 30)
    assert got.warn_at == cst(2026, 2, 26, 17, 30)


def test_urgent_complaint_is_signed_in_two_hours_and_handled_same_day(
    cal: WorkCalendar, sla: SlaSettings
) -> None:
    """Urgent: sign in 2 office hours, handle by today's close, warn an hour before it."""
    got = deadlines(cal, sla, cst(2026, 11, 23, 10), urgency=Urgency.URGENT)
    assert got == Deadlines(
        sign_by=cst(2026, 11, 23, 12),
        handle_by=cst(2026, 11, 23, 17, 30),
        return_by=cst(2026, 11, 23, 17, 30),  # never after handle_by
        warn_at=cst(2026, 11, 23, 16, 30),
        sign_remind_at=cst(2026, 11, 23, 11),
    )


def test_urgent_case_dispatched_late_is_handled_the_day_it_must_be_signed(
    cal: WorkCalendar, sla: SlaSettings
) -> None:
    """Dispatched at 17:00, an urgent case signs by 10:30 next day and is handled that day."""
    got = deadlines(cal, sla, cst(2026, 11, 23, 17), urgency=Urgency.URGENT)
    assert got.sign_by == cst(2026, 11, 24, 10, 30)
    assert got.handle_by == cst(2026, 11, 24, 17, 30)
    assert got.warn_at == cst(2026, 11, 24, 16, 30)
    assert got.sign_remind_at == cst(2026, 11, 24, 9, 30)


def test_urgent_sign_clock_crosses_golden_week(cal: WorkCalendar, sla: SlaSettings) -> None:
    """An urgent case dispatched 16:45 on 30 September has until 10:15 on 8 October to sign."""
    got = deadlines(cal, sla, cst(2026, 9, 30, 16, 45), urgency=Urgency.URGENT)
    assert got.sign_by == cst(2026, 10, 8, 10, 15)


def test_praise_has_no_handle_clock_by_default(cal: WorkCalendar, sla: SlaSettings) -> None:
    """表扬 only needs signing, so there is no handle deadline or warning, nor a return cut-off."""
    got = deadlines(cal, sla, cst(2026, 11, 23, 10), RequestType.PRAISE)
    assert got.sign_by == cst(2026, 11, 24, 17, 30)
    assert got.handle_by is None
    assert got.warn_at is None
    assert got.return_by == cst(2026, 11, 25, 17, 30)


def test_praise_handle_clock_is_configurable(cal: WorkCalendar) -> None:
    """Setting [sla.praise] handle gives praise a handle clock like the other types."""
    sla = SlaSettings.model_validate({"praise": {"handle": "3d"}})
    got = deadlines(cal, sla, cst(2026, 11, 23, 10), RequestType.PRAISE)
    assert got.handle_by == cst(2026, 11, 26, 17, 30)


def test_no_warning_when_it_would_fall_before_dispatch(cal: WorkCalendar) -> None:
    """A handle clock shorter than the warning lead gets no separate yellow light."""
    sla = SlaSettings.model_validate({"complaint": {"handle": "1d"}})
    early = deadlines(cal, sla, cst(2026, 11, 23, 10))
    assert early.warn_at == cst(2026, 11, 23, 17, 30)
    late = deadlines(cal, sla, cst(2026, 11, 23, 18))
    assert late.handle_by == cst(2026, 11, 24, 17, 30)
    assert late.warn_at is None


def test_sign_reminder_fraction_is_configurable(cal: WorkCalendar) -> None:
    """With fraction 0.25 the reminder comes after a quarter of the sign clock's office time."""
    sla = SlaSettings(sign_reminder_fraction=0.25)
    got = deadlines(cal, sla, cst(2026, 11, 23, 9))  # 14 office hours to Tuesday's close
    # 3.5 office hours: 3 before lunch, 30 minutes after it
    assert got.sign_remind_at == cst(2026, 11, 23, 14)


def test_deadline_in_unknown_year_uses_config_holidays_and_warns_once(
    caplog: pytest.LogCaptureFixture, sla: SlaSettings
) -> None:
    """A case dispatched 31 Dec 2026 is due on 2027 working days from config; one warning."""
    cal = WorkCalendar(CalendarSettings(extra_holidays=(date(2027, 1, 1),)))
    caplog.set_level(logging.WARNING, logger="handlers.policy.workcalendar")
    got = deadlines(cal, sla, cst(2026, 12, 31, 10))
    assert got.sign_by == cst(2027, 1, 4, 17, 30)
    assert got.handle_by == cst(2027, 1, 8, 17, 30)
    deadlines(cal, sla, cst(2027, 1, 5, 10))
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "2027" in warnings[0].getMessage()


# --- extensions, follow-up, auto-close, overdue -------------------------------------------


def test_extend_moves_the_deadline_by_working_days(cal: WorkCalendar, sla: SlaSettings) -> None:
    """An approved 延期 of N working days ends at the close of the Nth working day after."""
    assert extend(cal, sla, cst(2026, 11, 30, 17, 30), 3) == cst(2026, 12, 3, 17, 30)
    assert extend(cal, sla, cst(2026, 9, 30, 17, 30), 2) == cst(2026, 10, 9, 17, 30)
    assert extend(cal, sla, cst(2026, 11, 30, 17, 30), 3, already_extended=7) == cst(
        2026, 12, 3, 17, 30
    )


def test_extension_cap_counts_all_extensions(cal: WorkCalendar, sla: SlaSettings) -> None:
    """Extensions beyond 10 working days in total are refused with the numbers for the reply."""
    with pytest.raises(ExtensionCapExceeded) as single:
        extend(cal, sla, cst(2026, 11, 30, 17, 30), 11)
    assert (single.value.requested, single.value.cap) == (11, 10)
    with pytest.raises(ExtensionCapExceeded) as total:
        extend(cal, sla, cst(2026, 11, 30, 17, 30), 3, already_extended=8)
    assert (total.value.already, total.value.remaining) == (8, 2)


def test_extension_must_be_at_least_a_day(cal: WorkCalendar, sla: SlaSettings) -> None:
    """An extension of zero days is refused."""
    with pytest.raises(InvalidExtension):
        extend(cal, sla, cst(2026, 11, 30, 17, 30), 0)


def test_follow_up_on_the_working_day_after_resolution(cal: WorkCalendar) -> None:
    """回访 is due at opening time on the next working day after 办结."""
    assert follow_up_at(cal, cst(2026, 11, 24, 15)) == cst(2026, 11, 25, 9)
    assert follow_up_at(cal, cst(2026, 11, 27, 15)) == cst(2026, 11, 30, 9)
    assert follow_up_at(cal, cst(2026, 9, 30, 15)) == cst(2026, 10, 8, 9)


def test_auto_close_counts_calendar_days(sla: SlaSettings) -> None:
    """An unanswered callback asked Friday 10:00 closes Monday 10:00, weekend included."""
    closes = auto_close_at(sla, cst(2026, 11, 27, 10))
    assert closes == cst(2026, 11, 30, 10)
    assert closes.tzinfo is UTC


@pytest.mark.parametrize(
    ("now", "days"),
    [
        pytest.param(cst(2026, 11, 27, 17, 0), 0, id="not-yet-due"),
        pytest.param(cst(2026, 11, 28, 12), 0, id="weekend"),
        pytest.param(cst(2026, 11, 30, 10), 0, id="monday-open"),
        pytest.param(cst(2026, 11, 30, 17, 30), 1, id="monday-closed"),
        pytest.param(cst(2026, 12, 1, 8), 1, id="tuesday-before-opening"),
        pytest.param(cst(2026, 12, 4, 17, 30), 5, id="five-days"),
    ],
)
def test_overdue_counts_completed_working_days(cal: WorkCalendar, now: datetime, days: int) -> None:
    """A case due Friday 17:30 is one working day overdue once Monday's office has closed."""
    assert overdue_working_days(cal, cst(2026, 11, 27, 17, 30), now) == days


def test_overdue_skips_holidays(cal: WorkCalendar) -> None:
    """Golden Week does not make a case more overdue."""
    due = cst(2026, 9, 30, 17, 30)
    assert overdue_working_days(cal, due, cst(2026, 10, 7, 23)) == 0
    assert overdue_working_days(cal, due, cst(2026, 10, 8, 17, 30)) == 1


def test_escalation_after_five_overdue_working_days(cal: WorkCalendar, sla: SlaSettings) -> None:
    """通报 falls at the close of the 5th working day after the deadline, not a second earlier."""
    due = cst(2026, 11, 27, 17, 30)
    at = escalate_at(cal, sla, due)
    assert at == cst(2026, 12, 4, 17, 30)
    assert overdue_working_days(cal, due, at) == sla.escalate_after_days
    assert overdue_working_days(cal, due, at - timedelta(seconds=1)) == 4


def test_reopens_go_to_supervisor_after_the_limit(sla: SlaSettings) -> None:
    """With max_reopens 2, the third 不满意 goes to a supervisor instead of the unit."""
    assert not reopen_goes_to_supervisor(sla, reopens_so_far=0)
    assert not reopen_goes_to_supervisor(sla, reopens_so_far=1)
    assert reopen_goes_to_supervisor(sla, reopens_so_far=2)


# --- settings -----------------------------------------------------------------------------


def test_partial_type_table_keeps_that_types_defaults() -> None:
    """[sla.question] sign = "2d" changes only that key; its 3-day handle clock stays."""
    sla = SlaSettings.model_validate({"question": {"sign": "2d"}})
    assert sla.question.sign == WorkSpan(days=2)
    assert sla.question.handle == WorkSpan(days=3)
    assert sla.complaint == SlaSettings().complaint


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("5d", WorkSpan(days=5)),
        ("0d", WorkSpan(days=0)),
        (" 2H ", WorkSpan(office_time=timedelta(hours=2))),
        ("1.5h", WorkSpan(office_time=timedelta(minutes=90))),
        (7, WorkSpan(days=7)),
    ],
)
def test_clock_lengths_parse(text: object, span: WorkSpan) -> None:
    """Clock lengths are written as working days ('5d', or an int) or office hours ('2h')."""
    assert WorkSpan.parse(text) == span


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param({"complaint": {"handle": "5 days"}}, "not a clock length", id="words"),
        pytest.param({"complaint": {"handle": "-1d"}}, "not a clock length", id="negative"),
        pytest.param({"complaint": {"sign_urgent": "0h"}}, "must be positive", id="zero-hours"),
        pytest.param({"complaint": {"sign": "none"}}, "not a clock length", id="no-sign-clock"),
        pytest.param({"complaint": {"sign": True}}, "not a clock length", id="bool"),
        pytest.param({"complaint": {"handel": "5d"}}, "Extra inputs", id="misspelt-type-key"),
        pytest.param({"complain": {"handle": "5d"}}, "Extra inputs", id="misspelt-type"),
        pytest.param({"sign_reminder_fraction": 1.0}, "less than 1", id="fraction"),
        pytest.param({"extension_cap_days": -1}, "greater than or equal", id="cap"),
    ],
)
def test_sla_settings_validation(data: dict[str, object], message: str) -> None:
    """Bad SLA settings are refused with a message that says what is wrong."""
    with pytest.raises(ValidationError, match=message):
        SlaSettings.model_validate(data)


def test_sla_settings_round_trip_as_text() -> None:
    """Dumped settings show clocks as '5d' / '2h' / 'none' and load back unchanged."""
    dumped = SlaSettings().model_dump()
    assert dumped["complaint"] == {
        "sign": "1d",
        "sign_urgent": "2h",
        "handle": "5d",
        "handle_urgent": "0d",
    }
    assert dumped["praise"]["handle"] == "none"
    assert SlaSettings.model_validate(dumped) == SlaSettings()
