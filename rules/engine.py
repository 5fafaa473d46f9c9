"""One step of the rules: an account's state and one event in, new state and decisions out.

This is the single code path of the live connector and of ``backtest``. It reads no clock
and touches no store: what it needs of other accounts (open escalations per owner, recent
tickets per component) comes in a :class:`WorldView`, and what other accounts must learn
(a multi-customer finding, this ticket's component hits) goes out in the :class:`Outcome`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from rules.communication import ticket_reply
from rules.escalation import Decision, adds_nothing, escalate
from rules.events import CommentAdded, Event, HealthScored, MultiCustomer, TicketOpened
from rules.hit_window import HitWindow
from rules.impact import ticket_facts, with_comment
from rules.models import HealthSample, Trigger
from rules.sponsor import renewal_pending
from rules.state import AccountState, ComponentHit, TicketFacts, is_stale
from rules.triggers import Context
from rules.windows import Item, qualifying_span


@dataclass(frozen=True)
class WorldView:
    """What one account's step may read of the others."""

    load: Mapping[str, int] = field(default_factory=dict)  # owner email -> open escalations
    hits: Mapping[str, Sequence[ComponentHit]] = field(default_factory=dict)  # component -> hits


@dataclass(frozen=True)
class Finding:
    """A component that became multi-customer: the driver tells the other accounts."""

    component: str
    at: datetime
    accounts: tuple[str, ...]
    origin: str

    def events(self, skip: Callable[[str], bool]) -> list[MultiCustomer]:
        """One event per account other than the origin, except those ``skip`` names."""
        return [MultiCustomer.model_construct(kind="multi_customer", at=self.at, account=a,
                                              component=self.component, accounts=self.accounts)
                for a in self.accounts if a != self.origin and not skip(a)]


class Outcome(NamedTuple):
    """One step's result (a named tuple: built once per event, so it is kept cheap)."""

    state: AccountState
    decisions: tuple[Decision, ...] = ()
    hits: tuple[ComponentHit, ...] = ()
    fanout: tuple[Finding, ...] = ()


def apply(state: AccountState, event: Event, ctx: Context, world: WorldView) -> Outcome:
    """Fold one event into an account's state and decide.

    Idempotent: applying the same event again finds the same trigger ids already acted on and
    the same facts already known, and returns the same state with no decision.
    """
    horizon = ctx.cfg.state.horizon.total_seconds()
    if is_stale(state, event.at, horizon):
        return Outcome(state)
    before = state
    state = _observe(state, event, ctx)
    hits: tuple[ComponentHit, ...] = ()
    fanout: tuple[Finding, ...] = ()
    if isinstance(event, TicketOpened):
        state, hits, fanout = _multi_customer(state, event, ctx, world)

    found: list[Trigger] = []
    for kind in ctx.enabled:
        found.extend(kind.detect(event, state, found, ctx))
    new = [t for t in dict((t.id, t) for t in found).values()
           if t.id not in state.fired and not adds_nothing(t, state.escalation)]
    if new:
        state = state.model_copy(update={"fired": {**state.fired, **{t.id: t.at for t in new}}})

    decision = None
    if new or _may_change(before, state, event, ctx):
        decision = escalate(state, new, event.at, ctx, world.load)
    if decision is not None:
        state = state.model_copy(update={"escalation": decision.escalation})
    if isinstance(event, CommentAdded):  # a public reply by our people on a linked ticket: the log
        replied = ticket_reply(state.escalation, event.ticket, event.comment)
        if replied is not None:
            state = state.model_copy(update={"escalation": replied})
            decision = (decision.model_copy(update={"escalation": replied}) if decision is not None
                        else Decision(action="update", escalation=replied, reasons=()))
    return Outcome(
        state=_prune(state, ctx),
        decisions=(decision,) if decision else (),
        hits=hits,
        fanout=fanout,
    )


def _may_change(before: AccountState, after: AccountState, event: Event, ctx: Context) -> bool:
    """Could this event, bringing no trigger, change the open escalation?

    Only new facts about tickets, a multi-customer finding, or the renewal window can; skipping
    the rest keeps the engine fast without changing any decision.
    """
    esc = after.escalation
    if esc is None or not esc.is_open:
        return False
    # severity, tier and sponsor read only the linked tickets' facts and their components' findings
    if after.tickets is not before.tickets and any(
            after.tickets.get(k) is not before.tickets.get(k) for k in esc.tickets):
        return True
    if after.multi is not before.multi:
        changed = {c for c, at in after.multi.items() if before.multi.get(c) != at}
        changed.update(c for c in before.multi if c not in after.multi)
        if any(c in changed for f in after.linked_facts() for c in f.components):
            return True
    account = ctx.directory.accounts[after.account]
    return renewal_pending(account, esc.exec_sponsor, event.at, ctx.cfg)


