"""Working days, office hours and the clock seam (handlers/policy: workcalendar, clock).

Dates are checked against chinesecalendar 1.11's 2026 data: Spring Festival off 2026-02-15..23
with make-up Saturdays 02-14 and 02-28; Mid-Autumn off Friday 09-25; National Day off 10-01..07
with make-up Sunday 09-20 and Saturday 10-10.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from pydantic import ValidationError

from handlers.policy.clock import FixedClock, SystemClock
from handlers.policy.workcalendar import CalendarError, CalendarSettings, WorkCalendar

CST = ZoneInfo("Asia/Shanghai")


def cst(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A Beijing-time instant."""
    return datetime(year, month, day, hour, minute, tzinfo=CST)


@pytest.fixture
def cal() -> WorkCalendar:
    """The default calendar: Asia/Shanghai, 09:00-12:00 and 13:30-17:30."""
    return WorkCalendar()


# --- working days -------------------------------------------------------------------------


def test_golden_week_days_are_off_and_make_up_days_are_on(cal: WorkCalendar) -> None:
    """National Day 2026 weekdays are days off and its 调休 weekend days are working days."""
    for day in range(1, 8):
        assert not cal.is_workday(date(2026, 10, day))
    assert cal.is_workday(date(2026, 9, 20))  # Sunday, make-up workday
    assert cal.is_workday(date(2026, 10, 8))
    assert cal.is_workday(date(2026, 10, 10))  # Saturday, make-up workday
    assert not cal.is_workday(date(2026, 10, 11))


def test_spring_festival_2026(cal: WorkCalendar) -> None:
    """Spring Festival 2026 weekdays are off; the Saturdays either side are working days."""
    assert cal.is_workday(date(2026, 2, 13))
    assert cal.is_workday(date(2026, 2, 14))
    for day in (16, 17, 18, 19, 20, 23):
        assert not cal.is_workday(date(2026, 2, day))
    assert cal.is_workday(date(2026, 2, 24))
    assert cal.is_workday(date(2026, 2, 28))


def test_next_workday_skips_golden_week(cal: WorkCalendar) -> None:
    """The working day after 30 September 2026 is 8 October."""
    assert cal.next_workday(date(2026, 9, 30)) == date(2026, 10, 8)


def test_is_workday_is_cached_per_date(cal: WorkCalendar, monkeypatch: pytest.MonkeyPatch) -> None:
    """chinesecalendar is consulted once per date, however often the date is asked about."""
    calls: list[date] = []
    real = chinese_calendar.is_workday

    def counting(day: date) -> bool:
        calls.append(day)
        return bool(real(day))

    monkeypatch.setattr(chinese_calendar, "is_workday", counting)
    for _ in range(3):
        cal.add_working_days(cst(2026, 11, 23, 10), 5)
    assert len(calls) == len(set(calls)) > 0


def test_is_workday_rejects_a_datetime(cal: WorkCalendar) -> None:
    """A datetime passed as a date is refused, since its date part may be in the wrong zone."""
    with pytest.raises(TypeError):
        cal.is_workday(cst(2026, 11, 23, 10))


def test_working_days_between_skips_holidays(cal: WorkCalendar) -> None:
    """Counting working days after one date up to another leaves out Golden Week and weekends."""
    assert cal.working_days_between(cst(2026, 9, 30, 10), cst(2026, 10, 9, 10)) == 2
    assert cal.working_days_between(cst(2026, 11, 27, 10), cst(2026, 11, 30, 8)) == 1
    assert cal.working_days_between(cst(2026, 11, 27, 8), cst(2026, 11, 27, 20)) == 0
    assert cal.working_days_between(cst(2026, 10, 9, 10), cst(2026, 9, 30, 10)) == -2


def test_local_date_uses_the_office_timezone(cal: WorkCalendar) -> None:
    """17:00 UTC on Monday is already Tuesday in Beijing, so a 1-day clock ends on Wednesday."""
    monday_evening_utc = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
    assert cal.local_date(monday_evening_utc) == date(2026, 11, 24)
    assert cal.add_working_days(monday_evening_utc, 1) == cst(2026, 11, 25, 17, 30)


# --- working-day clocks -------------------------------------------------------------------


