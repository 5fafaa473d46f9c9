"""One step of the rules: an account's state and one event in, new state and decisions out.

This is the single code path of the live connector and of ``backtest``. It reads no clock
and touches no store: what it needs of other accounts (open escalations per owner, recent
tickets per component) comes in a :class:`WorldView`, and what other accounts must learn
(a multi-customer finding, this ticket's component hits) goes out in the :class:`Outcome`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from itertools import compress, filterfalse
from operator import attrgetter, itemgetter
from typing import NamedTuple, cast

from rules import by_created
from rules.communication import ticket_reply
from rules.copying import assemble, replace
from rules.escalation import Decision, adds_nothing, escalate
from rules.events import CommentAdded, Event, HealthScored, MultiCustomer, TicketOpened
from rules.hit_window import HitWindow
from rules.impact import ticket_facts, with_comment
from rules.models import HealthSample, Trigger
from rules.sponsor import renewal_pending
from rules.state import AccountState, ComponentHit, TicketFacts
from rules.text import customer_ticket_text, has_any_word, is_customer_comment
from rules.triggers import Context, TriggerKindBase
from rules.windows import Item, qualifying_span


@dataclass(frozen=True)
class WorldView:
    """What one account's step may read of the others."""

    load: Mapping[str, int] = field(default_factory=dict)  # owner email -> open escalations
    hits: Mapping[str, Sequence[ComponentHit]] = field(default_factory=dict)  # component -> hits


class Finding(NamedTuple):
    """A component that became multi-customer: the driver tells the other accounts.

    (A named tuple: on a busy component one is made for every ticket.)
    """

    component: str
    at: datetime
    accounts: AbstractSet[str]  # a set: on a busy component it is made for every ticket, sorted only if told
    origin: str

    def listed(self) -> tuple[str, ...]:
        """The accounts in order, as a :class:`MultiCustomer` event carries them."""
        return tuple(sorted(self.accounts))

    def events(self, skip: Callable[[str], bool]) -> list[MultiCustomer]:
        """One event per account other than the origin, except those ``skip`` names."""
        listed = self.listed()
        return [MultiCustomer.model_construct(kind="multi_customer", at=self.at, account=a,
                                              component=self.component, accounts=listed)
                for a in listed if a != self.origin and not skip(a)]


class Outcome(NamedTuple):
    """One step's result (a named tuple: built once per event, so it is kept cheap)."""

    state: AccountState
    decisions: tuple[Decision, ...] = ()
    hits: tuple[ComponentHit, ...] = ()
    fanout: tuple[Finding, ...] = ()
    observed: AccountState | None = None  # the state the kinds read (None: the event was stale)
    found: tuple[tuple[str, tuple[Trigger, ...]], ...] = ()  # each kind asked and what it found


def apply(state: AccountState, event: Event, ctx: Context, world: WorldView) -> Outcome:
    """Fold one event into an account's state and decide.

    Idempotent: applying the same event again finds the same trigger ids already acted on and
    the same facts already known, and returns the same state with no decision.
    """
    watermark = state.watermark  # :func:`rules.state.is_stale`, inline: asked once per event
    if watermark is not None and watermark - event.at > ctx.cfg.state.horizon:
        return Outcome(state)
    before = state
    state, hits, fanout = _observe(state, event, ctx, world)

    found: list[Trigger] = []
    asked = []
    for kind in ctx.kinds_for(type(event)):
        got = kind.detect(event, state, found, ctx)
        if got:
            asked.append((kind.kind, tuple(got)))
            found.extend(got)
        else:  # (most kinds find nothing in most events)
            asked.append((kind.kind, ()))
    observed = state
    new = [t for t in dict((t.id, t) for t in found).values()
           if t.id not in state.fired and not adds_nothing(t, state.escalation)] if found else []
    if new:
        state = replace(state, {"fired": {**state.fired, **{t.id: t.at for t in new}}})

    decision = None
    if new or (state.escalation is not None and _may_change(before, state, event, ctx)):
        decision = escalate(state, new, event.at, ctx, world.load)
    if decision is not None:
        state = replace(state, {"escalation": decision.escalation})
    # a public reply by our people on a linked ticket: the log (no escalation, no log)
    if state.escalation is not None and isinstance(event, CommentAdded):
        replied = ticket_reply(state.escalation, event.ticket, event.comment)
        if replied is not None:
            state = replace(state, {"escalation": replied})
            decision = (decision.model_copy(update={"escalation": replied}) if decision is not None
                        else Decision(action="update", escalation=replied, reasons=()))
    return _outcome((_prune(state, ctx), (decision,) if decision else (), hits, fanout, observed, tuple(asked)))


