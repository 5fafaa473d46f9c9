"""Measures shared by resolution, the learning loop and the report: business days and periods.

Periods (months, calendar quarters) are read in the business calendar's time zone, so an
escalation closed at 23:30 on 31 March in New York counts in Q1 for a team working in New
York, whatever UTC says.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from rules.calendar import business_time_between
from rules.config import CalendarConfig
from rules.models import Escalation


def business_day(cal: CalendarConfig) -> timedelta:
    """The length of one working day (09:00-17:00 is 8 hours)."""
    start = timedelta(hours=cal.start.hour, minutes=cal.start.minute)
    end = timedelta(hours=cal.end.hour, minutes=cal.end.minute)
    return end - start


def business_days(start: datetime, end: datetime, cal: CalendarConfig) -> float:
    """Working time from ``start`` to ``end`` in working days (a day is the calendar's hours).

    Example: opened Friday 16:00, resolved Monday 13:00 on 09:00-17:00 is 1 h + 4 h = 5 h,
    that is 0.625 business days.
    """
    return business_time_between(start, end, cal) / business_day(cal)


def resolution_days(esc: Escalation, cal: CalendarConfig) -> float | None:
    """Business days from opening to resolution, or None while unresolved."""
    if esc.resolved_at is None:
        return None
    return business_days(esc.opened, esc.resolved_at, cal)


def quarter_of(moment: datetime, cal: CalendarConfig) -> str:
    """The calendar quarter of ``moment`` in the calendar's zone, as ``2026-Q4``."""
    local = moment.astimezone(ZoneInfo(cal.timezone))
    return f"{local.year}-Q{(local.month - 1) // 3 + 1}"


_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(month: str) -> tuple[int, int]:
    """``"2026-11"`` as ``(2026, 11)``.

    Raises:
        ValueError: when the text is not ``YYYY-MM`` with a month 01..12.
    """
    found = _MONTH.match(month.strip())
    if not found or not 1 <= int(found.group(2)) <= 12:
        raise ValueError(f"{month!r} is not a month such as 2026-11")
    return int(found.group(1)), int(found.group(2))


def month_bounds(month: str, cal: CalendarConfig) -> tuple[datetime, datetime]:
    """The month as a half-open UTC interval ``[start, end)`` of local midnights."""
    year, mon = parse_month(month)
    zone = ZoneInfo(cal.timezone)
    start = datetime(year, mon, 1, tzinfo=zone)
    end = datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def quarter_label(year: int, quarter: int) -> str:
    return f"{year}-Q{quarter}"


def quarters_up_to(month: str, count: int) -> tuple[str, ...]:
    """The quarter holding ``month`` and the ``count - 1`` before it, oldest first."""
    year, mon = parse_month(month)
    index = year * 4 + (mon - 1) // 3
    return tuple(quarter_label(i // 4, i % 4 + 1) for i in range(index - count + 1, index + 1))
