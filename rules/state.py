"""The rules' memory of one account, and of the few facts shared across accounts.

State is plain, immutable data: the engine returns a new value instead of changing the old one,
so the live connector can store it (Redis, JSON) and the backtest can keep it in a dict. What is
remembered is bounded: evidence older than ``state.horizon`` is forgotten unless an open
escalation still links it.
"""

from __future__ import annotations

from datetime import datetime

from rules.models import Escalation, Frozen, HealthSample, Severity, UtcDatetime


class TicketFacts(Frozen):
    """What the rules know of one ticket: enough to count bursts and weigh impact."""

    key: str
    created: UtcDatetime
    components: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    words: tuple[str, ...] = ()
    channel: str = "portal"
    severity: Severity | None = None
    severity_reason: str = ""
    tier4_reason: str | None = None
    tier4_at: UtcDatetime | None = None
    exec_title: str | None = None


class ClosedRef(Frozen):
    """A closed escalation, remembered for the ``repeat`` window."""

    id: str
    closed_at: UtcDatetime
    tickets: tuple[TicketFacts, ...]


class AccountState(Frozen):
    account: str
    watermark: UtcDatetime | None = None
    tickets: dict[str, TicketFacts] = {}
    health: tuple[HealthSample, ...] = ()
    fired: dict[str, UtcDatetime] = {}
    multi: dict[str, UtcDatetime] = {}
    escalation: Escalation | None = None
    closed: tuple[ClosedRef, ...] = ()

    def linked_facts(self) -> list[TicketFacts]:
        esc = self.escalation
        if esc is None:
            return []
        return [self.tickets[k] for k in esc.tickets if k in self.tickets]


class ComponentHit(Frozen):
    """One ticket of one account on one component: the multi-customer window is made of these."""

    component: str
    account: str
    key: str
    at: UtcDatetime


def is_stale(state: AccountState, at: datetime, horizon_seconds: float) -> bool:
    """An event older than the horizon behind what the account has seen is a replay: ignore it."""
    return (
        state.watermark is not None
        and (state.watermark - at).total_seconds() > horizon_seconds
    )
