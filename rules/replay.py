"""Replaying events through the engine with the whole world held in memory.

``backtest`` uses this; so do tests and benchmarks. The live connector runs the same
:func:`rules.engine.apply` with its state in Redis instead of in these dicts.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

from rules.copying import replace
from rules.engine import Finding, Outcome, WorldView, agrees, apply
from rules.escalation import Decision
from rules.events import Event, MultiCustomer, sort_key
from rules.hit_window import HitWindow
from rules.intents import notify_kinds
from rules.models import Escalation
from rules.state import AccountState, ComponentHit
from rules.triggers import Context, TriggerKindBase

# a step: the state before (None: first seen), the state kept, the outcome, the load it read
Step = tuple[AccountState | None, AccountState, Outcome, Counter[str] | None]
# what a follower reads of its leader: the step, the kinds whose detect-only settings differ, the states
Follow = tuple[Step | None, Sequence[TriggerKindBase], Mapping[str, AccountState]]


@dataclass
class Replay:
    """The world of one replay: account states, component hits, owners' open escalations."""

    ctx: Context
    states: dict[str, AccountState] = field(default_factory=dict)
    hits: dict[str, Sequence[ComponentHit]] = field(default_factory=dict)
    load: Counter[str] = field(default_factory=Counter)
    decisions: list[Decision] = field(default_factory=list)
    events_applied: int = 0
    unmatched: list[str] = field(default_factory=list)
    keep_decisions: bool = True  # off for long replays: only the counts below are kept
    keep_timeline: bool = True  # off for backtests: their output has no timeline, and it only grows
    _informed: dict[str, set[str]] = field(default_factory=dict)
    _informed_at: dict[str, datetime] = field(default_factory=dict)
    opened: int = 0
    updated: int = 0
    notifications: int = 0  # those the decisions would send (rules.intents.notify_kinds)
    listener: Callable[[Decision], None] | None = None  # hears every decision (the shell counts notifications)
    trace: bool = False  # keep ``last_step`` (a leader of rules.sharing.feed_together)
    last_step: Step | None = None  # the last book event's step: state before, state kept, outcome, load
    _world: WorldView | None = field(default=None, repr=False, compare=False)
    # off for a follower reading its leader's windows (``rules.sharing``): the leader records every hit
    records_hits: bool = True

    def __post_init__(self) -> None:
        window = self.ctx.cfg.tiers.multi_customer.window
        self.hits = _Windows(window, self.hits)

    def state(self, account: str) -> AccountState:
        return self.states.get(account) or AccountState(account=account)

    def feed(self, events: Iterable[Event]) -> list[Decision]:
        """Apply events in time order (and what they fan out to other accounts right after)."""
        return self.feed_ordered(sorted(events, key=sort_key))

    def feed_ordered(self, events: Iterable[Event], follow: Follow | None = None) -> list[Decision]:
        """Apply events already in time order, as :func:`rules.book_stream.ordered_events` gives.

        ``follow``: another replay's step of the same (single) event, the kinds whose detect-only
        settings differ, and that replay's states (:mod:`rules.sharing`). Its step is taken as
        this one's when it starts from the same state and could not differ; after an event told
        of a finding, a state equal to the other's becomes the other's again.
        """
        out: list[Decision] = []
        world = self._world_view()
        one = self._one
        for event in events:
            one(event, follow, world, out)
        self.decisions.extend(out)
        return out

    def feed_one(self, event: Event, follow: Follow | None = None) -> None:
        """:meth:`feed_ordered` of one event (``rules.sharing`` feeds each event to each replay in turn)."""
        self._one(event, follow, self._world_view(), self.decisions)

    def _world_view(self) -> WorldView:
        world = self._world
        if world is None or world.load is not self.load or world.hits is not self.hits:
            world = self._world = WorldView(load=self.load, hits=self.hits)  # (``--compare`` feeds one event a call)
        return world

    def _one(self, event: Event, follow: Follow | None, world: WorldView, out: list[Decision]) -> None:
        """One book event, and what it fans out to other accounts right after."""
        states, ctx = self.states, self.ctx
        pending: deque[Event] | None = None
        current = event
        top = True
        while True:
            before = states.get(current.account)
            taken = self._taken(before, current, follow) if top and follow is not None else None
            if taken is not None:
                state, outcome = taken
            else:
                outcome = apply(before or AccountState(account=current.account), current, ctx, world)
                state = outcome.state
                if outcome.decisions and not self.keep_timeline and state.escalation is not None:
                    state = replace(state, {"escalation": replace(state.escalation, {"timeline": ()})})
            if top and self.trace:
                # the load as it was before this step (an opening reads it), copied only when needed
                self.last_step = (before, state, outcome, Counter(self.load) if outcome.decisions else None)
            elif not top and follow is not None:  # told of a finding: the leader was told the same
                theirs = follow[2].get(current.account)
                if theirs is not None and theirs is not state and theirs == state:
                    state = theirs
            top = False
            self.events_applied += 1
            states[current.account] = state
            if before is not None and state.multi is not before.multi:
                self._forgotten(before, state)
            if outcome.hits and self.records_hits:
                self._record_hits(outcome.hits)
            if outcome.decisions:
                self._count(before, outcome.decisions)
                if self.keep_decisions:
                    out.extend(outcome.decisions)
            if outcome.fanout:
                pending = pending if pending is not None else deque()
                for finding in outcome.fanout:
                    pending.extend(self._tell(finding))
            if not pending:
                return
            current = pending.popleft()

    def _taken(self, before: AccountState | None, event: Event, follow: Follow) -> tuple[AccountState, Outcome] | None:
        """The followed step, when it is this replay's step too (see :func:`rules.engine.agrees`)."""
        step, kinds, _ = follow
        if step is None or step[0] is not before:
            return None
        _, state, outcome, load = step
        if outcome.decisions and any(d.action == "open" for d in outcome.decisions) and load != self.load:
            return None  # the owner chosen at opening reads each replay's own load
        if kinds and not agrees(outcome, event, self.ctx, kinds):
            return None
        return state, outcome

    def _count(self, before: AccountState | None, decisions: Iterable[Decision]) -> None:
        for decision in decisions:
            if self.listener is not None:
                self.listener(decision)
            was = before.escalation if before is not None and decision.action == "update" else None
            self.notifications += len(notify_kinds(was, decision.escalation))
            if decision.action == "open":
                self.opened += 1
                if decision.escalation.owner:
                    self.load[decision.escalation.owner] += 1
            else:
                self.updated += 1

    def _tell(self, finding: Finding) -> list[MultiCustomer]:
        """The finding's events for the accounts that do not already know it at or before then.

        On a busy component every new ticket re-finds the same accounts; telling them again
        changes nothing, and on large books looking at each of them would be most of the work.
        So each component keeps the accounts known to have learnt of it no later than its last
        finding (``_informed``; an account leaves it when its state forgets the finding), and only
        the others are looked at. A finding dated before the last one trusts nothing.
        """
        states, component, at = self.states, finding.component, finding.at
        informed = self._informed.setdefault(component, set())
        if at < self._informed_at.get(component, at):
            informed.clear()
        self._informed_at[component] = at
        unsure = finding.accounts - informed
        if isinstance(unsure, set):  # (a new set: the running count's answer)
            unsure.discard(finding.origin)
        else:
            unsure = unsure - {finding.origin}
        out = []
        listed: tuple[str, ...] | None = None
        for account in sorted(unsure):
            state = states.get(account)
            known = state.multi.get(component) if state is not None else None
            if known is not None and known <= at:
                informed.add(account)
            else:
                listed = listed or finding.listed()
                out.append(MultiCustomer(at=at, account=account, component=component, accounts=listed))
        return out

    def _forgotten(self, before: AccountState | None, after: AccountState) -> None:
        """An account whose state dropped a finding (pruned) must be looked at again."""
        if before is None or after.multi is before.multi:
            return
        for component in before.multi:
            if component not in after.multi and component in self._informed:
                self._informed[component].discard(after.account)

    def _record_hits(self, hits: Iterable[ComponentHit]) -> None:
        windows = cast(_Windows, self.hits)  # (made one in __post_init__)
        for hit in hits:
            windows[hit.component].add(hit)

    @property
    def made(self) -> int:
        return self.opened + self.updated

    def escalations(self) -> list[Escalation]:
        """Every escalation as it stands now, in order of opening."""
        found = [s.escalation for s in self.states.values() if s.escalation is not None]
        return sorted(found, key=lambda e: (e.opened, e.account))


class _Windows(dict[str, HitWindow]):
    """Component -> its hits in a :class:`HitWindow`: the known ones handed in (the live pipeline's,
    read back from Redis: any sequence) put in one, and a component first seen gets an empty one."""

    def __init__(self, window: timedelta, known: Mapping[str, Sequence[ComponentHit]]) -> None:
        super().__init__()
        self.window = window
        for component, hits in known.items():
            self[component] = hits if isinstance(hits, HitWindow) else self._running(hits)

    def _running(self, hits: Sequence[ComponentHit]) -> HitWindow:
        made = HitWindow(self.window, keep=self.window * 2)
        for hit in sorted(hits, key=lambda h: h.at):
            made.add(hit)
        return made

    def __missing__(self, component: str) -> HitWindow:
        made = self[component] = self._running(())
        return made
