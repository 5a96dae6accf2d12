"""Working days (工作日) and office hours on China's calendar, for every SLA clock.

Statutory holidays and make-up workdays (调休) come from the `chinesecalendar` package for the
years it ships. For a year it does not know (it raises ``NotImplementedError``; 1.11 covers
2004–2026) the calendar falls back to Monday–Friday, and logs one warning per such year so an
admin adds that year's holidays to the configuration (``calendar.extra_holidays`` and
``calendar.extra_workdays``). Those two lists override the package in every year, which also lets
an admin add a local day off or correct a wrong entry.

Rules, chosen to match how 12345 centres count (see design.md §3):

* "N working days after X" ends at the close of office on the Nth working day after X's local
  date; X's own day never counts, as in Civil Code art. 201 (开始的当日不计入). So a case
  dispatched on Monday at 16:00 with a 1-working-day clock is due on Tuesday at 17:30.
* "0 working days" (urgent: same day) ends at today's close of office, or at the next working
  day's close when X is at or after today's close or on a day off.
* Hour clocks (urgent sign: 2 hours) count office time only: lunch, nights, weekends and
  holidays do not run the clock.

Every datetime in and out is timezone-aware; results are in UTC (storage compares UTC). Office
hours are wall-clock times in the configured zone.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import chinese_calendar
from pydantic import BaseModel, ConfigDict, field_validator, model_validator

log = logging.getLogger(__name__)

_INTERVAL = re.compile(r"([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)")

# If this many consecutive days have no office time the configuration is broken (e.g. every day
# listed as a holiday); fail loudly instead of looping forever.
_MAX_IDLE_DAYS = 366

OfficeSpan = tuple[datetime, datetime]


class CalendarError(Exception):
    """The calendar cannot answer: no working day within a year of the asked date."""


def parse_office_interval(text: str) -> tuple[time, time]:
    """Parse ``"HH:MM-HH:MM"`` (24-hour clock, start before end) into two times."""
    match = _INTERVAL.fullmatch(text.strip())
    if match is None:
        raise ValueError(
            f"office hours {text!r} are not of the form 'HH:MM-HH:MM', e.g. '09:00-12:00'"
        )
    start = time(int(match[1]), int(match[2]))
    end = time(int(match[3]), int(match[4]))
    if start >= end:
        raise ValueError(f"office hours {text!r}: the start must be before the end")
    return start, end


class CalendarSettings(BaseModel):
    """The ``[calendar]`` table: timezone, office hours and local corrections to the holidays."""

    # A misspelt key is an error, not a silently ignored setting.
    model_config = ConfigDict(extra="forbid", frozen=True)

    timezone: str = "Asia/Shanghai"
    # Government offices close for lunch; an urgent 2-hour clock must not run through it.
    office_hours: tuple[str, ...] = ("09:00-12:00", "13:30-17:30")
    extra_holidays: tuple[date, ...] = ()
    extra_workdays: tuple[date, ...] = ()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown timezone {value!r}; use an IANA name such as 'Asia/Shanghai'"
            ) from exc
        return value

    @field_validator("office_hours")
    @classmethod
    def _disjoint_intervals(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("office_hours must list at least one 'HH:MM-HH:MM' interval")
        parsed = sorted((parse_office_interval(text), text.strip()) for text in value)
        for (prev, prev_text), (cur, cur_text) in pairwise(parsed):
            if cur[0] < prev[1]:
                raise ValueError(f"office hours {prev_text!r} and {cur_text!r} overlap")
        # Sorted, so the calendar can walk intervals in order.
        return tuple(text for _, text in parsed)

    @model_validator(mode="after")
    def _no_date_both_ways(self) -> CalendarSettings:
        both = sorted(set(self.extra_holidays) & set(self.extra_workdays))
        if both:
            listed = ", ".join(day.isoformat() for day in both)
            raise ValueError(f"dates listed in both extra_holidays and extra_workdays: {listed}")
        return self

    @property
    def intervals(self) -> tuple[tuple[time, time], ...]:
        """Office intervals as (start, end) wall-clock times, in order."""
        return tuple(parse_office_interval(text) for text in self.office_hours)


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        # A naive datetime has no defined instant; guessing a zone here would hide bugs.
        raise ValueError(f"expected a timezone-aware datetime, got naive {at.isoformat()}")
    return at.astimezone(UTC)


class WorkCalendar:
    """Working days and office hours in one timezone; answers in UTC.

    Build one at start-up and share it: answers per date are cached, because every dispatch
    computes several deadlines and each sweep compares many.
    """

    def __init__(self, settings: CalendarSettings | None = None) -> None:
        self.settings = settings if settings is not None else CalendarSettings()
        self._tz = ZoneInfo(self.settings.timezone)
        self._intervals = self.settings.intervals
        self._holidays = frozenset(self.settings.extra_holidays)
        self._workdays = frozenset(self.settings.extra_workdays)
        self._workday_cache: dict[date, bool] = {}
        self._span_cache: dict[date, tuple[OfficeSpan, ...]] = {}
        self._unknown_years: set[int] = set()

    @property
    def timezone(self) -> ZoneInfo:
        """The zone office hours and dates are read in."""
        return self._tz

    @property
    def office_day_length(self) -> timedelta:
        """Office time in one working day (7 hours with the default hours)."""
        day = date(2000, 1, 1)  # any date: wall-clock length, no DST involved
        return sum(
            (
                datetime.combine(day, end) - datetime.combine(day, start)
                for start, end in self._intervals
            ),
            timedelta(0),
        )

    # --- days -----------------------------------------------------------------------------

    def local_date(self, at: datetime) -> date:
        """The calendar date of `at` in the office timezone."""
        return _utc(at).astimezone(self._tz).date()

    def is_workday(self, day: date) -> bool:
        """Whether `day` is a working day (工作日), holidays and 调休 included."""
        if isinstance(day, datetime):
            # datetime is a date subclass; its .date() would silently be in the wrong zone.
            raise TypeError("is_workday takes a local date; use local_date(at) for a datetime")
        cached = self._workday_cache.get(day)
        if cached is None:
            cached = self._workday_cache[day] = self._lookup_workday(day)
        return cached

    def _lookup_workday(self, day: date) -> bool:
        if day in self._holidays:
            return False
        if day in self._workdays:
            return True
        if day.year not in self._unknown_years:
            try:
                return bool(chinese_calendar.is_workday(day))
            except NotImplementedError:
                self._unknown_years.add(day.year)
                self._warn_unknown_year(day.year)
        return day.weekday() < 5

    def _warn_unknown_year(self, year: int) -> None:
        holidays = sum(1 for day in self._holidays if day.year == year)
        workdays = sum(1 for day in self._workdays if day.year == year)
        hint = (
            ""
            if holidays
            else "; its statutory holidays count as working days until they are "
            "added to calendar.extra_holidays"
        )
        log.warning(
            "chinesecalendar has no data for %d: using Monday-Friday with %d configured "
            "extra_holidays and %d extra_workdays for that year%s",
            year,
            holidays,
            workdays,
            hint,
        )

    def next_workday(self, day: date) -> date:
        """The first working day strictly after `day`."""
        for offset in range(1, _MAX_IDLE_DAYS + 1):
            candidate = day + timedelta(days=offset)
            if self.is_workday(candidate):
                return candidate
        raise CalendarError(f"no working day within {_MAX_IDLE_DAYS} days after {day}")

    def working_days_between(self, a: datetime, b: datetime) -> int:
        """Working days after `a`'s local date up to and including `b`'s (negative if b < a).

        Friday to the next Monday is 1; within one day it is 0.
        """
        start, end = self.local_date(a), self.local_date(b)
        if end < start:
            return -self.working_days_between(b, a)
        return sum(
            1
            for offset in range(1, (end - start).days + 1)
            if self.is_workday(start + timedelta(days=offset))
        )

    # --- office hours ---------------------------------------------------------------------

    def _office_spans(self, day: date) -> tuple[OfficeSpan, ...]:
        spans = self._span_cache.get(day)
        if spans is None:
            spans = ()
            if self.is_workday(day):
                spans = tuple(
                    (
                        datetime.combine(day, start, self._tz).astimezone(UTC),
                        datetime.combine(day, end, self._tz).astimezone(UTC),
                    )
                    for start, end in self._intervals
                )
            self._span_cache[day] = spans
        return spans

    def _spans_from(self, at: datetime) -> Iterator[OfficeSpan]:
        """Office intervals ending after `at`, in time order, clipped to start at `at` or later."""
        day, idle = self.local_date(at), 0
        while idle <= _MAX_IDLE_DAYS:
            spans = self._office_spans(day)
            idle = 0 if spans else idle + 1
            for start, end in spans:
                if end > at:
                    yield max(start, at), end
            day += timedelta(days=1)
        raise CalendarError(f"no office hours within {_MAX_IDLE_DAYS} days after {at}")

    def _spans_before(self, at: datetime) -> Iterator[OfficeSpan]:
        """Office intervals starting before `at`, latest first, clipped to end by `at`."""
        day, idle = self.local_date(at), 0
        while idle <= _MAX_IDLE_DAYS:
            spans = self._office_spans(day)
            idle = 0 if spans else idle + 1
            for start, end in reversed(spans):
                if start < at:
                    yield start, min(end, at)
            day -= timedelta(days=1)
        raise CalendarError(f"no office hours within {_MAX_IDLE_DAYS} days before {at}")

    def is_office_time(self, at: datetime) -> bool:
        """Whether `at` falls inside office hours on a working day."""
        at = _utc(at)
        return any(start <= at < end for start, end in self._office_spans(self.local_date(at)))

    def closing_time(self, day: date) -> datetime | None:
        """Close of office on `day`, or None if it is not a working day."""
        spans = self._office_spans(day)
        return spans[-1][1] if spans else None

    def end_of_working_day(self, at: datetime) -> datetime:
        """Close of office on `at`'s day if it is a working day not yet closed, else the next."""
        at = _utc(at)
        day = self.local_date(at)
        spans = self._office_spans(day)
        # At the close itself no office time is left, so "same day" means the next working day.
        if spans and at < spans[-1][1]:
            return spans[-1][1]
        return self._office_spans(self.next_workday(day))[-1][1]

    def next_workday_start(self, at: datetime) -> datetime:
        """Opening of office on the first working day after `at`'s local date."""
        return self._office_spans(self.next_workday(self.local_date(at)))[0][0]

    # --- clocks ---------------------------------------------------------------------------

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """Close of office on the `days`-th working day after `start`'s date (0: same day)."""
        if days < 0:
            raise ValueError(f"days must be 0 or more, got {days}")
        if days == 0:
            return self.end_of_working_day(start)
        day = self.local_date(start)
        for _ in range(days):
            day = self.next_workday(day)
        return self._office_spans(day)[-1][1]

    def add_working_time(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest instant by which `duration` of office time has passed since `start`."""
        start = _utc(start)
        if duration < timedelta(0):
            raise ValueError(f"duration must not be negative, got {duration}")
        if not duration:
            return start
        remaining = duration
        for begin, end in self._spans_from(start):
            if remaining <= end - begin:
                return begin + remaining
            remaining -= end - begin
        raise AssertionError("unreachable: _spans_from never ends")

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """`add_working_time` in hours, e.g. the urgent 2-hour sign clock."""
        return self.add_working_time(start, timedelta(hours=hours))

    def subtract_working_time(self, end: datetime, duration: timedelta) -> datetime:
        """The earliest instant from which exactly `duration` of office time remains until `end`.

        "Earliest" makes a lead that lands on an opening time fall back to the previous close:
        one working day before Friday 17:30 is Thursday 17:30, not Friday 09:00.
        """
        end = _utc(end)
        if duration < timedelta(0):
            raise ValueError(f"duration must not be negative, got {duration}")
        remaining = duration
        for begin, stop in self._spans_before(end):
            if remaining < stop - begin:
                return stop - remaining
            remaining -= stop - begin
        raise AssertionError("unreachable: _spans_before never ends")

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Office time from `a` to `b` (negative if b < a)."""
        a, b = _utc(a), _utc(b)
        if b < a:
            return -self.working_time_between(b, a)
        total = timedelta(0)
        for begin, end in self._spans_from(a):
            if begin >= b:
                break
            total += min(end, b) - begin
        return total


class OfficeTimeline:
    """Office time between many pairs of instants, each in constant time: the figures ask it
    for every case of a month (issue 11), and `working_time_between` walks the days in between.

    Office time up to an instant is the office time of the whole days before its local date
    (a running sum per day, cached from a fixed anchor day) plus the part of its own day's
    spans before it; the difference of two such sums is `working_time_between`, to the
    microsecond, because both add the same span lengths.
    """

    def __init__(self, calendar: WorkCalendar) -> None:
        self._calendar = calendar
        # Office time from the first cached day's start to each day's start; the cached days
        # are always one unbroken run [_first, _last], grown at either end as asked.
        self._before: dict[date, timedelta] = {}
        self._first: date | None = None
        self._last: date | None = None

    def _day_length(self, day: date) -> timedelta:
        return sum((end - start for start, end in self._calendar._office_spans(day)), timedelta(0))

    def _until_day(self, day: date) -> timedelta:
        if self._first is None or self._last is None:
            self._first = self._last = day
            self._before[day] = timedelta(0)
        while day > self._last:
            following = self._last + timedelta(days=1)
            self._before[following] = self._before[self._last] + self._day_length(self._last)
            self._last = following
        while day < self._first:
            previous = self._first - timedelta(days=1)
            self._before[previous] = self._before[self._first] - self._day_length(previous)
            self._first = previous
        return self._before[day]

    def _until(self, at: datetime) -> timedelta:
        at = _utc(at)
        day = at.astimezone(self._calendar.timezone).date()
        total = self._before.get(day)
        if total is None:
            total = self._until_day(day)
        for start, end in self._calendar._office_spans(day):
            if start >= at:
                break
            total += (end if end < at else at) - start
        return total

    def between(self, a: datetime, b: datetime) -> timedelta:
        """Office time from `a` to `b` (negative if b < a), as `working_time_between`."""
        return self._until(b) - self._until(a)
