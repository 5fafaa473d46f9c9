"""Executive sponsor (POLICY.md section 6): when one is required, and by when.

Once required it stays required, with the earliest due time: the caller merges a new
assessment into the previous one with :func:`merge_sponsor`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from itertools import compress
from operator import attrgetter

from rules.config import RulesConfig
from rules.models import Account, ExecSponsor, Trigger
from rules.state import TicketFacts
from rules.triggers import kind_of
from rules.triggers.base import TriggerKindBase


def assess_sponsor(
    account: Account,
    triggers: Iterable[Trigger],
    linked: Iterable[TicketFacts],
    opened: datetime,
    at: datetime,
    cfg: RulesConfig,
) -> ExecSponsor:
    """Every sponsor condition that holds at ``at``, each with the due time it implies.

    Each condition is dated by the evidence, never by the event being processed, so replaying
    an older event cannot pull a due time earlier: a ticket's fact counts from when it was
    known and the ticket was linked, the renewal window from no earlier than the opening.
    """
    rules = cfg.exec_sponsor
    triggers = list(triggers)
    within = rules.within
    found: list[tuple[datetime, str]] = []
    # each kind says whether its trigger requires the sponsor, and by when; most kinds never do, and
    # the triggers and tickets are read with C-level ``map`` (a months-old escalation links hundreds)
    asking = {name for name in dict.fromkeys(map(_KIND, triggers))
              if type(kind_of(name)).sponsor is not TriggerKindBase.sponsor}
    for trigger in compress(triggers, map(asking.__contains__, map(_KIND, triggers))) if asking else ():
        due = kind_of(trigger.kind).sponsor(trigger, cfg)
        if due is not None:
            found.append(due)
    facts = linked if isinstance(linked, list | tuple) else list(linked)
    weighty = [*compress(facts, map(any, zip(map(_EXEC, facts), map(_TIER4, facts), strict=True)))]
    if weighty:
        keys = {f.key for f in weighty}
        linked_at: dict[str, datetime] = {}  # when each of those tickets was first linked by a trigger
        for trigger in triggers:
            for key in keys.intersection(trigger.tickets):
                linked_at[key] = min(linked_at.get(key, trigger.at), trigger.at)
        for ticket in weighty:
            link = max(linked_at.get(ticket.key, opened), opened)
            if ticket.exec_title:
                found.append((max(link, ticket.created),
                              f"a customer executive reported {ticket.key} ({ticket.exec_title})"))
            if ticket.tier4_reason:
                found.append((max(link, ticket.tier4_at or link),
                              f"security, compliance or legal: {ticket.tier4_reason}"))
    if account.arr > rules.arr_over:
        found.append((opened, f"ARR {account.arr:,.0f} exceeds {rules.arr_over:,.0f}"))
    if account.renewal_date is not None:
        when = max(at, opened)
        days_left = account.renewal_date - when.date()
        if timedelta(0) <= days_left <= rules.renewal_within:
            found.append((when + within, f"renewal on {account.renewal_date} is within "
                                       f"{rules.renewal_within.days} days"))
    if not found:
        return ExecSponsor()
    return ExecSponsor(
        required=True,
        due=min(due for due, _ in found),
        reasons=tuple(sorted({reason for _, reason in found})),
    )


def merge_sponsor(previous: ExecSponsor, current: ExecSponsor) -> ExecSponsor:
    """Required once means required for good; the earliest due time wins."""
    if not previous.required:
        return current
    if not current.required:
        return previous
    due = min(d for d in (previous.due, current.due) if d is not None)
    reasons = tuple(sorted(set(previous.reasons) | set(current.reasons)))
    return ExecSponsor(required=True, due=due, reasons=reasons)


def renewal_pending(account: Account, sponsor: ExecSponsor, at: datetime, cfg: RulesConfig) -> bool:
    """Could the renewal window alone require (or hasten) the sponsor at ``at``?

    The one sponsor condition that time alone can make true; the engine asks this before
    skipping the re-assessment of an escalation that no evidence changed.
    """
    rules = cfg.exec_sponsor
    if account.renewal_date is None:
        return False
    days_left = account.renewal_date - at.date()
    if not _NONE_LEFT <= days_left <= rules.renewal_within:  # (asked on most events of an open escalation)
        return False
    return not sponsor.required or sponsor.due is None or sponsor.due > at + rules.within


_NONE_LEFT = timedelta(0)
_KIND = attrgetter("kind")
_EXEC = attrgetter("exec_title")
_TIER4 = attrgetter("tier4_reason")
