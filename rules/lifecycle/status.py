"""Two-way status: the epic's Jira status drives the record (POLICY.md sections 7, 10, 11).

The epic is where people work, so its status is the truth: ``status.epic_to_record`` maps it
to the record's ``Status__c``. The epic's root-cause, concession and resolution-summary fields
are read into the record on every reconcile. What a move means:

* to **Resolved**: ``resolved_at`` is set (the plan's ``closure`` and ``follow_up`` follow
  from it), the recovery plan is laid out, the resolution time is measured in business days.
* to **Closed**: as Resolved if it was not resolved yet (closing straight from In Progress
  resolves at the same moment), and ``closed_at`` is set. A closure without a root cause gets
  one comment asking for it - once per closure (the timeline entry is the memory; a
  reopened-and-closed-again escalation is asked again).
* back to **Open / In Progress** from Resolved or Closed (reopened): resolution, closure and
  the recovery plan are cleared; the SLA watch resumes.
* an epic status the map does not know: the record keeps its status; the decision says why.

A field the epic does not carry (None) never clears what the record holds: a partial read of
the epic must not wipe a root cause.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from rules.config import RulesConfig
from rules.lifecycle.decisions import LifecycleDecision, csm_of, stamp, with_notes
from rules.lifecycle.measures import resolution_days
from rules.lifecycle.recovery import recovery_steps
from rules.models import Escalation, Frozen
from rules.plans import plan_for
from rules.triggers.base import Context

RecordStatus = Literal["Open", "In Progress", "Resolved", "Closed", "Dismissed"]
_OPEN = ("Open", "In Progress")

ROOT_CAUSE_MARK = "Root cause requested"
"""Prefix of the timeline entry recording that a root cause was asked for."""


class EpicFields(Frozen):
    """The epic's fields the record mirrors; None means "the epic does not say"."""

    root_cause: str | None = None
    concession_given: bool | None = None
    resolution_summary: str | None = None


def record_status(jira_status: str, cfg: RulesConfig) -> RecordStatus | None:
    """The record status for an epic status: exact name first, then ignoring case and spaces."""
    table = cfg.status.epic_to_record
    if jira_status in table:
        return table[jira_status]
    wanted = jira_status.strip().casefold()
    for name, status in table.items():
        if name.strip().casefold() == wanted:
            return status
    return None


def normalise_root_cause(text: str) -> str:
    """``"Knowledge-base gap"`` -> ``knowledge_base_gap`` (the config's spelling)."""
    return re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")


def _root_cause_request(esc: Escalation, closed_at: datetime, cfg: RulesConfig) -> tuple[str, str]:
    """The timeline mark and the comment asking for a root cause."""
    mark = f"{ROOT_CAUSE_MARK} (closed {stamp(closed_at)})"
    causes = ", ".join(c.replace("_", " ") for c in cfg.learning.root_causes)
    who = f"{esc.owner}: " if esc.owner else ""
    comment = (f"{who}this escalation was closed without a root cause. Please set the root cause "
               f"on this epic ({causes}) so the quarterly pattern review can count it.")
    return mark, comment


def _field_notes(
    esc: Escalation, fields: EpicFields, cfg: RulesConfig
) -> tuple[dict[str, object], list[str]]:
    update: dict[str, object] = {}
    notes: list[str] = []
    if fields.root_cause and fields.root_cause.strip():
        cause = normalise_root_cause(fields.root_cause)
        if cause != esc.root_cause:
            update["root_cause"] = cause
            known = "" if cause in cfg.learning.root_causes else " (not a configured root cause)"
            notes.append(f"Root cause: {cause}{known}")
    if fields.concession_given is not None and fields.concession_given != esc.concession_given:
        update["concession_given"] = fields.concession_given
        notes.append(f"Concession given: {'yes' if fields.concession_given else 'no'}")
    if fields.resolution_summary and fields.resolution_summary != esc.resolution_summary:
        update["resolution_summary"] = fields.resolution_summary
        notes.append("Resolution summary updated")
    return update, notes


def apply_epic_status(
    esc: Escalation, jira_status: str, at: datetime, fields: EpicFields, ctx: Context
) -> LifecycleDecision | None:
    """Bring the record in line with the epic's status and fields as seen at ``at``.

    Args:
        esc: the escalation as stored.
        jira_status: the epic's status name in Jira.
        at: when the epic reached that status (the transition's time, from the changelog).
        fields: the epic's root cause, concession and resolution summary.
        ctx: config (status map, recovery, calendar) and directory (the account's CSM).

    Returns:
        None when the record already matches. Else a ``status`` decision: the shell upserts
        the record (``Status__c``, root cause, concession, resolution days) and the epic's
        sub-tasks (the plan's closure/follow-up due dates, one sub-task per recovery step,
        keyed by step name), and posts ``comment`` once if there is one. Then it files the
        escalation into the account state (:func:`rules.lifecycle.accounts.file_in_state`).
        An ``ignored`` decision (unknown status, nothing else changed) is for the log only.
    """
    cfg = ctx.cfg
    target = record_status(jira_status, cfg)
    reasons: list[str] = []
    if target is None:
        reasons.append(f"Epic status {jira_status!r} maps to no record status "
                       f"(status.epic_to_record); the record stays {esc.status}")
        target = esc.status
    update, notes = _field_notes(esc, fields, cfg)

    old = esc.status
    resolved_at, closed_at = esc.resolved_at, esc.closed_at
    if target in _OPEN:
        resolved_at = closed_at = None
    else:
        resolved_at = resolved_at or at
        closed_at = (closed_at or at) if target == "Closed" else None
    if target != old:
        notes.append(f"Status {old} -> {target} (epic {jira_status!r})")
        if target in _OPEN and old not in _OPEN:
            notes.append("Reopened: resolution, closure and recovery plan cleared")
    days = None
    if resolved_at != esc.resolved_at:
        update.update(resolved_at=resolved_at)
        if resolved_at is not None:
            done = esc.model_copy(update={"resolved_at": resolved_at})
            days = resolution_days(done, cfg.calendar)
            notes.append(f"Resolved {stamp(resolved_at)} after {days:.2f} business days; "
                         f"recovery plan set")
    update.update(status=target, closed_at=closed_at)

    new = esc.model_copy(update=update)
    if new.resolved_at != esc.resolved_at:
        csm = csm_of(esc, ctx)
        new = new.model_copy(update={"plan": plan_for(new, csm, cfg),
                                     "recovery": recovery_steps(new, csm, cfg)})
    comment = None
    key = f"{esc.id}:status:{target}"
    if new.status == "Closed" and not new.root_cause and new.closed_at is not None:
        mark, text = _root_cause_request(new, new.closed_at, cfg)
        if not any(e.text.startswith(mark) for e in new.timeline):
            notes.append(mark)
            comment = text
            key = f"{esc.id}:root-cause-request:{new.closed_at:%Y%m%dT%H%M%SZ}"

    if new == esc and not notes:
        if not reasons:
            return None
        return LifecycleDecision(action="ignored", escalation=esc, reasons=tuple(reasons), key=key)
    new = with_notes(new, at, notes)
    return LifecycleDecision(action="status", escalation=new, reasons=tuple(reasons + notes),
                             key=key, comment=comment, resolution_days=days)
