"""Domain events: what happened, when. The live connector and the backtest both feed these.

A ticket as seen (a snapshot with its comments) is exploded into one :class:`TicketOpened` at
its creation and one :class:`CommentAdded` per comment, so a ticket seen twice, or a book
replayed twice, yields the same events and changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from rules.models import Comment, Frozen, HealthSample, Ticket, UtcDatetime


class TicketOpened(Frozen):
    kind: Literal["ticket"] = "ticket"
    at: UtcDatetime
    account: str
    ticket: Ticket  # without comments: those arrive as their own events


class CommentAdded(Frozen):
    kind: Literal["comment"] = "comment"
    at: UtcDatetime
    account: str
    ticket: Ticket
    comment: Comment


class HealthScored(Frozen):
    kind: Literal["health"] = "health"
    at: UtcDatetime
    account: str
    score: float


class MultiCustomer(Frozen):
    """Derived: a component now has tickets from enough distinct accounts within the window."""

    kind: Literal["multi_customer"] = "multi_customer"
    at: UtcDatetime
    account: str
    component: str
    accounts: tuple[str, ...]


Event = TicketOpened | CommentAdded | HealthScored | MultiCustomer

_ORDER = {"health": 0, "ticket": 1, "comment": 2, "multi_customer": 3}


def ticket_events(ticket: Ticket, account: str) -> list[Event]:
    """A ticket snapshot as events: its opening and each of its comments."""
    bare = ticket.model_copy(update={"comments": ()})
    events: list[Event] = [TicketOpened(at=ticket.created, account=account, ticket=bare)]
    events.extend(
        CommentAdded(at=c.at, account=account, ticket=bare, comment=c) for c in ticket.comments
    )
    return events


def health_events(account: str, samples: Iterable[HealthSample]) -> list[Event]:
    return [HealthScored(at=s.at, account=account, score=s.score) for s in samples]


def sort_key(event: Event) -> tuple[datetime, int, str, str]:
    """Time order; at equal times health first, then tickets, then comments; then by id."""
    ident = ""
    if isinstance(event, TicketOpened | CommentAdded):
        ident = event.ticket.key
        if isinstance(event, CommentAdded):
            ident += "#" + event.comment.identity
    elif isinstance(event, MultiCustomer):
        ident = event.component
    return (event.at, _ORDER[event.kind], event.account, ident)