# ``Outcome(...)`` of every field, without the named tuple's ``__new__`` in Python (once per event)
_outcome = cast(Callable[[tuple[object, ...]], Outcome], partial(tuple.__new__, Outcome))


def agrees(outcome: Outcome, event: Event, ctx: Context, kinds: Sequence[TriggerKindBase]) -> bool:
    """Would ``ctx`` give the same outcome for the same state and event, its rules differing from
    the outcome's only in settings that ``kinds`` read when they detect (``detect_only``)?

    Yes when each of those kinds that reads this event finds the same triggers in the same
    observed state: everything else the step does reads settings both share. (Opening an
    escalation also reads the owners' load, which is each replay's own: the caller checks that.)
    """
    if outcome.observed is None:
        return True
    memo = ctx.memo
    slot = (kinds, type(event))
    names = memo.get(slot)  # those of the same few kinds that read this type of event, by name
    if names is None:
        names = memo[slot] = {kind.kind: kind for kind in kinds if kind.events is None
                              or issubclass(type(event), kind.events)}
    if not names:  # none reads it (a comment, for the burst and the health drop): the leader's step holds
        return True
    found: list[Trigger] = []
    for name, got in outcome.found:
        kind = names.get(name)
        if kind is not None and tuple(kind.detect(event, outcome.observed, found, ctx)) != got:
            return False
        found.extend(got)
    return True


def _may_change(before: AccountState, after: AccountState, event: Event, ctx: Context) -> bool:
    """Could this event, bringing no trigger, change the open escalation?

    Only new facts about tickets, a multi-customer finding, or the renewal window can; skipping
    the rest keeps the engine fast without changing any decision.
    """
    esc = after.escalation
    if esc is None or not esc.is_open:
        return False
    # severity, tier and sponsor read only the linked tickets' facts and their components' findings;
    # a ticket or comment changes only its own ticket's facts (the links grow for ever in a backtest)
    if after.tickets is not before.tickets:
        keys = (event.ticket.key,) if isinstance(event, TicketOpened | CommentAdded) else esc.tickets
        linked = esc.tickets if len(esc.tickets) < 8 else _linked_set(after.account, esc.tickets, ctx)
        if any(k in linked and _weighed(after.tickets.get(k)) != _weighed(before.tickets.get(k)) for k in keys):
            return True
    if after.multi is not before.multi:
        changed = {c for c, at in after.multi.items() if before.multi.get(c) != at}
        changed.update(c for c in before.multi if c not in after.multi)
        if any(c in changed for f in after.linked_facts() for c in f.components):
            return True
    account = ctx.directory.accounts[after.account]
    return renewal_pending(account, esc.exec_sponsor, event.at, ctx.cfg)


def _observe(state: AccountState, event: Event, ctx: Context, world: WorldView,
             ) -> tuple[AccountState, tuple[ComponentHit, ...], tuple[Finding, ...]]:
    """Record the event's facts (idempotently) and move the watermark; a ticket's component hits
    and the multi-customer findings it makes (one copy of the state for both)."""
    update: dict[str, object] = {}
    hits: tuple[ComponentHit, ...] = ()
    fanout: tuple[Finding, ...] = ()
    if state.watermark is None or event.at > state.watermark:
        update["watermark"] = event.at
    if isinstance(event, TicketOpened):
        facts = _facts(event, ctx)
        old = state.tickets.get(facts.key)
        merged = _merge_facts(old, facts) if old else facts
        if old is None or merged != old:  # (a new ticket, mostly: no model comparison)
            update["tickets"] = _with_ticket(state, merged, ctx)
        multi, hits, fanout = _multi_customer(state.multi, event, ctx, world)
        if multi is not state.multi:
            update["multi"] = multi
    elif isinstance(event, CommentAdded):
        seen = state.tickets.get(event.ticket.key)
        facts = _commented(event, seen or _facts(event, ctx), ctx)
        if facts is not seen and facts != seen:
            update["tickets"] = _with_ticket(state, facts, ctx)
    elif isinstance(event, HealthScored):
        health = state.health
        if not health or event.at > health[-1].at:  # the replay's case: samples arrive in order
            update["health"] = (*health, assemble(HealthSample, {"at": event.at, "score": event.score}))
        elif all(s.at != event.at for s in health):
            sample = HealthSample(at=event.at, score=event.score)
            update["health"] = tuple(sorted((*health, sample), key=lambda s: s.at))
    elif isinstance(event, MultiCustomer):
        mine = any(event.component in f.components for f in state.tickets.values())
        known = state.multi.get(event.component)
        if mine and (known is None or event.at < known):
            update["multi"] = {**state.multi, event.component: event.at}
    return (replace(state, update) if update else state), hits, fanout


