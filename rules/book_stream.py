"""A book read as a stream: tickets loaded one at a time, in time order, and forgotten after.

A book of a year's tickets does not fit in memory as models (a validated ticket with its comments
takes about 4 KB). :class:`BookSource` holds what is small (users, accounts with their health)
and a :class:`TicketStore` that can hand back ticket ``i`` when asked: the shell's loaders keep
the raw text of each record, or only its place in the file, and validate it when it is needed.

:func:`ordered_events` yields exactly the events, in exactly the order, that sorting every event
of the book would give (``rules.events.sort_key``, ties in book order), while holding only the
tickets whose comments are still to come.

Pure: the store is handed in; this module reads no file.
"""

from __future__ import annotations

import heapq
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from rules.copying import assemble, replace
from rules.directory import Directory, account_of
from rules.events import CommentAdded, Event, HealthScored, TicketOpened
from rules.models import Account, Book, BookEscalation, Comment, HealthSample, Ticket, User

# (sort key, position in the book) orders events exactly as a stable sort of the whole book would
_Entry = tuple[tuple[datetime, int, str, str], tuple[int, int, int], Event]


class TicketStore(Protocol):
    """Tickets by position: when each one's first event happens, and the ticket itself."""

    def __len__(self) -> int: ...

    def first_us(self, index: int, now: datetime) -> int | None:
        """The earliest of the ticket's creation and its comments up to ``now``, in microseconds
        since the epoch (see :func:`to_us`); None if it is not replayed (created after ``now``)."""

    def load(self, index: int) -> Ticket | None:
        """The validated ticket, or None if it is bad (the store records why)."""


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


def to_us(at: datetime) -> int:
    """A time as whole microseconds since the epoch: exact, and small to keep per ticket."""
    return (at - EPOCH) // _US


def from_us(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


def first_event_us(created: int, first_comment: int | None, now: int) -> int | None:
    """When a ticket's first replayed event happens (a comment may be dated before creation)."""
    if created > now:
        return None
    return created if first_comment is None or first_comment > now else min(created, first_comment)


@dataclass
class MemoryTickets:
    """A store over tickets already in memory (a parsed YAML book, tests)."""

    tickets: Sequence[Ticket]

    def __len__(self) -> int:
        return len(self.tickets)

    def first_us(self, index: int, now: datetime) -> int | None:
        ticket = self.tickets[index]
        comments = [to_us(c.at) for c in ticket.comments]
        return first_event_us(to_us(ticket.created), min(comments) if comments else None, to_us(now))

    def load(self, index: int) -> Ticket | None:
        return self.tickets[index]


@dataclass
class BookSource:
    """What a backtest reads: the small parts of a book in memory, the tickets in a store."""

    now: datetime
    users: tuple[User, ...]
    accounts: tuple[Account, ...]
    tickets: TicketStore
    escalations: tuple[BookEscalation, ...] = ()
    skipped: list[str] = field(default_factory=list)  # bad records left out (``--skip-bad``)
    health: dict[str, Series] = field(default_factory=dict)  # accounts' health, when held apart

    @classmethod
    def of(cls, book: Book) -> BookSource:
        return cls(now=book.now, users=book.users, accounts=book.accounts, tickets=MemoryTickets(book.tickets),
                   escalations=book.escalations)

    def at(self, now: datetime) -> BookSource:
        """The same book replayed up to another present."""
        return BookSource(now=now, users=self.users, accounts=self.accounts, tickets=self.tickets,
                          escalations=self.escalations, skipped=self.skipped, health=self.health)


def ticket_entries(ticket: Ticket, account: str, index: int, now: datetime) -> list[_Entry]:
    """One ticket's events up to ``now``, keyed for the merge."""
    bare = replace(ticket, {"comments": ()}) if ticket.comments else ticket
    key = ticket.key
    opened = assemble(TicketOpened, {"kind": "ticket", "at": ticket.created, "account": account, "ticket": bare})
    out: list[_Entry] = [((ticket.created, 1, account, key), (0, index, 0), opened)]  # = sort_key(opened)
    for j, comment in enumerate(ticket.comments):
        if comment.at <= now:
            event = assemble(CommentAdded, {"kind": "comment", "at": comment.at, "account": account, "ticket": bare,
                                            "comment": comment})
            out.append(((comment.at, 2, account, _Ident(key, comment)), (0, index, j + 1), event))  # type: ignore[arg-type]
    return out


class _Ident:
    """A comment's ``sort_key`` id (``KEY#identity``), made only if compared: two events of one
    account at the same instant are rare, and the identity of a comment without an id is a digest."""

    __slots__ = ("key", "comment", "_text")

    def __init__(self, key: str, comment: Comment) -> None:
        self.key, self.comment, self._text = key, comment, ""

    def text(self) -> str:
        if not self._text:
            self._text = f"{self.key}#{self.comment.identity}"
        return self._text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Ident | str) and self.text() == _text(other)

    def __lt__(self, other: object) -> bool:
        return self.text() < _text(other)

    def __gt__(self, other: object) -> bool:
        return self.text() > _text(other)

    __hash__ = None  # type: ignore[assignment]


