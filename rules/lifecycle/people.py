"""People on the epic are followed, never fought (issue 12, item 4), as pure decisions.

The epic is where people work. What a person (anyone but the connector's own API user) does
there is the truth the connector follows:

* **reassigns** the epic: the escalation's owner becomes the new assignee; plan steps that
  were the old owner's follow; the connector never assigns it back. The timeline names who.
* **changes its priority**: the severity follows, and the SLA deadlines with it: a raise
  shortens them from that moment (like any raise); a lowering makes them the new severity's
  from opening (breaches already acted on stay on record). The connector raises it again only on evidence that
  arrives after the change (``severity_set_at``; :mod:`rules.escalation` reads it), and says
  so in the epic comment it posts with every update.
* **closes it as not an escalation** (a resolution such as ``Won't Do``, or a label such as
  ``not-an-escalation``): status ``Dismissed``. It is not open, not resolved, and not filed
  for the ``repeat`` trigger; the evidence that opened it fired once and never fires again,
  while new evidence after the dismissal is judged as new. The trigger kinds that fired are
  counted (:func:`dismissed_kinds`; record field ``Dismissed_Trigger_Kinds__c``).

Watchers, comments, labels and links people add are never removed: the writer only adds.
People are compared by :func:`rules.lifecycle.decisions.same_person` only, so an e-mail or a
Jira account id both fit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from rules.lifecycle.decisions import LifecycleDecision, same_person, with_notes
from rules.models import Escalation, PlanStep, Severity, SeverityChange
from rules.triggers.base import Context

PRIORITY_SEVERITY = {"highest": Severity.SEV1, "blocker": Severity.SEV1, "critical": Severity.SEV1,
                     "high": Severity.SEV2, "major": Severity.SEV2, "medium": Severity.SEV3,
                     "low": Severity.SEV4, "lowest": Severity.SEV4, "minor": Severity.SEV4, "trivial": Severity.SEV4}
"""The epic's priority name -> severity (the writer's mapping read back; Data Center names too)."""


def severity_of_priority(name: str | None) -> Severity | None:
    """The severity a Jira priority name stands for, or None for a name nobody mapped."""
    return PRIORITY_SEVERITY.get((name or "").strip().lower())


def _who(by: str | None) -> str:
    return by or "someone"


def reassigned(esc: Escalation, owner: str | None, by: str | None, at: datetime,
               ctx: Context) -> LifecycleDecision | None:
    """The epic's assignee changed by a person: the owner follows.

    Returns:
        None when the escalation already has that owner; else a ``reassign`` decision. The
        shell moves the owner-load counts, upserts the record's owner, and reassigns the open
        plan issues listed as the old owner's (``escalation.plan``); it never sets the epic's
        assignee.
    """
    if same_person(owner, esc.owner) or (owner is None and esc.owner is None):
        return None
    old = esc.owner
    new_owner = owner.lower() if owner else None
    plan = tuple(p.model_copy(update={"owner": new_owner}) if same_person(p.owner, old) else p
                 for p in esc.plan)
    people = tuple(sorted({s for s in esc.stakeholders if not same_person(s, new_owner)}
                          | ({old.lower()} if old else set())))
    note = f"Owner {old or 'nobody'} -> {new_owner or 'nobody'} (reassigned on the epic by {_who(by)})"
    new = esc.model_copy(update={"owner": new_owner, "plan": plan, "stakeholders": people})
    return LifecycleDecision(action="reassign", escalation=with_notes(new, at, [note]), reasons=(note,),
                             key=f"{esc.id}:reassign:{at:%Y%m%dT%H%M%SZ}")


def moved_steps(before: Escalation, after: Escalation) -> list[PlanStep]:
    """The plan steps whose owner a reassignment changed (their Jira issues follow)."""
    old = {p.step: p.owner for p in before.plan}
    return [p for p in after.plan if p.step in old and old[p.step] != p.owner]


def priority_set(esc: Escalation, severity: Severity, by: str | None, at: datetime,
                 ctx: Context) -> LifecycleDecision | None:
    """The epic's priority changed by a person: the severity follows, from ``at``."""
    if severity == esc.severity:
        return None
    note = (f"Severity {esc.severity.label} -> {severity.label} (priority set on the epic by {_who(by)}); "
            f"raised again only on new evidence")
    if severity < esc.severity:  # raised: the shorter deadlines count from the raise, as any raise
        history = esc.severity_history + (SeverityChange(at=at, severity=severity),)
    else:  # lowered: the person says what it is, so the deadlines are the new severity's from opening
        history = (SeverityChange(at=esc.opened, severity=severity),)
    new = esc.model_copy(update={"severity": severity, "severity_set_at": at, "severity_history": history})
    return LifecycleDecision(action="severity", escalation=with_notes(new, at, [note]), reasons=(note,),
                             key=f"{esc.id}:severity:{at:%Y%m%dT%H%M%SZ}")


def is_dismissal(resolution: str | None, labels: Iterable[str], *, resolutions: Iterable[str],
                 dismiss_labels: Iterable[str]) -> bool:
    """Closed as not an escalation: one of the configured resolutions, or labels (case-insensitive)."""
    wanted = {r.strip().casefold() for r in resolutions}
    marks = {x.strip().casefold() for x in dismiss_labels}
    return (resolution or "").strip().casefold() in wanted or bool(marks & {x.casefold() for x in labels})


def dismissed_kinds(esc: Escalation) -> tuple[str, ...]:
    """The trigger kinds that fired for an escalation, each once (what a dismissal counts)."""
    return tuple(sorted({t.kind for t in esc.triggers}))


def dismiss(esc: Escalation, by: str | None, at: datetime, how: str, ctx: Context) -> LifecycleDecision | None:
    """A person closed the epic as not an escalation: status ``Dismissed``.

    Returns:
        None when it is dismissed already; else a ``dismiss`` decision. The shell counts the
        dismissal per trigger kind (Redis, the metric) and writes the record.
    """
    if esc.status == "Dismissed":
        return None
    kinds = dismissed_kinds(esc)
    note = (f"Dismissed as not an escalation by {_who(by)} ({how}); its evidence will not reopen it; "
            f"triggers counted as dismissed: {', '.join(kinds) or 'none'}")
    new = esc.model_copy(update={"status": "Dismissed", "dismissed_at": at, "dismissed_by": by,
                                 "resolved_at": None, "closed_at": None})
    return LifecycleDecision(action="dismiss", escalation=with_notes(new, at, [note]), reasons=(note,),
                             key=f"{esc.id}:dismiss")


def dismissal_fields(esc: Escalation) -> dict[str, Any]:
    """The record's ``Dismissed_Trigger_Kinds__c`` (``;``-separated; empty unless dismissed)."""
    kinds = dismissed_kinds(esc) if esc.status == "Dismissed" else ()
    return {"Dismissed_Trigger_Kinds__c": ";".join(kinds) or None}