def _observe(state: AccountState, event: Event, ctx: Context) -> AccountState:
    """Record the event's facts (idempotently) and move the watermark."""
    update: dict[str, object] = {}
    if state.watermark is None or event.at > state.watermark:
        update["watermark"] = event.at
    if isinstance(event, TicketOpened):
        facts = ticket_facts(event.ticket, ctx.cfg)
        old = state.tickets.get(facts.key)
        merged = _merge_facts(old, facts) if old else facts
        if merged != old:
            update["tickets"] = {**state.tickets, facts.key: merged}
    elif isinstance(event, CommentAdded):
        old = state.tickets.get(event.ticket.key) or ticket_facts(event.ticket, ctx.cfg)
        facts = with_comment(old, event.comment, ctx.cfg)
        if facts != state.tickets.get(event.ticket.key):
            update["tickets"] = {**state.tickets, facts.key: facts}
    elif isinstance(event, HealthScored):
        health = state.health
        if not health or event.at > health[-1].at:  # the replay's case: samples arrive in order
            update["health"] = (*health, HealthSample(at=event.at, score=event.score))
        elif all(s.at != event.at for s in health):
            sample = HealthSample(at=event.at, score=event.score)
            update["health"] = tuple(sorted((*health, sample), key=lambda s: s.at))
    elif isinstance(event, MultiCustomer):
        mine = any(event.component in f.components for f in state.tickets.values())
        known = state.multi.get(event.component)
        if mine and (known is None or event.at < known):
            update["multi"] = {**state.multi, event.component: event.at}
    return state.model_copy(update=update) if update else state


def _merge_facts(old: TicketFacts, new: TicketFacts) -> TicketFacts:
    """A ticket seen again: keep what was known, add what is new; impact only rises."""
    severity = min((s for s in (old.severity, new.severity) if s is not None), default=None)
    reason = old.severity_reason if severity == old.severity else new.severity_reason
    return old.model_copy(update={
        "components": tuple(dict.fromkeys(old.components + new.components)),
        "labels": tuple(dict.fromkeys(old.labels + new.labels)),
        "severity": severity,
        "severity_reason": reason,
        "tier4_reason": old.tier4_reason or new.tier4_reason,
        "tier4_at": old.tier4_at or new.tier4_at,
        "exec_title": old.exec_title or new.exec_title,
    })


def _multi_customer(
    state: AccountState, event: TicketOpened, ctx: Context, world: WorldView
) -> tuple[AccountState, tuple[ComponentHit, ...], tuple[Finding, ...]]:
    """Does this ticket's component now appear in enough accounts' tickets within the window?"""
    rule = ctx.cfg.tiers.multi_customer
    ticket = event.ticket
    hits = tuple(
        ComponentHit(component=c, account=event.account, key=ticket.key, at=ticket.created)
        for c in ticket.components
    )
    multi = dict(state.multi)
    fanout: list[Finding] = []
    for hit in hits:
        found = _span_of(hit, world.hits.get(hit.component, ()), rule.accounts, rule.window)
        if found is None:
            continue
        at, accounts = found
        if hit.component not in multi or at < multi[hit.component]:
            multi[hit.component] = at
        fanout.append(Finding(component=hit.component, at=at, accounts=accounts, origin=event.account))
    if multi != state.multi:
        state = state.model_copy(update={"multi": multi})
    return state, hits, tuple(fanout)


def _span_of(
    hit: ComponentHit, known: Sequence[ComponentHit], count: int, window: timedelta
) -> tuple[datetime, tuple[str, ...]] | None:
    """When the component became multi-customer with this hit in it, and the accounts then.

    A hit newer than every hit of a :class:`HitWindow` is answered from its running count of
    accounts (the replay's case: tickets arrive in time order); any other is counted afresh.
    Both give the same answer: for the newest hit the earliest-completing span is the window
    ending at it.
    """
    if isinstance(known, HitWindow) and not known.has_key(hit.key) and (
            known.newest is None or hit.at >= known.newest):
        accounts = known.accounts_since(hit.at - window)
        if accounts is not None:
            distinct = len(accounts) + (hit.account not in accounts)
            if distinct < count:
                return None
            return hit.at, tuple(sorted({*accounts, hit.account}))
    others = [h for h in known if h.key != hit.key]
    items = [Item(at=h.at, group=h.account, key=h.key) for h in (*others, hit)]
    span = qualifying_span(items, Item(at=hit.at, group=hit.account, key=hit.key), count, window)
    if span is None:
        return None
    return span.at, tuple(sorted({i.group for i in span.items}))


def _prune(state: AccountState, ctx: Context) -> AccountState:
    """Forget evidence older than the horizon, except what an open escalation still links."""
    if state.watermark is None:
        return state
    cutoff = state.watermark - ctx.cfg.state.horizon
    update: dict[str, object] = {}
    if any(f.created < cutoff for f in state.tickets.values()):
        esc = state.escalation
        linked = set(esc.tickets) if esc is not None and esc.is_open else set()
        kept = {k: f for k, f in state.tickets.items() if f.created >= cutoff or k in linked}
        if len(kept) < len(state.tickets):
            update["tickets"] = kept
    if any(at < cutoff for at in state.fired.values()):
        update["fired"] = {k: at for k, at in state.fired.items() if at >= cutoff}
    if state.health and state.health[0].at < cutoff:
        update["health"] = tuple(s for s in state.health if s.at >= cutoff)
    if any(at < cutoff for at in state.multi.values()):
        update["multi"] = {c: at for c, at in state.multi.items() if at >= cutoff}
    repeat_cutoff = state.watermark - ctx.cfg.triggers.repeat.window
    if any(c.closed_at < repeat_cutoff for c in state.closed):
        update["closed"] = tuple(c for c in state.closed if c.closed_at >= repeat_cutoff)
    return state.model_copy(update=update) if update else state
