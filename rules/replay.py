"""Replaying events through the engine with the whole world held in memory.

``backtest`` uses this; so do tests and benchmarks. The live connector runs the same
:func:`rules.engine.apply` with its state in Redis instead of in these dicts.
"""

from __future__ import annotations

from collections import Counter, defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from rules.engine import WorldView, apply
from rules.escalation import Decision
from rules.events import Event, sort_key
from rules.models import Escalation
from rules.state import AccountState, ComponentHit
from rules.triggers import Context


@dataclass
class Replay:
    """The world of one replay: account states, component hits, owners' open escalations."""

    ctx: Context
    states: dict[str, AccountState] = field(default_factory=dict)
    hits: dict[str, deque[ComponentHit]] = field(default_factory=lambda: defaultdict(deque))
    load: Counter[str] = field(default_factory=Counter)
    decisions: list[Decision] = field(default_factory=list)
    events_applied: int = 0
    unmatched: list[str] = field(default_factory=list)

    def state(self, account: str) -> AccountState:
        return self.states.get(account) or AccountState(account=account)

    def feed(self, events: Iterable[Event]) -> list[Decision]:
        """Apply events in time order (and what they fan out to other accounts right after)."""
        out: list[Decision] = []
        for event in sorted(events, key=sort_key):
            pending: deque[Event] = deque([event])
            while pending:
                current = pending.popleft()
                outcome = apply(self.state(current.account), current, self.ctx,
                                WorldView(load=self.load, hits=self.hits))
                self.events_applied += 1
                self.states[current.account] = outcome.state
                self._record_hits(outcome.hits)
                for decision in outcome.decisions:
                    if decision.action == "open" and decision.escalation.owner:
                        self.load[decision.escalation.owner] += 1
                out.extend(outcome.decisions)
                for finding in outcome.fanout:
                    pending.extend(finding.events(partial(self._knows, component=finding.component,
                                                          at=finding.at)))
        self.decisions.extend(out)
        return out

    def _knows(self, account: str, component: str, at: datetime) -> bool:
        """The account already knows this component went multi-customer at or before then.

        On a busy component every new ticket re-finds the same accounts; telling them again
        changes nothing, and on large books it would be most of the work.
        """
        state = self.states.get(account)
        known = state.multi.get(component) if state else None
        return known is not None and known <= at

    def _record_hits(self, hits: Iterable[ComponentHit]) -> None:
        window = self.ctx.cfg.tiers.multi_customer.window
        for hit in hits:
            queue = self.hits[hit.component]
            if any(h.key == hit.key for h in queue):
                continue
            queue.append(hit)
            newest = max(h.at for h in queue)
            while queue and newest - queue[0].at > window * 2:
                queue.popleft()

    def escalations(self) -> list[Escalation]:
        """Every escalation as it stands now, in order of opening."""
        found = [s.escalation for s in self.states.values() if s.escalation is not None]
        return sorted(found, key=lambda e: (e.opened, e.account))
