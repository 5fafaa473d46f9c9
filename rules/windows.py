"""Counting within a sliding time window: "N things within 7 days", "3 accounts within 24 h"."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Item:
    at: datetime
    group: str  # what must be distinct (a ticket key, an account id)
    key: str  # what the evidence lists (a ticket key)


@dataclass(frozen=True)
class Span:
    at: datetime  # when the condition became true for the anchor
    items: tuple[Item, ...]


def qualifying_span(
    items: Sequence[Item], anchor: Item, count: int, window: timedelta
) -> Span | None:
    """The earliest-completing span of length ``window`` that holds ``anchor`` and ``count``
    distinct groups, or None.

    The condition's time is when it became true *with the anchor in it*: the later of the
    anchor's own time and the time the count-th distinct group arrived. So a late-arriving
    ticket that completes a burst dated before it still dates the burst correctly.
    """
    near = sorted((i for i in items if abs(i.at - anchor.at) <= window), key=lambda i: (i.at, i.key))
    best: tuple[datetime, int] | None = None  # (condition time, start index)
    for index, start in enumerate(near):
        if start.at > anchor.at:
            break
        end = start.at + window
        groups: set[str] = set()
        for item in near[index:]:
            if item.at > end:
                break
            groups.add(item.group)
            if len(groups) >= count:
                at = max(anchor.at, item.at)
                if best is None or at < best[0]:  # ties: the earliest start covers the most
                    best = (at, index)
                break
    if best is None:
        return None
    at, index = best
    end = near[index].at + window
    return Span(at=at, items=tuple(i for i in near[index:] if i.at <= end))
