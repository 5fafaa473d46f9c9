"""What the lifecycle rules decide: one plain value the shell turns into Salesforce and Jira writes.

The lifecycle functions (SLA watch, acknowledgement and update events, epic status, month-3
validation) all answer in the same shape, so the shell has one way to carry a decision out:
upsert the record and the epic from ``escalation``, post ``comment`` on the epic, add
``watchers``, notify ``notify``, and log ``reasons``. ``key`` is deterministic, so a retry
after a crash can find the side effect an earlier attempt already made (a Jira comment
property, a notification dedup key) instead of making it twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from rules.models import Breach, Escalation, Frozen, TimelineEntry
from rules.triggers.base import Context

Action = Literal[
    "breach",            # SLA deadlines missed: timeline, tier, watchers, notification
    "acknowledge",       # the escalation was acknowledged: plan re-anchored
    "update",            # an update was given: the update clock restarts
    "status",            # the epic's status or fields changed the record
    "ignored",           # nothing to write; the reason is for the log only
    "health_validation",  # the month-3 health check: a comment on the epic
    "shown",             # its epic exists: the SLA clocks know when people could first act
    "reassign",          # a person changed the epic's assignee: the owner follows
    "severity",          # a person changed the epic's priority: the severity follows
    "dismiss",           # a person closed the epic as not an escalation
    "communication",     # a person's public comment on the epic: the communication log
]


class LifecycleDecision(Frozen):
    """What the shell must make true, and why.

    Attributes:
        action: what kind of change this is (see :data:`Action`).
        escalation: the escalation as the record and the epic must now show it.
        reasons: one line per rule that fired, for the log (the timeline already has them).
        key: a deterministic id of this decision's side effects.
        comment: text to post on the epic, once (idempotent on ``key``), or None.
        notify: people (emails) to notify, owner first.
        watchers: people (emails) to add as watchers on the epic (new stakeholders).
        breaches: the breaches this decision acted on (``action == "breach"``).
        resolution_days: business days from opening to resolution, when just resolved.
    """

    action: Action
    escalation: Escalation
    reasons: tuple[str, ...]
    key: str
    comment: str | None = None
    notify: tuple[str, ...] = ()
    watchers: tuple[str, ...] = ()
    breaches: tuple[Breach, ...] = ()
    resolution_days: float | None = None


def with_notes(esc: Escalation, at: datetime, notes: Iterable[str]) -> Escalation:
    """The escalation with one timeline entry per note, all dated ``at``."""
    entries = tuple(TimelineEntry(at=at, text=n) for n in notes)
    return esc.model_copy(update={"timeline": esc.timeline + entries}) if entries else esc


def csm_of(esc: Escalation, ctx: Context) -> str | None:
    """The account's CSM (lower-case email), or None when the account is unknown or has none."""
    account = ctx.directory.accounts.get(esc.account)
    return account.owner.lower() if account is not None and account.owner else None


def same_person(a: str | None, b: str | None) -> bool:
    """Emails compared the way the directory indexes them (case-insensitive); None never matches."""
    return bool(a) and bool(b) and a.strip().lower() == b.strip().lower()  # type: ignore[union-attr]


def stamp(moment: datetime) -> str:
    """A short UTC time for timeline text and keys: ``2026-11-02 10:00Z``."""
    return f"{moment:%Y-%m-%d %H:%M}Z"