def _with_ticket(state: AccountState, facts: TicketFacts, ctx: Context) -> dict[str, TicketFacts]:
    """The account's tickets with ``facts`` added or replaced.

    The memo of the oldest unlinked ticket (:func:`_oldest_unlinked`) is carried over when it
    held for the old tickets: a new unlinked ticket can only make it older, and new facts of a
    known ticket keep its creation time (when they do not, it is found again).
    """
    old = state.tickets
    tickets = {**old, facts.key: facts}
    by_created.added(state.account, old, tickets, facts, ctx)
    memo = ctx.memo
    key = ("oldest_unlinked", state.account)
    known = memo.get(key)
    if known is not None and known[0] is old:
        linked, oldest = known[1], known[2]
        esc = state.escalation
        if linked is (esc.tickets if esc is not None and esc.is_open else ()):
            seen = old.get(facts.key)
            if seen is not None:
                same = seen.created == facts.created or facts.key in _linked_set(state.account, linked, ctx)
                if same:
                    memo[key] = (tickets, linked, oldest)
            elif not linked or facts.key not in _linked_set(state.account, linked, ctx):
                memo[key] = (tickets, linked, facts.created if oldest is None or facts.created < oldest else oldest)
            else:
                memo[key] = (tickets, linked, oldest)
    return tickets


def _facts(event: TicketOpened | CommentAdded, ctx: Context) -> TicketFacts:
    """The event's ticket's own facts; computed once per event for the rule sets sharing ``ctx.shared``."""
    slot = ctx.shared.get("facts")
    if slot is not None and slot[0] is event:
        return cast(TicketFacts, slot[1])
    cfg = ctx.cfg
    quiet = None
    if isinstance(event, TicketOpened):  # one scan of its text for the phrases and the watched words
        words = cfg.triggers.keyword.words
        text = customer_ticket_text(event.ticket)
        quiet = not text or not has_any_word(text, (cfg.severity.impact_phrases, cfg.tiers.tier4_phrases, words))
        if quiet:
            ctx.shared["keyword"] = (event, words, [])  # what ``keyword`` would find: nothing
    facts = ticket_facts(event.ticket, cfg, quiet)
    ctx.shared["facts"] = (event, facts)
    return facts


def _commented(event: CommentAdded, facts: TicketFacts, ctx: Context) -> TicketFacts:
    """The facts after the comment; once per event and prior facts for the rule sets sharing them."""
    slot = ctx.shared.get("comment")
    if slot is not None and slot[0] is event and slot[1] is facts:
        return cast(TicketFacts, slot[2])
    comment, cfg = event.comment, ctx.cfg
    if not is_customer_comment(comment):
        after = facts  # only customers' public words count (and ``keyword`` reads nothing else)
    else:
        words = cfg.triggers.keyword.words
        if has_any_word(comment.body, (cfg.severity.impact_phrases, cfg.tiers.tier4_phrases, words)):
            after = with_comment(facts, comment, cfg)
        else:  # one scan of the body for the phrases and the watched words: nothing (most comments)
            after = facts
            ctx.shared["keyword"] = (event, words, [])
    ctx.shared["comment"] = (event, facts, after)
    return after


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
    known: dict[str, datetime], event: TicketOpened, ctx: Context, world: WorldView
) -> tuple[dict[str, datetime], tuple[ComponentHit, ...], tuple[Finding, ...]]:
    """Does this ticket's component now appear in enough accounts' tickets within the window?
    The account's findings (``known`` itself when they do not change), the hits, the findings."""
    hits, spans = _spans(event, ctx, world)
    if not any(spans):  # most tickets complete no span: nothing to copy
        return known, hits, ()
    multi = known
    fanout: list[Finding] = []
    for hit, found in zip(hits, spans, strict=True):
        if found is None:
            continue
        at, accounts = found
        was = multi.get(hit.component)
        if was is None or at < was:  # (on a busy component the account mostly knows already: no copy)
            if multi is known:
                multi = dict(known)
            multi[hit.component] = at
        fanout.append(Finding(hit.component, at, accounts, event.account))
    return multi, hits, tuple(fanout)


