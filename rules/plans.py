"""The resolution plan (POLICY.md section 8): steps, their owners and due times.

Due times follow from the escalation's own history, so the plan can be recomputed at any
moment and gives the same answer: a severity raised later shortens a deadline (the earliest
of the deadlines each severity implies wins), an acknowledgement re-anchors the steps counted
from it, and until it happens they count from the acknowledge deadline.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from rules.calendar import deadline
from rules.config import RulesConfig
from rules.copying import assemble
from rules.models import Escalation, PlanStep, SeverityChange, clocked

Clock = Literal["acknowledge", "action_plan", "update"]


def sla_deadline(esc: Escalation, clock: Clock, cfg: RulesConfig) -> datetime:
    """The earliest deadline of ``clock`` implied by any severity the escalation has had.

    Counted from when the escalation became visible when it was found in history
    (:func:`rules.models.clocked`).
    """
    esc = clocked(esc)
    history = esc.severity_history or (SeverityChange(at=esc.opened, severity=esc.severity),)
    out = []
    for change in history:
        sla = cfg.severity.sla_for(change.severity)
        out.append(deadline(change.at, getattr(sla, clock), clock in sla.business_hours,
                            cfg.calendar))
    return min(out)


def plan_for(esc: Escalation, csm: str | None, cfg: RulesConfig) -> tuple[PlanStep, ...]:
    plan = cfg.plan
    intake_due = sla_deadline(esc, "acknowledge", cfg)
    ack = esc.acknowledged_at or intake_due
    closure_due = (esc.resolved_at + plan.closure_after_resolution) if esc.resolved_at else None
    dues: list[tuple[str, datetime | None]] = [
        ("intake", intake_due),
        ("investigation", ack + plan.investigation_after_ack),
        ("solution_design", sla_deadline(esc, "action_plan", cfg)),
        ("customer_update", ack + plan.customer_update_after_ack),
        ("closure", closure_due),
        ("follow_up", (closure_due + plan.follow_up_after_closure) if closure_due else None),
    ]
    if esc.exec_sponsor.required:
        dues.append(("sponsor_brief", esc.exec_sponsor.due))
    owners = {"owner": esc.owner, "csm": csm.lower() if csm else None}
    # every value already of its field's type (the due times are UTC: the escalation's own, or made from them
    # by ``rules.calendar``), so the steps are assembled, not validated: a plan is made at every update
    return tuple(
        assemble(PlanStep, {"step": step, "owner": owners[plan.step_owners.get(step, "owner")], "due": due})
        for step, due in dues
    )