def test_add_working_days_ends_at_close_on_nth_day_after(cal: WorkCalendar) -> None:
    """N working days end at 17:30 on the Nth working day after the start day, whatever the hour."""
    assert cal.add_working_days(cst(2026, 11, 23, 9, 5), 1) == cst(2026, 11, 24, 17, 30)
    assert cal.add_working_days(cst(2026, 11, 23, 16), 1) == cst(2026, 11, 24, 17, 30)
    assert cal.add_working_days(cst(2026, 11, 23, 16), 5) == cst(2026, 11, 30, 17, 30)


def test_results_are_utc(cal: WorkCalendar) -> None:
    """Deadlines come back in UTC for storage and comparison."""
    result = cal.add_working_days(cst(2026, 11, 23, 10), 1)
    assert result.tzinfo is UTC
    assert result == datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


def test_add_working_days_across_golden_week(cal: WorkCalendar) -> None:
    """Five working days from 30 September run 8, 9, 10 (Saturday), 12 and 13 October."""
    assert cal.add_working_days(cst(2026, 9, 30, 10), 5) == cst(2026, 10, 13, 17, 30)


def test_add_working_days_counts_make_up_saturday(cal: WorkCalendar) -> None:
    """One working day after Friday 13 February 2026 is the 调休 Saturday the 14th."""
    assert cal.add_working_days(cst(2026, 2, 13, 10), 1) == cst(2026, 2, 14, 17, 30)
    assert cal.add_working_days(cst(2026, 2, 13, 10), 2) == cst(2026, 2, 24, 17, 30)


def test_add_working_days_from_a_day_off(cal: WorkCalendar) -> None:
    """A clock started on Saturday counts Monday as its first working day."""
    assert cal.add_working_days(cst(2026, 11, 28, 11), 1) == cst(2026, 11, 30, 17, 30)


def test_zero_working_days_means_end_of_this_working_day(cal: WorkCalendar) -> None:
    """Same day ends at today's close, or the next working day's after hours or on a day off."""
    assert cal.add_working_days(cst(2026, 11, 23, 10), 0) == cst(2026, 11, 23, 17, 30)
    assert cal.add_working_days(cst(2026, 11, 23, 17, 30), 0) == cst(2026, 11, 24, 17, 30)
    assert cal.add_working_days(cst(2026, 11, 23, 18), 0) == cst(2026, 11, 24, 17, 30)
    assert cal.add_working_days(cst(2026, 11, 28, 10), 0) == cst(2026, 11, 30, 17, 30)


def test_negative_working_days_are_refused(cal: WorkCalendar) -> None:
    """A clock cannot run backwards."""
    with pytest.raises(ValueError, match="0 or more"):
        cal.add_working_days(cst(2026, 11, 23, 10), -1)


# --- office-hour clocks -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        pytest.param(cst(2026, 11, 23, 11), cst(2026, 11, 23, 14, 30), id="over-lunch"),
        pytest.param(cst(2026, 11, 23, 16, 30), cst(2026, 11, 24, 10), id="overnight"),
        pytest.param(cst(2026, 11, 27, 17), cst(2026, 11, 30, 10, 30), id="over-weekend"),
        pytest.param(cst(2026, 9, 30, 17), cst(2026, 10, 8, 10, 30), id="over-golden-week"),
        pytest.param(cst(2026, 11, 23, 7), cst(2026, 11, 23, 11), id="before-opening"),
        pytest.param(cst(2026, 11, 28, 10), cst(2026, 11, 30, 11), id="from-saturday"),
        pytest.param(cst(2026, 11, 23, 15, 30), cst(2026, 11, 23, 17, 30), id="exactly-to-close"),
    ],
)
def test_urgent_two_hour_clock_counts_office_time_only(
    cal: WorkCalendar, start: datetime, expected: datetime
) -> None:
    """Two working hours skip lunch, nights, weekends and holidays, and may end at a close."""
    assert cal.add_working_hours(start, 2) == expected


def test_single_office_span_has_no_lunch_break() -> None:
    """With office hours '09:00-17:30' the clock runs through noon."""
    cal = WorkCalendar(CalendarSettings(office_hours=("09:00-17:30",)))
    assert cal.add_working_hours(cst(2026, 11, 23, 11), 2) == cst(2026, 11, 23, 13)
    assert cal.office_day_length == timedelta(hours=8, minutes=30)


def test_office_hours_may_be_listed_in_any_order() -> None:
    """Intervals are sorted, so an afternoon-first list counts the same as the default."""
    cal = WorkCalendar(CalendarSettings(office_hours=("13:30-17:30", "09:00-12:00")))
    assert cal.settings.office_hours == ("09:00-12:00", "13:30-17:30")
    assert cal.add_working_hours(cst(2026, 11, 23, 11), 2) == cst(2026, 11, 23, 14, 30)


