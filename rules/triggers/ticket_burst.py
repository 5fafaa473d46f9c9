"""``ticket_burst``: N tickets from one account on the same issue within a window."""

from __future__ import annotations

from rules.by_created import created_since
from rules.events import Event, TicketOpened
from rules.issues import grouped_with
from rules.models import Escalation, Trigger
from rules.state import AccountState
from rules.triggers.base import Context, TriggerKindBase
from rules.windows import Item, qualifying_span


class TicketBurst(TriggerKindBase):
    kind = "ticket_burst"
    events = (TicketOpened,)
    detect_only = frozenset({"count", "window"})
    contact = False  # a burst is counted tickets, not the customer reaching out again

    def merge_into(self, existing: list[Trigger], trigger: Trigger) -> bool:
        """A burst on an issue already bursting grows that trigger instead of adding one."""
        same = [i for i, o in enumerate(existing) if o.kind == self.kind and o.issue == trigger.issue]
        if not same:
            return False
        old = existing[same[0]]
        existing[same[0]] = old.model_copy(update={"tickets": tuple(dict.fromkeys(old.tickets + trigger.tickets))})
        return True

    def adds_nothing(self, trigger: Trigger, esc: Escalation) -> bool:
        """The open escalation's burst on that issue already holds these tickets."""
        return any(o.kind == self.kind and o.issue == trigger.issue and set(trigger.tickets) <= set(o.tickets)
                   for o in esc.triggers)

    def detect(
        self, event: Event, state: AccountState, found: list[Trigger], ctx: Context
    ) -> list[Trigger]:
        if not isinstance(event, TicketOpened):
            return []
        cfg = ctx.cfg.triggers.ticket_burst
        if len(state.tickets) < cfg.count:  # the group of an issue is some of these tickets
            return []
        new = state.tickets[event.ticket.key]
        out = []
        early, late = new.created - cfg.window, new.created + cfg.window
        # the groups read the state, the window and how issues are told apart, not the count: another rule
        # set asking of the very same state (``rules.engine.agrees``, ``Context.shared``) reads them again
        reads = (cfg.window, cfg.same_issue, cfg.summary_similarity)
        slot = ctx.shared.get("burst")
        if slot is not None and slot[0] is event and slot[1] is state.tickets and slot[2] == reads:
            others, groups = slot[3], slot[4]
        else:
            if cfg.same_issue == "summary":  # (a summary issue is named by its earliest ticket, however old)
                others = list(state.tickets.values())
            else:
                # only tickets from a window before this one on can share a span with it, found by bisection
                # (the others are mostly the old tickets an escalation open for months still links); their
                # order does not matter: a span is made of its items sorted by time and key
                others = created_since(state.account, state.tickets, early, ctx)
            groups = None
        if cfg.same_issue != "summary" and len(others) < cfg.count:
            # (the new ticket is one of them): no issue can have ``count``
            ctx.shared["burst"] = (event, state.tickets, reads, others, groups)
            return []
        if groups is None:
            groups = grouped_with(new, others, ctx.cfg)
        ctx.shared["burst"] = (event, state.tickets, reads, others, groups)
        anchor = Item(at=new.created, group=new.key, key=new.key)
        for issue, mates in groups.items():
            if len(mates) < cfg.count:  # no span can hold ``count`` distinct tickets
                continue
            # only tickets within a window of this one can share a span with it (the span's own rule)
            items = [Item(at=f.created, group=f.key, key=f.key) for f in mates if early <= f.created <= late]
            span = qualifying_span(items, anchor, cfg.count, cfg.window)
            if span is None:
                continue
            keys = tuple(i.key for i in span.items)
            out.append(Trigger(
                id=f"{self.kind}:{issue}:{new.key}", kind=self.kind, account=event.account,
                at=span.at, tickets=keys, issue=issue,
                reason=f"{len(keys)} tickets on {issue} within {cfg.window}: {', '.join(keys)}",
            ))
        return out

