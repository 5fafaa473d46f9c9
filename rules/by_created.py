"""An account's tickets by creation time: the recent ones found without reading the old ones.

A backtest closes no escalation, so on a long book an account's state keeps every ticket its open
escalation links, months of them; the burst rule and the prune ask only for the tickets created on
either side of a time. An index of ``(created, key)`` pairs, sorted, answers by bisection. It is a
memo (``Context.memo``, one per account), tied to the tickets mapping it was made from (state is
never changed in place) and carried over by the engine to the next mapping as one ticket is added
or a few are forgotten, so an event pays for its own ticket, not for the account's history; any
other mapping gets its index made afresh. It never changes an answer, only how it is found.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable, Mapping
from datetime import datetime
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING, cast

from rules.state import TicketFacts

if TYPE_CHECKING:  # (the trigger kinds import this module: no cycle at run time)
    from rules.triggers.base import Context

Pairs = list[tuple[datetime, str]]


def index(account: str, tickets: Mapping[str, TicketFacts], ctx: Context) -> Pairs:
    """The ``(created, key)`` pairs of ``tickets``, sorted (the memo's, or made now)."""
    memo = ctx.memo
    slot = ("by_created", account)
    known = memo.get(slot)
    if known is not None and known[0] is tickets:
        return cast(Pairs, known[1])
    pairs = sorted(zip(map(_CREATED, tickets.values()), tickets, strict=True))
    memo[slot] = (tickets, pairs)
    return pairs


def created_since(account: str, tickets: Mapping[str, TicketFacts], since: datetime,
                  ctx: Context) -> list[TicketFacts]:
    """The tickets created at or after ``since``, oldest first (ties by key)."""
    pairs = index(account, tickets, ctx)
    start = bisect_left(pairs, (since,))
    return [*map(tickets.__getitem__, map(_KEY, pairs[start:]))]


def created_before(account: str, tickets: Mapping[str, TicketFacts], cutoff: datetime,
                   ctx: Context) -> list[str]:
    """The keys of the tickets created before ``cutoff``, oldest first (ties by key)."""
    pairs = index(account, tickets, ctx)
    return [*map(_KEY, pairs[:bisect_left(pairs, (cutoff,))])]


def added(account: str, old: Mapping[str, TicketFacts], new: Mapping[str, TicketFacts],
          facts: TicketFacts, ctx: Context) -> None:
    """``new`` is ``old`` with ``facts`` added or replaced: carry the index over, if ``old`` had one."""
    memo = ctx.memo
    slot = ("by_created", account)
    known = memo.get(slot)
    if known is None or known[0] is not old:
        return
    pairs = cast(Pairs, known[1])  # the memo of ``old`` is given up: the list moves on with ``new``
    seen = old.get(facts.key)
    if seen is None:
        insort(pairs, (facts.created, facts.key))
    elif seen.created != facts.created:
        del pairs[bisect_left(pairs, (seen.created, facts.key))]
        insort(pairs, (facts.created, facts.key))
    memo[slot] = (new, pairs)


def removed(account: str, old: Mapping[str, TicketFacts], new: Mapping[str, TicketFacts],
            keys: Iterable[str], ctx: Context) -> None:
    """``new`` is ``old`` without ``keys``: carry the index over, if ``old`` had one."""
    memo = ctx.memo
    slot = ("by_created", account)
    known = memo.get(slot)
    if known is None or known[0] is not old:
        return
    pairs = cast(Pairs, known[1])
    for key in keys:
        del pairs[bisect_left(pairs, (old[key].created, key))]
    memo[slot] = (new, pairs)


_CREATED = attrgetter("created")
_KEY = itemgetter(1)
