"""The SLA watch (POLICY.md sections 6 and 9): missed deadlines become breaches, each acted on once.

The beat task calls :func:`sla_watch` for every open escalation with the current time. A breach
is remembered on the escalation itself (``Escalation.breaches``), keyed by its clock and due
time, so running the watch again - at the same moment or later, once or many times - never
acts on the same missed deadline twice, and a watch that was down for an hour catches up with
exactly the breaches a watch running every minute would have found (only their ``at`` differs).

What a breach does:

* acknowledge or update missed: a timeline entry, the tier up by one (at most 4), the people
  of the new tier added as stakeholders (Jira watchers) and notified with the owner. The owner
  never changes (section 5). One watch pass raises the tier at most once, however many
  deadlines it finds missed (a watch catching up after an outage, several update deadlines):
  every one of them is recorded and named in that pass's single timeline entry.
* a deadline that fell before the escalation became visible (``shown_at``: its epic created)
  is never a breach: nobody could have met it. An escalation found in history counts its
  clocks from then (:func:`rules.models.clocked`).
* resolution missed (SEV-1/2): the executive sponsor becomes required, due 24 h after the
  missed deadline (section 6), which adds the ``sponsor_brief`` step. The tier does not move:
  section 9 raises the tier for acknowledge and update breaches only.

At most one acknowledge and one resolution breach per escalation (each is a single deadline;
a severity recorded later cannot make the same silence count twice). Update breaches are one
per missed deadline of the update series (:mod:`rules.lifecycle.deadlines`).

The boundary: a deadline is missed when ``now`` reaches it with the awaited event still
absent, so a SEV-2 opened at 09:00 and unacknowledged breaches at exactly 10:00 and not at
09:59. An acknowledgement recorded after its deadline is a breach even if no watch ran
in between; one at exactly the deadline is on time (as the monthly report counts it), unless
a watch ran at that very instant before the event arrived and already recorded the breach.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from rules.lifecycle.deadlines import (
    ResolveSla,
    acknowledge_due,
    resolution_due,
    update_anchor,
    update_deadlines,
)
from rules.lifecycle.decisions import LifecycleDecision, csm_of, stamp, with_notes
from rules.models import Breach, Escalation, ExecSponsor, Severity
from rules.plans import plan_for
from rules.sponsor import merge_sponsor
from rules.tiers import stakeholders
from rules.triggers.base import Context

MAX_TIER = 4


def missed(
    esc: Escalation,
    now: datetime,
    ctx: Context,
    resolve: Mapping[Severity, ResolveSla] | None = None,
) -> list[tuple[Breach, str]]:
    """The breaches not yet acted on at ``now``, earliest first, each with what was missed."""
    cfg = ctx.cfg
    if not esc.is_open or esc.resolved_at is not None:
        return []
    clocks = {b.clock for b in esc.breaches}
    acted = {(b.clock, b.due) for b in esc.breaches}
    found: list[tuple[Breach, str]] = []
    if esc.shown_at is not None and now < esc.shown_at:
        return []

    ack_due = acknowledge_due(esc, cfg)
    if "acknowledge" not in clocks and now >= ack_due:
        if esc.acknowledged_at is None:
            found.append((Breach(clock="acknowledge", due=ack_due, at=now),
                          f"acknowledgement due {stamp(ack_due)} missed (not acknowledged)"))
        elif esc.acknowledged_at > ack_due:
            found.append((Breach(clock="acknowledge", due=ack_due, at=now),
                          f"acknowledgement due {stamp(ack_due)} missed "
                          f"(acknowledged late, {stamp(esc.acknowledged_at)})"))

    anchor = update_anchor(esc, cfg)
    since = (f"last update {stamp(anchor)}" if esc.last_update_at and anchor == esc.last_update_at
             else f"acknowledged {stamp(anchor)}" if esc.acknowledged_at
             else f"counted from the acknowledge deadline {stamp(anchor)}")
    for due in update_deadlines(esc, now, cfg):
        if ("update", due) not in acted:
            found.append((Breach(clock="update", due=due, at=now),
                          f"update due {stamp(due)} missed ({since})"))

    res_due = resolution_due(esc, cfg, resolve)
    if "resolution" not in clocks and res_due is not None and now >= res_due:
        found.append((Breach(clock="resolution", due=res_due, at=now),
                      f"{esc.severity.label} not resolved by {stamp(res_due)}"))
    visible = esc.shown_at
    found = [(b, what) for b, what in found if visible is None or b.due >= visible]  # nobody could act before
    return sorted(found, key=lambda item: (item[0].due, item[0].clock))


def sla_watch(
    esc: Escalation,
    now: datetime,
    ctx: Context,
    resolve: Mapping[Severity, ResolveSla] | None = None,
) -> LifecycleDecision | None:
    """Act on every deadline the escalation has missed by ``now`` and not yet acted on.

    Args:
        esc: the escalation as last stored (only open, unresolved escalations are watched).
        now: the watch's time; the only clock this function knows.
        ctx: the rules config and the directory (for the new tier's people and the CSM).
        resolve: the resolution SLAs; by default those of the config (``severity.sla.*.resolve``).

    Returns:
        None when nothing is newly missed; else a ``breach`` decision. The shell upserts the
        record and the epic from ``escalation`` (tier, stakeholders, timeline, sponsor, plan),
        adds ``watchers`` to the epic and sends one notification to ``notify``.
    """
    found = missed(esc, now, ctx, resolve)
    if not found:
        return None
    cfg, owner = ctx.cfg, esc.owner
    tier = esc.tier
    sponsor = esc.exec_sponsor
    what_missed = [what for _, what in found]
    for breach, _ in found:
        if breach.clock == "resolution":
            due = breach.due + cfg.exec_sponsor.within
            reason = f"a {esc.severity.label} was not resolved within its SLA"
            sponsor = merge_sponsor(sponsor, ExecSponsor(required=True, due=due, reasons=(reason,)))
    consequences = []
    if any(b.clock != "resolution" for b, _ in found):
        # one pass raises the tier at most once, however many deadlines it found missed
        tier = min(MAX_TIER, esc.tier + 1)
        consequences.append(f"tier {esc.tier} -> {tier}" if tier > esc.tier
                            else f"tier stays {tier} (the highest)")
        consequences.append(f"owner stays {owner or 'nobody'}")
    if sponsor != esc.exec_sponsor:
        consequences.append(f"executive sponsor required by {stamp(sponsor.due or now)}")
    notes = [f"SLA breach: {'; '.join(what_missed)}; {'; '.join(consequences)}"]

    before = set(esc.stakeholders)
    people = set(before)
    account = ctx.directory.accounts.get(esc.account)
    if account is not None:
        people |= stakeholders(account, tier, owner, ctx.directory, cfg)
    else:
        notes.append(f"Account {esc.account} is not in the directory: stakeholders unchanged")
    people.discard((owner or "").lower())
    added = tuple(sorted(people - before))
    if added:
        notes.append(f"Stakeholders added: {', '.join(added)}")
    notes = ["; ".join(notes)]  # one timeline entry per pass, naming every deadline it missed

    breaches = tuple(b for b, _ in found)
    new = esc.model_copy(update={
        "tier": tier,
        "stakeholders": tuple(sorted(people)),
        "exec_sponsor": sponsor,
        "breaches": esc.breaches + breaches,
    })
    if sponsor != esc.exec_sponsor:
        new = new.model_copy(update={"plan": plan_for(new, csm_of(esc, ctx), cfg)})
    new = with_notes(new, now, notes)
    key = f"{esc.id}:breach:" + ",".join(f"{b.clock}@{b.due:%Y%m%dT%H%M%SZ}" for b in breaches)
    notify = tuple(dict.fromkeys(([owner.lower()] if owner else []) + list(added)))
    return LifecycleDecision(
        action="breach", escalation=new, reasons=tuple(notes), key=key,
        notify=notify, watchers=added, breaches=breaches,
    )
