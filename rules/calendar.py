"""Deadlines on the wall clock or on the business-hours calendar (POLICY.md section 9)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from rules.config import WEEKDAYS, CalendarConfig


def add_business_time(start: datetime, duration: timedelta, cal: CalendarConfig) -> datetime:
    """``start`` plus ``duration`` counted only inside working hours.

    A start outside working hours begins counting at the next opening. The result is UTC.
    Example: Friday 16:00 + 4 business hours (09:00-17:00, Mon-Fri) is Monday 12:00.
    """
    zone = ZoneInfo(cal.timezone)
    local = start.astimezone(zone)
    remaining = duration
    for _ in range(3660):  # ten years of days: a guard against a calendar with no open day
        day_open = local.replace(hour=cal.start.hour, minute=cal.start.minute, second=0,
                                 microsecond=0)
        day_close = local.replace(hour=cal.end.hour, minute=cal.end.minute, second=0,
                                  microsecond=0)
        if _is_workday(local, cal) and local < day_close:
            local = max(local, day_open)
            available = day_close - local
            if remaining <= available:
                return (local + remaining).astimezone(UTC)
            remaining -= available
        next_day = (local + timedelta(days=1)).date()
        local = datetime(next_day.year, next_day.month, next_day.day, cal.start.hour,
                         cal.start.minute, tzinfo=zone)
    raise ValueError("the business calendar has no working time")


def business_time_between(start: datetime, end: datetime, cal: CalendarConfig) -> timedelta:
    """Working time elapsed from ``start`` to ``end`` (zero when end is not after start)."""
    if end <= start:
        return timedelta(0)
    zone = ZoneInfo(cal.timezone)
    local, stop = start.astimezone(zone), end.astimezone(zone)
    total = timedelta(0)
    while local < stop:
        day_open = local.replace(hour=cal.start.hour, minute=cal.start.minute, second=0,
                                 microsecond=0)
        day_close = local.replace(hour=cal.end.hour, minute=cal.end.minute, second=0,
                                  microsecond=0)
        if _is_workday(local, cal):
            lo, hi = max(local, day_open), min(stop, day_close)
            if hi > lo:
                total += hi - lo
        next_day = (local + timedelta(days=1)).date()
        local = datetime(next_day.year, next_day.month, next_day.day, tzinfo=zone)
    return total


def _is_workday(moment: datetime, cal: CalendarConfig) -> bool:
    return WEEKDAYS[moment.weekday()] in cal.workdays and moment.date() not in cal.holidays


def deadline(start: datetime, duration: timedelta, business: bool, cal: CalendarConfig) -> datetime:
    """The deadline ``duration`` after ``start``, on business hours when ``business``."""
    return add_business_time(start, duration, cal) if business else start + duration
