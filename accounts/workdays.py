"""Working days on the mainland China calendar.

Public holidays and make-up working days (调休) come from the ``holidays`` library; the
:class:`~accounts.models.CalendarOverride` table corrects or extends it for years the library
does not know yet. Deadlines ("resolved within 5 working days") are counted with these.
"""

from datetime import date, timedelta
from functools import lru_cache

import holidays

from accounts.models import CalendarOverride


@lru_cache(maxsize=16)
def _library_calendar(year: int) -> holidays.HolidayBase:
    return holidays.China(years=year)


def _library_says_working(day: date) -> bool:
    return _library_calendar(day.year).is_working_day(day)


def _overrides(start: date, end: date) -> dict[date, bool]:
    return dict(
        CalendarOverride.objects.filter(date__range=(start, end)).values_list(
            "date", "is_working_day"
        )
    )


def is_working_day(day: date) -> bool:
    """True if *day* is a working day in mainland China (overrides first)."""
    override = _overrides(day, day).get(day)
    return override if override is not None else _library_says_working(day)


def add_working_days(start: date, days: int) -> date:
    """The date *days* working days after *start* (*start* itself never counts).

    ``add_working_days(date(2026, 9, 30), 5) == date(2026, 10, 13)``: National Day week off,
    Saturday 10 October a make-up working day. One query, however long the span.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    # A generous window: no run of days off in China is longer than ~10 days.
    window_end = start + timedelta(days=days * 2 + 31)
    overrides = _overrides(start + timedelta(days=1), window_end)
    day, left = start, days
    while left:
        day += timedelta(days=1)
        if day > window_end:  # pragma: no cover - only with absurd override tables
            window_end = day + timedelta(days=days * 2 + 31)
            overrides |= _overrides(day, window_end)
        working = overrides.get(day)
        if working if working is not None else _library_says_working(day):
            left -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days after *start* up to and including *end* (0 if *end* <= *start*)."""
    if end <= start:
        return 0
    overrides = _overrides(start + timedelta(days=1), end)
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        working = overrides.get(day)
        count += working if working is not None else _library_says_working(day)
    return count
