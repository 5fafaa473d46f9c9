"""Filing a lifecycle change into the account's rules state (``rules.state.AccountState``).

The engine keeps at most one open escalation per account in ``state.escalation`` and
remembers recently finished ones in ``state.closed`` for the ``repeat`` trigger. When an
escalation leaves the open states it must move from the one to the other *at once*: the
engine forgets the evidence of tickets no open escalation links (``state.horizon``), and the
repeat trigger compares a new ticket with the finished escalation's ticket facts.

An escalation counts as finished from its resolution: a Resolved escalation no longer takes
new triggers (the engine opens a new one), so a new ticket on the same issue must already be
a ``repeat``. The repeat window (30 days) runs from the closure when there is one, else from
the resolution; closing later moves the window's start to the closure.
"""

from __future__ import annotations

from collections.abc import Mapping

from rules.models import Escalation
from rules.state import AccountState, ClosedRef, TicketFacts


def closed_ref(
    esc: Escalation, tickets: Mapping[str, TicketFacts], known: ClosedRef | None = None
) -> ClosedRef | None:
    """What the repeat trigger remembers of a finished escalation; None while it is open.

    Args:
        esc: the escalation (Resolved or Closed).
        tickets: ticket facts by key (the account state's); facts of the escalation's tickets
            are taken from here.
        known: an earlier reference to the same escalation, whose facts are kept for tickets
            the state has meanwhile forgotten.
    """
    end = esc.closed_at or esc.resolved_at
    if esc.is_open or end is None:
        return None
    facts = {f.key: f for f in (known.tickets if known else ())}
    facts.update({k: tickets[k] for k in esc.tickets if k in tickets})
    ordered = tuple(facts[k] for k in esc.tickets if k in facts)
    extra = tuple(f for k, f in facts.items() if k not in esc.tickets)
    return ClosedRef(id=esc.id, closed_at=end, tickets=ordered + extra)


def file_in_state(state: AccountState, esc: Escalation) -> AccountState:
    """The account state after a lifecycle decision about ``esc``.

    * open (a watch or acknowledgement decision, or a reopening): it becomes the account's
      current escalation, unless a *different* open escalation already is - one open
      escalation per account; a reopened old one then stays remembered as closed.
    * finished (Resolved or Closed): it leaves ``state.escalation`` and its reference in
      ``state.closed`` is added or refreshed, so the next trigger opens a new escalation and
      a trigger on the same issue within the repeat window is a ``repeat``.
    """
    current = state.escalation
    if esc.is_open:
        if current is not None and current.id != esc.id and current.is_open:
            return state
        closed = tuple(c for c in state.closed if c.id != esc.id)
        return state.model_copy(update={"escalation": esc, "closed": closed})
    known = next((c for c in state.closed if c.id == esc.id), None)
    ref = closed_ref(esc, state.tickets, known)
    closed = tuple(c for c in state.closed if c.id != esc.id) + ((ref,) if ref else ())
    update: dict[str, object] = {"closed": tuple(sorted(closed, key=lambda c: (c.closed_at, c.id)))}
    if current is not None and current.id == esc.id:
        update["escalation"] = None
    return state.model_copy(update=update)