def _text(value: object) -> str:
    return value.text() if isinstance(value, _Ident) else str(value)


@dataclass(frozen=True)
class Series:
    """One account's health samples, compact: microseconds since the epoch and scores, in book order."""

    times: array[int]
    scores: array[float]

    @classmethod
    def of(cls, samples: Iterable[HealthSample]) -> Series:
        samples = list(samples)
        return cls(array("q", (to_us(s.at) for s in samples)), array("d", (s.score for s in samples)))


def compact_health(accounts: Iterable[Account]) -> tuple[tuple[Account, ...], dict[str, Series]]:
    """Accounts without their health, and the health as :class:`Series` (a tenth of the memory)."""
    bare, series = [], {}
    for account in accounts:
        if account.health:
            series[account.id] = Series.of(account.health)
            account = account.model_copy(update={"health": ()})
        bare.append(account)
    return tuple(bare), series


def health_entries(accounts: Sequence[Account], now: datetime, health: Mapping[str, Series] | None = None,
                   ) -> Iterator[_Entry]:
    """Every account's health events in the order sorting them all would give.

    Only small tuples are sorted (time, account, position); each event is made when reached.
    """
    health = health or {}
    limit = to_us(now)
    series = [health.get(a.id) or Series.of(a.health) for a in accounts]
    # (time, account id, account index, sample index) sorts as (sort_key, book position) does
    keys = sorted((us, a.id, i, j) for i, (a, s) in enumerate(zip(accounts, series, strict=True))
                  for j, us in enumerate(s.times) if us <= limit)
    for _, account, i, j in keys:
        at = from_us(series[i].times[j])
        event = assemble(HealthScored, {"kind": "health", "at": at, "account": account, "score": series[i].scores[j]})
        yield (at, 0, account, ""), (1, i, j), event  # = sort_key(event)


def ordered_events(
    source: BookSource, directory: Directory, unmatched: Callable[[str], None]
) -> Iterator[Event]:
    """Every event of the book up to its ``now``, in time order, loading tickets just in time.

    A ticket is loaded when the replay reaches its first event; its later comments wait in a
    heap. ``unmatched`` hears the key of each ticket that matches no account.
    """
    now, store = source.now, source.tickets
    firsts = [store.first_us(i, now) for i in range(len(store))]
    order = sorted((i for i, us in enumerate(firsts) if us is not None), key=lambda i: firsts[i] or 0)
    health = health_entries(source.accounts, now, source.health)
    waiting: _Entry | None = next(health, None)  # the earliest health event not yet given
    pending: list[_Entry] = []
    pop = heapq.heappop
    for index in [*order, -1]:
        us = firsts[index] if index >= 0 else None
        next_at = from_us(us) if us is not None else None
        while True:  # what comes before the next ticket's first event: the heap's or the health's earliest
            if pending:
                best = pending[0]
                if waiting is not None:
                    # (sort key, position): the keys differ but for two events of one account at one instant
                    key, other = waiting[0], best[0]
                    if key < other if key != other else waiting[1] < best[1]:
                        best = waiting
            elif waiting is not None:
                best = waiting
            else:
                break
            if next_at is not None and best[0][0] >= next_at:
                break
            if best is waiting:
                waiting = next(health, None)
            else:
                pop(pending)
            yield best[2]
        if next_at is None:
            return
        ticket = store.load(index)
        if ticket is None:
            continue
        owner = account_of(ticket, directory)
        if owner is None:
            unmatched(ticket.key)
            continue
        for entry in ticket_entries(ticket, owner, index, now):
            heapq.heappush(pending, entry)
