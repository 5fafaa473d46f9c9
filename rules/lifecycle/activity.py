"""Acknowledgements and updates: the events that stop the SLA clocks (POLICY.md sections 8, 9).

What counts (the issue's definitions, made exact):

* **acknowledgement**: the ``intake`` sub-task leaves its first status (whoever moves it:
  Jira's permissions decide who may, and the move is the act), or the escalation's *owner*
  comments on the epic. Anyone else's comment is not an acknowledgement: the owner is the
  one who must be seen to have taken it (section 5).
* **update**: the owner comments on the epic, or the ``customer_update`` sub-task moves.
  "We're still working on it" counts (section 9): the text is never read.

Events may arrive late or twice. The earliest acknowledgement wins and a second report of it
changes nothing; the last update is the latest one seen. Events after the resolution change
nothing (the clocks have stopped), but a late-arriving event from before it still counts, so
the report's acknowledge compliance reads what really happened.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from rules.communication import epic_reply
from rules.lifecycle.deadlines import acknowledge_due
from rules.lifecycle.decisions import LifecycleDecision, csm_of, same_person, stamp, with_notes
from rules.models import Comment, Escalation
from rules.plans import plan_for
from rules.triggers.base import Context

AckVia = Literal["epic_comment", "intake_transition"]
UpdateVia = Literal["epic_comment", "customer_update_transition"]

_VIA_TEXT = {
    "epic_comment": "a comment on the epic",
    "intake_transition": "the intake sub-task",
    "customer_update_transition": "the customer-update sub-task",
}


def _after_resolution(esc: Escalation, at: datetime) -> bool:
    return esc.resolved_at is not None and at > esc.resolved_at


def acknowledge(
    esc: Escalation, at: datetime, by: str | None, ctx: Context, via: AckVia = "epic_comment"
) -> LifecycleDecision | None:
    """Record the acknowledgement and re-anchor the plan's steps counted from it.

    Returns:
        None when the event does not count (a comment by someone other than the owner, an
        event after the resolution) or changes nothing (an equal or later acknowledgement is
        already recorded). Else an ``acknowledge`` decision: the shell upserts the record and
        the epic's sub-task due dates from ``escalation.plan``.
    """
    if via == "epic_comment" and not same_person(by, esc.owner):
        return None
    if _after_resolution(esc, at):
        return None
    if esc.acknowledged_at is not None and esc.acknowledged_at <= at:
        return None
    cfg = ctx.cfg
    due = acknowledge_due(esc, cfg)
    timing = "on time" if at <= due else f"after the deadline {stamp(due)}"
    note = f"Acknowledged by {by or 'someone'} via {_VIA_TEXT[via]} ({timing})"
    new = esc.model_copy(update={"acknowledged_at": at})
    new = new.model_copy(update={"plan": plan_for(new, csm_of(esc, ctx), cfg)})
    new = with_notes(new, at, [note])
    return LifecycleDecision(action="acknowledge", escalation=new, reasons=(note,),
                             key=f"{esc.id}:acknowledge")


def record_update(
    esc: Escalation, at: datetime, by: str | None, ctx: Context, via: UpdateVia = "epic_comment"
) -> LifecycleDecision | None:
    """Record an update: the update clock restarts from ``at``.

    Returns:
        None when the event does not count (not the owner's comment, after the resolution)
        or is not newer than the last update recorded; else an ``update`` decision whose
        escalation carries the new ``last_update_at`` and a timeline entry.
    """
    if via == "epic_comment" and not same_person(by, esc.owner):
        return None
    if _after_resolution(esc, at):
        return None
    if esc.last_update_at is not None and at <= esc.last_update_at:
        return None
    note = f"Update by {by or 'someone'} via {_VIA_TEXT[via]}"
    new = with_notes(esc.model_copy(update={"last_update_at": at}), at, [note])
    return LifecycleDecision(action="update", escalation=new, reasons=(note,),
                             key=f"{esc.id}:update:{at:%Y%m%dT%H%M%SZ}")


def epic_comment(
    esc: Escalation, at: datetime, author: str | None, ctx: Context, said: Comment | None = None
) -> LifecycleDecision | None:
    """A comment on the epic: from the owner it acknowledges (if not yet) and is an update.

    ``said`` is the comment itself when a person (not the connector) wrote it: a public one
    joins the customer communication log, whoever wrote it (:func:`rules.communication.epic_reply`).
    """
    acked = acknowledge(esc, at, author, ctx, "epic_comment")
    current = acked.escalation if acked else esc
    updated = record_update(current, at, author, ctx, "epic_comment")
    final = updated or acked
    replied = epic_reply(final.escalation if final else esc, said) if said is not None else None
    if final is None:
        if replied is None or said is None:
            return None
        return LifecycleDecision(action="communication", escalation=replied, reasons=(),
                                 key=f"{esc.id}:communication:{said.identity}")
    reasons = (acked.reasons if acked else ()) + (updated.reasons if updated else ())
    return final.model_copy(update={
        "action": "acknowledge" if acked else "update",
        "reasons": reasons,
        "key": f"{esc.id}:comment:{at:%Y%m%dT%H%M%SZ}",
        "escalation": replied or final.escalation,
    })


def subtask_transition(
    esc: Escalation, step: str, at: datetime, by: str | None, ctx: Context
) -> LifecycleDecision | None:
    """A plan sub-task moved: ``intake`` leaving its first status acknowledges;
    ``customer_update`` moving is an update; other steps stop no clock.

    The shell calls this for ``intake`` only when the sub-task leaves the workflow's initial
    status (it knows the workflow), and for ``customer_update`` on any transition.
    """
    if step == "intake":
        return acknowledge(esc, at, by, ctx, "intake_transition")
    if step == "customer_update":
        return record_update(esc, at, by, ctx, "customer_update_transition")
    return None