def test_zero_office_time_is_the_start_itself(cal: WorkCalendar) -> None:
    """Adding no office time leaves the instant unchanged, even outside office hours."""
    assert cal.add_working_time(cst(2026, 11, 23, 20), timedelta(0)) == cst(2026, 11, 23, 20)


def test_subtracting_a_working_day_lands_on_the_previous_close(cal: WorkCalendar) -> None:
    """An office day before Friday 17:30 is Thursday 17:30; 2 hours before 10:00 cross a night."""
    day = cal.office_day_length
    assert cal.subtract_working_time(cst(2026, 11, 27, 17, 30), day) == cst(2026, 11, 26, 17, 30)
    assert cal.subtract_working_time(cst(2026, 11, 27, 10), timedelta(hours=2)) == cst(
        2026, 11, 26, 16, 30
    )
    assert cal.subtract_working_time(cst(2026, 10, 8, 17, 30), day) == cst(2026, 9, 30, 17, 30)


def test_working_time_between(cal: WorkCalendar) -> None:
    """Office time between two instants leaves out lunch, nights and weekends."""
    assert cal.working_time_between(cst(2026, 11, 23, 11), cst(2026, 11, 23, 14, 30)) == (
        timedelta(hours=2)
    )
    assert cal.working_time_between(cst(2026, 11, 27, 17), cst(2026, 11, 30, 10, 30)) == (
        timedelta(hours=2)
    )
    assert cal.working_time_between(cst(2026, 11, 30, 10, 30), cst(2026, 11, 27, 17)) == (
        -timedelta(hours=2)
    )


def test_next_workday_start(cal: WorkCalendar) -> None:
    """The opening of the next working day skips the weekend and Golden Week."""
    assert cal.next_workday_start(cst(2026, 11, 27, 15)) == cst(2026, 11, 30, 9)
    assert cal.next_workday_start(cst(2026, 11, 23, 8)) == cst(2026, 11, 24, 9)
    assert cal.next_workday_start(cst(2026, 9, 30, 20)) == cst(2026, 10, 8, 9)


def test_closing_time(cal: WorkCalendar) -> None:
    """Close of office is 17:30 on a working day and None on a day off."""
    assert cal.closing_time(date(2026, 10, 10)) == cst(2026, 10, 10, 17, 30)
    assert cal.closing_time(date(2026, 10, 6)) is None


def test_is_office_time(cal: WorkCalendar) -> None:
    """Office time is inside an interval on a working day; the close itself is outside."""
    assert cal.is_office_time(cst(2026, 11, 23, 11, 59))
    assert not cal.is_office_time(cst(2026, 11, 23, 12, 30))
    assert not cal.is_office_time(cst(2026, 11, 23, 17, 30))
    assert not cal.is_office_time(cst(2026, 11, 28, 10))


def test_naive_datetimes_are_refused(cal: WorkCalendar) -> None:
    """A datetime without a timezone is an error, not silently read as UTC or local."""
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.add_working_hours(datetime(2026, 11, 23, 10), 2)  # naive on purpose


# --- years chinesecalendar does not know --------------------------------------------------


def test_unknown_year_falls_back_to_weekdays_and_config(caplog: pytest.LogCaptureFixture) -> None:
    """2027 uses Monday-Friday plus configured days off and on, and warns once for the year."""
    cal = WorkCalendar(
        CalendarSettings(
            extra_holidays=(date(2027, 1, 1),),
            extra_workdays=(date(2027, 2, 6),),
        )
    )
    caplog.set_level(logging.WARNING, logger="handlers.policy.workcalendar")
    # Thursday 31 Dec 2026 + 3: Friday 1 Jan 2027 is a configured holiday, so 4, 5, 6 January.
    assert cal.add_working_days(cst(2026, 12, 31, 10), 3) == cst(2027, 1, 6, 17, 30)
    assert not cal.is_workday(date(2027, 1, 1))
    assert cal.is_workday(date(2027, 2, 6))  # a configured Saturday workday
    assert not cal.is_workday(date(2027, 2, 7))
    assert cal.is_workday(date(2027, 2, 8))
    cal.add_working_days(cst(2027, 3, 1, 10), 20)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "2027" in warnings[0].getMessage()


