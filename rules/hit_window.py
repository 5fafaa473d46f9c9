"""One component's recent tickets, kept in time order with a running count of accounts.

The multi-customer rule asks, for each new ticket, "how many distinct accounts reported this
component within the window?". Over a plain list that costs the whole window per ticket, so on a
busy component (hundreds of tickets a day) it was most of a backtest. Here the answer for a ticket
newer than every ticket held is kept up to date as tickets arrive and age out: a pointer to the
window's first hit and a counter of the accounts after it.

The window is a :class:`collections.abc.Sequence` of hits like the deque it replaces, so the
general path (a ticket arriving out of order, as the live connector may see) reads it unchanged.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import overload

from rules.state import ComponentHit


class HitWindow(Sequence[ComponentHit]):
    """Hits of one component, oldest first, forgotten ``keep`` after the newest."""

    def __init__(self, window: timedelta, keep: timedelta) -> None:
        self.window = window
        self.keep = keep
        self._hits: list[ComponentHit] = []
        self._times: list[datetime] = []
        self._head = 0  # hits before it are forgotten
        self._start = 0  # first hit within ``window`` of the newest query
        self._accounts: Counter[str] = Counter()  # accounts of hits from _start on
        self._keys: set[str] = set()
        self._since: datetime | None = None  # the window start of the newest query

    def __len__(self) -> int:
        return len(self._hits) - self._head

    @overload
    def __getitem__(self, index: int) -> ComponentHit: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[ComponentHit]: ...

    def __getitem__(self, index: int | slice) -> ComponentHit | Sequence[ComponentHit]:
        return self._hits[self._head:][index]

    def __iter__(self) -> Iterator[ComponentHit]:
        return iter(self._hits[self._head:])

    def __contains__(self, value: object) -> bool:
        return isinstance(value, ComponentHit) and value.key in self._keys and value in self._hits[self._head:]

    def has_key(self, key: str) -> bool:
        return key in self._keys

    @property
    def newest(self) -> datetime | None:
        return self._times[-1] if len(self) else None

    def add(self, hit: ComponentHit) -> None:
        """Remember a hit (once per ticket) and forget what is ``keep`` older than the newest."""
        if hit.key in self._keys:
            return
        if self._times and hit.at < self._times[-1]:
            self._insert_late(hit)
        else:
            self._hits.append(hit)
            self._times.append(hit.at)
            self._accounts[hit.account] += 1
        self._keys.add(hit.key)
        newest = self._times[-1]
        while self._head < len(self._hits) and newest - self._times[self._head] > self.keep:
            self._forget_first()

    def _insert_late(self, hit: ComponentHit) -> None:
        at = bisect.bisect_right(self._times, hit.at, lo=self._head)
        self._hits.insert(at, hit)
        self._times.insert(at, hit.at)
        if self._since is None or hit.at >= self._since:
            self._accounts[hit.account] += 1  # it lands at or after _start: counted
        else:
            self._start += 1  # it lands before _start: shift the window's first hit

    def _forget_first(self) -> None:
        old = self._hits[self._head]
        self._keys.discard(old.key)
        if self._start <= self._head:
            self._drop_count(old.account)
            self._start += 1
        self._head += 1
        if self._head > 4096 and self._head * 2 > len(self._hits):
            del self._hits[:self._head], self._times[:self._head]
            self._start -= self._head
            self._head = 0

    def _drop_count(self, account: str) -> None:
        self._accounts[account] -= 1
        if not self._accounts[account]:
            del self._accounts[account]

    def accounts_since(self, since: datetime) -> Counter[str] | None:
        """Accounts of the hits at or after ``since``: kept current for a ``since`` that only
        moves forward; None when it moved back (the caller takes the general path)."""
        if self._since is not None and since < self._since:
            return None
        self._since = since
        start, times = self._start, self._times
        if start < len(times) and times[start] < since:  # (locals: asked of every ticket of a component)
            hits, counts, end = self._hits, self._accounts, len(times)
            while start < end and times[start] < since:
                account = hits[start].account
                left = counts[account] - 1
                if left:
                    counts[account] = left
                else:
                    del counts[account]
                start += 1
            self._start = start
        return self._accounts

    def newest_span(self, hit: ComponentHit, window: timedelta, count: int,
                    ) -> tuple[datetime, set[str]] | None | bool:
        """The multi-customer answer for a hit newer than (or as new as) every hit held: None when
        fewer than ``count`` accounts are within ``window`` before it with it, else its time and
        those accounts. False when the running count cannot answer (the caller counts afresh).
        One call instead of four: it is asked of every ticket of every component."""
        times = self._times
        if hit.key in self._keys or (len(times) > self._head and hit.at < times[-1]):
            return False
        accounts = self.accounts_since(hit.at - window)
        if accounts is None:
            return False
        if len(accounts) + (hit.account not in accounts) < count:
            return None
        found = set(accounts)
        found.add(hit.account)
        return hit.at, found

    def since(self, at: datetime) -> list[ComponentHit]:
        """The hits at or after ``at``, oldest first."""
        return self._hits[bisect.bisect_left(self._times, at, lo=self._head):]