def _spans(event: TicketOpened, ctx: Context, world: WorldView,
           ) -> tuple[tuple[ComponentHit, ...], list[tuple[datetime, AbstractSet[str]] | None]]:
    """The ticket's component hits and, for each, the multi-customer span it completes.

    Rule sets sharing ``ctx.shared`` share the multi-customer settings, and each replay's windows
    hold the same hits (every replay records every ticket), so the answer is computed once per event.
    """
    slot = ctx.shared.get("spans")
    if slot is not None and slot[0] is event:
        return cast(tuple[tuple[ComponentHit, ...], list[tuple[datetime, AbstractSet[str]] | None]], slot[1])
    rule = ctx.cfg.tiers.multi_customer
    ticket = event.ticket
    account, key, created = event.account, ticket.key, ticket.created
    hits = tuple(assemble(ComponentHit, {"component": c, "account": account, "key": key, "at": created})
                 for c in ticket.components)  # the validated ticket's own values
    spans = [_span_of(hit, world.hits.get(hit.component, ()), rule.accounts, rule.window) for hit in hits]
    ctx.shared["spans"] = (event, (hits, spans))
    return hits, spans


def _span_of(
    hit: ComponentHit, known: Sequence[ComponentHit], count: int, window: timedelta
) -> tuple[datetime, AbstractSet[str]] | None:
    """When the component became multi-customer with this hit in it, and the accounts then.

    A hit newer than every hit of a :class:`HitWindow` is answered from its running count of
    accounts (the replay's case: tickets arrive in time order); any other is counted afresh.
    Both give the same answer: for the newest hit the earliest-completing span is the window
    ending at it.
    """
    if isinstance(known, HitWindow):
        found = known.newest_span(hit, window, count)
        if found is not False:
            return found  # type: ignore[return-value]
    others = [h for h in known if h.key != hit.key]
    items = [Item(at=h.at, group=h.account, key=h.key) for h in (*others, hit)]
    span = qualifying_span(items, Item(at=hit.at, group=hit.account, key=hit.key), count, window)
    if span is None:
        return None
    return span.at, frozenset(i.group for i in span.items)


