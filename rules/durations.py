"""Human durations in config ("15m", "4h", "7d", "1w", "2h30m") as ``timedelta``."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(w|d|h|m|s)", re.IGNORECASE)
_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_duration(value: Any) -> timedelta:
    """Read ``"15m"``, ``"1h30m"``, ``"7d"``, a number of seconds, or a timedelta.

    Raises:
        ValueError: for anything else, with the expected form in the message.
    """
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError("a duration such as '15m', '4h' or '7d' is expected")
    if isinstance(value, int | float):
        return timedelta(seconds=value)
    text = str(value).strip().replace(" ", "")
    parts = _PART.findall(text)
    if not text or "".join(n + u for n, u in parts).lower() != text.lower():
        raise ValueError(f"{value!r} is not a duration such as '15m', '4h' or '7d'")
    return timedelta(seconds=sum(float(n) * _UNITS[u.lower()] for n, u in parts))


def format_duration(value: timedelta) -> str:
    """The shortest unit string that reads back to the same value (``4h``, ``90m``)."""
    seconds = int(value.total_seconds())
    for unit, size in _UNITS.items():
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^(\d+(\.\d+)?\s*[wdhmsWDHMS]\s*)+$",
                    "examples": ["15m", "4h", "7d"]}),
]