def test_each_unknown_year_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    """A second unknown year gets its own single warning, which says no holidays are configured."""
    cal = WorkCalendar()
    caplog.set_level(logging.WARNING, logger="handlers.policy.workcalendar")
    cal.add_working_days(cst(2027, 12, 20, 10), 15)
    cal.add_working_days(cst(2027, 12, 21, 10), 15)
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(messages) == 2
    assert "2027" in messages[0]
    assert "2028" in messages[1]
    assert "extra_holidays" in messages[1]


def test_config_overrides_known_years(cal: WorkCalendar) -> None:
    """extra_holidays and extra_workdays win over chinesecalendar, e.g. for a local day off."""
    assert cal.is_workday(date(2026, 11, 25))
    assert not cal.is_workday(date(2026, 10, 11))
    local = WorkCalendar(
        CalendarSettings(extra_holidays=(date(2026, 11, 25),), extra_workdays=(date(2026, 10, 11),))
    )
    assert not local.is_workday(date(2026, 11, 25))
    assert local.is_workday(date(2026, 10, 11))


def test_a_calendar_without_working_days_fails_loudly() -> None:
    """If config leaves no working day for over a year, the calendar raises instead of looping."""
    start = date(2030, 1, 1)
    days_off = tuple(start + timedelta(days=n) for n in range(400))
    cal = WorkCalendar(CalendarSettings(extra_holidays=days_off))
    with pytest.raises(CalendarError):
        cal.next_workday(start)
    with pytest.raises(CalendarError):
        cal.add_working_hours(cst(2030, 1, 1, 10), 2)


# --- settings -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param({"office_hours": ["9-12"]}, "not of the form", id="bad-format"),
        pytest.param({"office_hours": ["09:00-24:00"]}, "not of the form", id="hour-24"),
        pytest.param({"office_hours": ["13:30-12:00"]}, "start must be before", id="reversed"),
        pytest.param({"office_hours": ["09:00-09:00"]}, "start must be before", id="empty-span"),
        pytest.param({"office_hours": ["09:00-12:00", "11:00-14:00"]}, "overlap", id="overlapping"),
        pytest.param({"office_hours": []}, "at least one", id="no-hours"),
        pytest.param({"timezone": "Mars/Olympus"}, "unknown timezone", id="bad-zone"),
        pytest.param(
            {"extra_holidays": ["2027-01-01"], "extra_workdays": ["2027-01-01"]},
            "both extra_holidays and extra_workdays: 2027-01-01",
            id="both-lists",
        ),
        pytest.param({"extra_holidays": ["2027-13-01"]}, "extra_holidays", id="bad-date"),
        pytest.param({"office_hour": ["09:00-12:00"]}, "Extra inputs", id="misspelt-key"),
    ],
)
def test_calendar_settings_validation(changes: dict[str, object], message: str) -> None:
    """Bad calendar settings are refused with a message that says what is wrong."""
    with pytest.raises(ValidationError, match=message):
        CalendarSettings.model_validate(changes)


def test_calendar_settings_accept_toml_values() -> None:
    """Adjacent intervals and TOML dates (or ISO strings) are accepted."""
    settings = CalendarSettings.model_validate(
        {
            "timezone": "Asia/Urumqi",
            "office_hours": ["09:00-12:00", "12:00-13:00"],
            "extra_holidays": [date(2027, 1, 1), "2027-02-05"],
        }
    )
    assert settings.extra_holidays == (date(2027, 1, 1), date(2027, 2, 5))
    assert WorkCalendar(settings).office_day_length == timedelta(hours=4)


# --- the clock seam -----------------------------------------------------------------------


def test_fixed_clock_stands_still_until_moved() -> None:
    """A FixedClock returns its instant in UTC until it is set or advanced."""
    clock = FixedClock(cst(2026, 11, 23, 10))
    assert clock.now() == datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    assert clock.now().tzinfo is UTC
    assert clock.advance(timedelta(hours=2)) == cst(2026, 11, 23, 12)
    assert clock.now() == cst(2026, 11, 23, 12)
    clock.set(cst(2027, 1, 1))
    assert clock.now() == cst(2027, 1, 1)


def test_clocks_refuse_or_avoid_naive_datetimes() -> None:
    """FixedClock refuses a naive instant and SystemClock answers in aware UTC."""
    with pytest.raises(ValueError, match="timezone-aware"):
        FixedClock(datetime(2026, 11, 23, 10))  # naive on purpose
    assert SystemClock().now().tzinfo is UTC
