"""Opening and updating the one open escalation of an account (POLICY.md sections 4-8).

Severity and tier only go up, stakeholders are only added, the owner chosen at opening never
changes, and the executive sponsor once required stays required. Every change is written to
the timeline with its reason, and the decision carries those reasons for the log line.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from itertools import chain
from operator import attrgetter
from typing import Literal

from rules.copying import assemble, replace
from rules.models import Escalation, Frozen, SeverityChange, TimelineEntry, Trigger, external_id
from rules.owners import choose_owner
from rules.plans import plan_for
from rules.severity import assess_severity
from rules.sponsor import assess_sponsor, merge_sponsor
from rules.state import AccountState
from rules.tiers import assess_tier, stakeholders
from rules.triggers import kind_of
from rules.triggers.base import Context


class Decision(Frozen):
    """What the shell must make true in Salesforce and Jira, and why."""

    action: Literal["open", "update"]
    escalation: Escalation
    reasons: tuple[str, ...]


def merge_triggers(existing: Iterable[Trigger], new: Iterable[Trigger]) -> tuple[Trigger, ...]:
    """Append new triggers; a kind may grow an existing trigger instead (a burst on the same issue)."""
    out = list(existing)
    for trigger in new:
        if not kind_of(trigger.kind).merge_into(out, trigger):
            out.append(trigger)
    return tuple(out)


def adds_nothing(trigger: Trigger, esc: Escalation | None) -> bool:
    """A trigger whose kind says the open escalation already holds it (a burst's tickets)."""
    if esc is None or not esc.is_open:
        return False
    return kind_of(trigger.kind).adds_nothing(trigger, esc)


def escalate(
    state: AccountState,
    new: list[Trigger],
    at: datetime,
    ctx: Context,
    load: Mapping[str, int],
) -> Decision | None:
    """Open an escalation for ``new`` triggers, or update the open one; None if nothing changed.

    Called for every event of an account with an open escalation, even one with no trigger, so
    that new impact on a linked ticket or a multi-customer finding raises it.
    """
    cfg, directory = ctx.cfg, ctx.directory
    account = directory.accounts[state.account]
    prev = state.escalation if state.escalation is not None and state.escalation.is_open else None
    if prev is None and not new:
        return None
    new = sorted(new, key=lambda t: (t.at, t.id))
    triggers = merge_triggers(prev.triggers if prev else (), new)
    # read with C-level ``map``: an escalation open for months links hundreds of tickets
    tickets = tuple(dict.fromkeys(chain(prev.tickets if prev else (), chain.from_iterable(map(_TICKETS, triggers)))))
    linked = [*filter(None, map(state.tickets.get, tickets))]
    severity, severity_why = assess_severity(triggers, linked, cfg)
    if prev is not None and prev.severity_set_at is not None:
        # a person set the severity on the epic: only evidence after that can raise it again
        fresh = [t for t in triggers if t.at > prev.severity_set_at]
        later = [f for f in linked if f.created > prev.severity_set_at]
        severity, severity_why = (assess_severity(fresh, later, cfg) if fresh or later
                                  else (prev.severity, "set on the epic by a person"))
        severity_why += f"; new evidence since the severity was set on the epic {prev.severity_set_at:%Y-%m-%d %H:%M}Z"
    tier, tier_why = assess_tier(account, triggers, linked, state.multi, directory, cfg)
    notes: list[str] = []

    if prev is None:
        opened = new[0].at
        owner, owner_notes = choose_owner(account, tier, directory, load, cfg)
        notes.append(f"Opened: {severity.label} ({severity_why}), tier {tier} ({tier_why})")
        notes.extend(f"Trigger {t.kind}: {t.reason}" for t in new)
        notes.append(f"Owner: {owner or 'nobody'} (tier-{tier} owner role)")
        notes.extend(owner_notes)
        esc = Escalation(
            id=external_id(account.id, opened), account=account.id, account_name=account.name,
            opened=opened, severity=severity, tier=tier, owner=owner,
            severity_history=(SeverityChange(at=opened, severity=severity),),
            summary=f"{account.name}: {new[0].reason}",
        )
    else:
        esc = prev
        owner = prev.owner
        kept = set(map(_ID, triggers))
        seen = set(map(_ID, prev.triggers))
        # a burst merged into the open burst on its issue shows up as "Linked", not as a trigger
        notes.extend(f"Trigger {t.kind}: {t.reason}" for t in new if t.id in kept and t.id not in seen)
        known = len(prev.tickets)  # the links only grow: the new ones follow the old
        joined = (list(tickets[known:]) if tickets[:known] == prev.tickets
                  else [k for k in tickets if k not in set(prev.tickets)])
        if joined:
            notes.append(f"Linked {', '.join(joined)}")
        if severity < prev.severity:
            notes.append(f"Severity raised {prev.severity.label} -> {severity.label} ({severity_why})")
            esc = replace(esc, {
                "severity": severity,
                "severity_history": prev.severity_history + (SeverityChange(at=at, severity=severity),),
            })
        if tier > prev.tier:
            notes.append(f"Tier raised {prev.tier} -> {tier} ({tier_why}); owner stays {owner}")
        tier = max(tier, prev.tier)

    before = set(prev.stakeholders) if prev else set()
    people = before | stakeholders(account, tier, owner, directory, cfg)
    people.discard((owner or "").lower())
    if prev is not None and people - before:
        notes.append(f"Stakeholders added: {', '.join(sorted(people - before))}")
    sponsor = assess_sponsor(account, triggers, linked, esc.opened, at, cfg)
    sponsor = merge_sponsor(prev.exec_sponsor if prev else esc.exec_sponsor, sponsor)
    was = prev.exec_sponsor if prev else None
    if sponsor.required and (was is None or not was.required or sponsor.due != was.due):
        notes.append(f"Executive sponsor required by {sponsor.due:%Y-%m-%d %H:%M}Z: "
                     f"{'; '.join(sponsor.reasons)}")

    # (``replace``: a model copy without pydantic's generic copy; an escalation has 38 fields)
    esc = replace(esc, {
        "triggers": triggers, "tickets": tickets, "tier": tier,
        "stakeholders": tuple(sorted(people)), "exec_sponsor": sponsor, "arr": account.arr,
    })
    esc = replace(esc, {"plan": plan_for(esc, account.owner, cfg)})
    if prev is not None and esc == prev and not notes:
        return None
    entries = tuple(assemble(TimelineEntry, {"at": at, "text": n}) for n in notes)  # (``at``: an event's, UTC)
    esc = replace(esc, {"timeline": esc.timeline + entries})
    return Decision(action="open" if prev is None else "update", escalation=esc,
                    reasons=tuple(notes))


_TICKETS = attrgetter("tickets")
_ID = attrgetter("id")
