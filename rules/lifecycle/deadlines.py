"""The SLA clocks of an open escalation (POLICY.md sections 3, 6 and 9), as pure functions.

Three clocks run while an escalation is open and unresolved:

* **acknowledge**: due at the severity's acknowledge time after opening (the earliest any
  severity the escalation has had implies, as :func:`rules.plans.sla_deadline` computes it).
* **update**: a series of deadlines. The first is one update interval after the *anchor*:
  the latest of the acknowledgement and the last update. Before the acknowledgement the
  anchor is the acknowledge *deadline* (POLICY.md section 8: "until a step's anchor has
  happened, its due time counts from the anchor's own deadline"), so an unanswered escalation
  first misses its acknowledgement and then, one interval later, its first update - never
  both for the same silence. Every further deadline is one interval after the previous one:
  "hourly until resolved" means an update is owed every hour, and each one missed is a breach.
  A severity raised between two deadlines brings the next one forward to one new interval
  after the raise (never later than the old cadence would have had it).
* **resolution** (SEV-1/2 only): not resolved within its SLA requires the executive sponsor
  within 24 h (section 6). POLICY.md names no resolution time; :data:`RESOLVE_WITHIN` holds
  the defaults until the config grows a ``severity.sla.<SEV>.resolve`` key.

Every deadline depends only on the escalation's own data, never on when the watch looked, so
a watch running every minute and one catching up after an outage find the same deadlines.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from rules.calendar import deadline
from rules.config import RulesConfig
from rules.models import Escalation, Severity, SeverityChange, clocked
from rules.plans import sla_deadline

MAX_DEADLINES = 10_000
"""A guard on the update series: more missed deadlines than this are not enumerated."""


@dataclass(frozen=True)
class ResolveSla:
    """How long a severity may stay unresolved before the sponsor must be engaged."""

    within: timedelta
    business: bool = False


RESOLVE_WITHIN: Mapping[Severity, ResolveSla] = {
    Severity.SEV1: ResolveSla(timedelta(hours=24)),
    Severity.SEV2: ResolveSla(timedelta(hours=48)),
}
"""The shipped resolution SLAs, as in ``rules/default.yaml`` (``severity.sla.<SEV>.resolve``).

POLICY.md section 6 says "a SEV-1/2 is not resolved within its SLA" without a number. 24 h
for SEV-1 and 48 h for SEV-2 follow the playbook's "a customer who hears 'we are on it' within
30 minutes can wait 48 hours for a fix". The config is what counts; this is its default.
"""


def resolve_slas(cfg: RulesConfig) -> Mapping[Severity, ResolveSla]:
    """The resolution SLAs the config sets (``severity.sla.<SEV>.resolve``)."""
    out = {}
    for severity in Severity:
        sla = cfg.severity.sla_for(severity)
        if sla.resolve is not None:
            out[severity] = ResolveSla(sla.resolve, "resolve" in sla.business_hours)
    return out


def history(esc: Escalation) -> tuple[SeverityChange, ...]:
    """The severity history in time order (the opening severity when none is recorded), as
    the clocks see it (from ``clocks_from`` when the escalation was found in history)."""
    esc = clocked(esc)
    changes = esc.severity_history or (SeverityChange(at=esc.opened, severity=esc.severity),)
    return tuple(sorted(changes, key=lambda c: c.at))


def severity_at(esc: Escalation, moment: datetime) -> Severity:
    """The severity in force at ``moment`` (the first one before the history begins)."""
    changes = history(esc)
    current = changes[0].severity
    for change in changes:
        if change.at <= moment:
            current = change.severity
    return current


def acknowledge_due(esc: Escalation, cfg: RulesConfig) -> datetime:
    """When the escalation must be acknowledged by."""
    return sla_deadline(esc, "acknowledge", cfg)


def update_anchor(esc: Escalation, cfg: RulesConfig) -> datetime:
    """Where the update series counts from: the latest acknowledgement or update.

    Before any acknowledgement the acknowledge deadline stands in for it. An acknowledgement
    or update from before the clocks started (found in history) counts from their start.
    """
    start = clocked(esc).opened
    ack = max(esc.acknowledged_at, start) if esc.acknowledged_at else acknowledge_due(esc, cfg)
    return max(ack, esc.last_update_at) if esc.last_update_at else ack


def _after(moment: datetime, severity: Severity, cfg: RulesConfig) -> datetime:
    sla = cfg.severity.sla_for(severity)
    return deadline(moment, sla.update, "update" in sla.business_hours, cfg.calendar)


def _next_update(esc: Escalation, previous: datetime, cfg: RulesConfig) -> datetime:
    due = _after(previous, severity_at(esc, previous), cfg)
    for change in history(esc):
        if previous < change.at < due:
            due = min(due, _after(change.at, change.severity, cfg))
    return due


def update_deadlines(esc: Escalation, until: datetime, cfg: RulesConfig) -> tuple[datetime, ...]:
    """Every update deadline after the anchor and at or before ``until``, earliest first.

    A zero update interval means no update clock (the series would never advance).
    """
    out: list[datetime] = []
    previous = update_anchor(esc, cfg)
    while len(out) < MAX_DEADLINES:
        due = _next_update(esc, previous, cfg)
        if due <= previous or due > until:
            break
        out.append(due)
        previous = due
    return tuple(out)


def next_update_due(esc: Escalation, now: datetime, cfg: RulesConfig) -> datetime | None:
    """The first update deadline after ``now`` (for display: the epic's next due time)."""
    previous = update_anchor(esc, cfg)
    for _ in range(MAX_DEADLINES):
        due = _next_update(esc, previous, cfg)
        if due <= previous:
            return None
        if due > now:
            return due
        previous = due
    return None


def resolution_due(
    esc: Escalation, cfg: RulesConfig, resolve: Mapping[Severity, ResolveSla] | None = None
) -> datetime | None:
    """When a SEV-1/2 escalation must be resolved by, or None when no resolution clock runs.

    The clock starts when the escalation reached a severity that has one, so a SEV-3 raised
    to SEV-2 on day 3 gets its 48 h from day 3; the earliest deadline wins.
    """
    resolve = resolve_slas(cfg) if resolve is None else resolve
    dues = [
        deadline(change.at, rule.within, rule.business, cfg.calendar)
        for change in history(esc)
        if (rule := resolve.get(change.severity)) is not None
    ]
    return min(dues) if dues else None