def _prune(state: AccountState, ctx: Context) -> AccountState:
    """Forget evidence older than the horizon, except what an open escalation still links.

    Asked after every event, and most of the time there is nothing to forget. The oldest time of
    each part is remembered per account beside the part it was found in (state is never changed in
    place; most events change one part or none), so an event finds again only the oldest of the
    parts it changed (C-level ``min`` over their times) and compares five times before anything is
    rebuilt.
    """
    watermark = state.watermark
    if watermark is None:
        return state
    cfg = ctx.cfg
    cutoff = watermark - cfg.state.horizon
    tickets, fired, health, multi, closed = state.tickets, state.fired, state.health, state.multi, state.closed
    esc = state.escalation
    linked = esc.tickets if esc is not None and esc.is_open else ()
    memo = ctx.memo
    firsts = memo.get(_FIRSTS)
    if firsts is None:
        firsts = memo[_FIRSTS] = {}
    account = state.account
    (k_tickets, k_linked, oldest, k_fired, first_fired, k_health, first_health, k_multi, first_multi,
     k_closed, first_closed) = firsts.get(account, _NO_FIRSTS)
    changed = False
    if tickets is not k_tickets or linked is not k_linked:
        oldest = _oldest_unlinked(account, tickets, linked, ctx) if tickets else None
        changed = True
    if fired is not k_fired:
        first_fired = min(fired.values()) if fired else None
        changed = True
    if health is not k_health:
        first_health = health[0].at if health else None
        changed = True
    if multi is not k_multi:
        first_multi = min(multi.values()) if multi else None
        changed = True
    if closed is not k_closed:
        first_closed = min(c.closed_at for c in closed) if closed else None
        changed = True
    if ((oldest is None or oldest >= cutoff) and (first_fired is None or first_fired >= cutoff)
            and (first_health is None or first_health >= cutoff) and (first_multi is None or first_multi >= cutoff)
            and (first_closed is None or first_closed >= watermark - cfg.triggers.repeat.window)):
        if changed:
            firsts[account] = (tickets, linked, oldest, fired, first_fired, health, first_health, multi,
                               first_multi, closed, first_closed)
        return state
    update: dict[str, object] = {}
    if oldest is not None and oldest < cutoff:
        # the old ones found by bisection (:mod:`rules.by_created`): they are few beside the linked ones kept
        keep = _linked_set(account, linked, ctx)
        kept = dict(tickets)
        gone = [*filterfalse(keep.__contains__, by_created.created_before(account, tickets, cutoff, ctx))]
        for key in gone:
            del kept[key]
        by_created.removed(account, tickets, kept, gone, ctx)
        update["tickets"] = kept
    if first_fired is not None and first_fired < cutoff:
        update["fired"] = {k: at for k, at in fired.items() if at >= cutoff}
    if first_health is not None and first_health < cutoff:
        update["health"] = tuple(compress(health, map(cutoff.__le__, map(_AT, health))))  # (in C)
    if first_multi is not None and first_multi < cutoff:
        update["multi"] = {c: at for c, at in multi.items() if at >= cutoff}
    repeat_cutoff = watermark - cfg.triggers.repeat.window
    if first_closed is not None and first_closed < repeat_cutoff:
        update["closed"] = tuple(c for c in closed if c.closed_at >= repeat_cutoff)
    return replace(state, update)


# per account: the parts a prune last looked at, each beside its oldest time (``_NO_FIRSTS``: none yet)
_FIRSTS = "prune_firsts"
_NO_FIRSTS: tuple[object, ...] = (object(),) * 11


def _oldest_unlinked(account: str, tickets: Mapping[str, TicketFacts], linked: tuple[str, ...],
                     ctx: Context) -> datetime | None:
    """When the oldest ticket not linked to the open escalation was created (None: there is none).

    Linked tickets are kept past the horizon, so the oldest ticket alone says nothing; this is
    remembered per account for as long as its tickets and links are the same objects (state is
    never changed in place), since most events change neither.
    """
    memo = ctx.memo
    key = ("oldest_unlinked", account)
    known = memo.get(key)
    if known is not None and known[0] is tickets and known[1] is linked:
        return cast(datetime | None, known[2])
    if linked:
        # the first of the index (:mod:`rules.by_created`, oldest first) that is not linked: only the linked
        # tickets older than it are read, not the whole account
        keep = _linked_set(account, linked, ctx)
        first = next(filterfalse(keep.__contains__, map(_PAIR_KEY, by_created.index(account, tickets, ctx))), None)
        oldest = None if first is None else tickets[first].created
    else:
        oldest = min(map(_CREATED, tickets.values()))
    memo[key] = (tickets, linked, oldest)
    return oldest


def _linked_set(account: str, linked: tuple[str, ...], ctx: Context) -> AbstractSet[str]:
    """The open escalation's linked keys as a set, made once per change of its links (not per event)."""
    memo = ctx.memo
    key = ("linked_set", account)
    known = memo.get(key)
    if known is not None and known[0] is linked:
        return cast(AbstractSet[str], known[1])
    keys = frozenset(linked)
    memo[key] = (linked, keys)
    return keys


_CREATED = attrgetter("created")
_AT = attrgetter("at")
_PAIR_KEY = itemgetter(1)
# what :func:`rules.escalation.escalate` reads of a linked ticket (severity, tier, sponsor): a comment that
# changes none of these (most add words or nothing) cannot change the escalation
_WEIGHED = attrgetter("created", "components", "severity", "severity_reason", "tier4_reason", "tier4_at",
                      "exec_title")


def _weighed(facts: TicketFacts | None) -> tuple[object, ...] | None:
    """The facts of a linked ticket that the escalation's assessment reads (None: not known)."""
    return None if facts is None else cast(tuple[object, ...], _WEIGHED(facts))
