"""The export's ticket read: windows of time at once, written in the order one read gives.

Why: Cloud's search pages by token, one page after another, so 90 days of a busy queue (100,000
tickets: 1,000 pages) read as one search is 1,000 round trips in a row, 100 s of waiting at
100 ms each. The poller's first backfill (sync/pipeline.py ``_ticket_pages``) reads its long
window as a few windows of time at once; the export does the same, with two differences a file
needs: the book keeps the order of one read (oldest update first: windows are written one after
another, in time order) and the memory stays bounded (``readers`` windows in flight, each about
``window_tickets`` tickets, the next one started as the oldest is written).

Calls: the first page of the whole read (which also tells how dense the history is), then each
window's pages; a window's last page is usually partial, so a read of N tickets takes at most
one call per window more than ``ceil(N / 100)``. Tickets of the first page's last minute are read
again by the first window (the windows' bounds are whole minutes, as JQL's are) and written once.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from connectors.jira_tickets import jira_time

FIRST_PAGE = 100  # one full search page: a history that fits is read in one go
READERS = 4  # windows read at once (at most the Jira in-flight setting)
WINDOW_TICKETS = 5_000  # about this many tickets a window (50 pages): one partial page in 50
MAX_WINDOWS = 400
LONG_READ = timedelta(hours=6)  # shorter reads are one search, as the poller's are
Converted = Callable[[dict[str, Any]], Any]


def stamp(raw: Any) -> tuple[str, str]:
    """What identifies one version of an issue in a read: its key and ``updated``."""
    fields = raw.get("fields") if isinstance(raw, dict) else None
    updated = fields.get("updated") if isinstance(fields, dict) else None
    return str(raw.get("key") if isinstance(raw, dict) else raw), str(updated)


def updated_of(raw: Any) -> datetime | None:
    fields = raw.get("fields") if isinstance(raw, dict) else None
    value = fields.get("updated") if isinstance(fields, dict) else None
    try:
        return jira_time(value) if value else None
    except (TypeError, ValueError, AttributeError):
        return None


def _minute(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


def windows(start: datetime, now: datetime, count: int) -> list[tuple[datetime, datetime | None]]:
    """``count`` windows of time from ``start`` on, bounds on distinct whole minutes, the last
    one open-ended (a ticket updated while the export runs is still read)."""
    step = (now - start) / max(1, count)
    bounds = sorted({_minute(start + step * n) for n in range(1, count)} - {_minute(start)})
    return list(zip([start, *bounds], [*bounds, None], strict=True))


def window_count(first: datetime, last: datetime, now: datetime, readers: int, window_tickets: int) -> int:
    """How many windows the rest of the read takes: the first page's density (100 tickets between
    ``first`` and ``last``) spread over the time left, ``window_tickets`` a window."""
    span = (last - first).total_seconds()
    rest = (now - last).total_seconds()
    estimate = FIRST_PAGE * rest / span if span > 0 else window_tickets * MAX_WINDOWS
    return max(readers, min(MAX_WINDOWS, math.ceil(estimate / window_tickets)))


def read_tickets(read: Callable[[datetime | None, datetime | None], Iterator[dict[str, Any]]], convert: Converted,
                 since: datetime, now: datetime, *, readers: int = READERS,
                 window_tickets: int = WINDOW_TICKETS) -> Iterator[Any]:
    """``convert(raw)`` of every ticket ``read(since, until)`` gives from ``since`` on, in the
    order of one read. ``convert`` runs in the reading threads and must not raise: return the
    error as a value (the caller logs and skips it, in order)."""
    whole = read(since, None)
    seen: set[tuple[str, str]] = set()
    first: datetime | None = None
    last: datetime | None = None
    for raw in whole:
        seen.add(stamp(raw))
        yield convert(raw)
        last = updated_of(raw) or last
        first = first or last
        if readers > 1 and now - since >= LONG_READ and len(seen) >= FIRST_PAGE and last is not None:
            break
    else:
        return  # everything came in the first read
    close = getattr(whole, "close", None)
    if close is not None:
        close()  # no further page of the single read
    assert first is not None and last is not None
    todo = deque(windows(last, now, window_count(first, last, now, readers, window_tickets)))

    def one(window: tuple[datetime, datetime | None]) -> list[tuple[tuple[str, str], Any]]:
        return [(stamp(raw), convert(raw)) for raw in read(*window)]

    with ThreadPoolExecutor(readers, "export-read") as pool:
        running: deque[Future[list[tuple[tuple[str, str], Any]]]] = deque(
            pool.submit(one, todo.popleft()) for _ in range(min(readers, len(todo))))
        while running:
            done = running.popleft().result()
            if todo:
                running.append(pool.submit(one, todo.popleft()))
            for key, item in done:
                if key not in seen:  # the first page's last minute, read again by the first window
                    yield item
            seen = set()  # only the first window overlaps the first page
