"""After resolution: the recovery plan and its month-3 health validation (POLICY.md section 10).

The recovery steps are sub-tasks due relative to the resolution (``cfg.recovery``). Their
holder is the account's CSM by default: week-1 calls, doubled check-ins, the mini-QBR and the
month-6 check are relationship work the CSM does in any case, and the escalation owner (often
a manager or director) has moved on by month 2. ``plan.step_owners`` may name a recovery step
to give it to the owner instead; with no CSM on the account the owner holds it.

At month 3 the connector checks the health score itself: the score now against the score
before the escalation (the last sample at or before the opening). The check is done once:
its timeline entry (:data:`HEALTH_MARK`) is the memory of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from rules.config import RulesConfig
from rules.lifecycle.decisions import LifecycleDecision, stamp, with_notes
from rules.models import Escalation, HealthSample, PlanStep

VALIDATION_STEP = "month3_validation"
"""The recovery step whose due time starts the health validation."""

HEALTH_MARK = "Month-3 health validation"
"""Prefix of the timeline entry that records the validation was done."""


def recovery_steps(esc: Escalation, csm: str | None, cfg: RulesConfig) -> tuple[PlanStep, ...]:
    """The recovery plan of a resolved escalation (empty while unresolved)."""
    if esc.resolved_at is None:
        return ()
    owners = {"owner": esc.owner, "csm": csm.lower() if csm else esc.owner}
    return tuple(
        PlanStep(step=s.step, owner=owners[cfg.plan.step_owners.get(s.step, "csm")],
                 due=esc.resolved_at + s.after)
        for s in cfg.recovery
    )


def pre_escalation_score(opened: datetime, samples: Iterable[HealthSample]) -> float | None:
    """The last health score at or before the opening, or None when none was sampled then.

    The account state forgets samples after ``state.horizon`` (30 days), so at month 3 the
    shell reads them from Salesforce field history (``AccountHistory``), not from the state.
    """
    before = [s for s in samples if s.at <= opened]
    return max(before, key=lambda s: s.at).score if before else None


def _points(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def validation_text(pre_score: float | None, current_score: float | None) -> tuple[str, bool]:
    """The comment's text, and whether the score declined."""
    if pre_score is None or current_score is None:
        missing = "before the escalation" if pre_score is None else "now"
        return (f"{HEALTH_MARK}: no health score {missing}, so the recovery cannot be checked "
                f"against it; please review the account by hand.", False)
    delta = current_score - pre_score
    scores = f"{_points(pre_score)} before the escalation, {_points(current_score)} now"
    if delta >= 0:
        return f"{HEALTH_MARK}: the health score is stable or improving ({scores}).", False
    return (f"{HEALTH_MARK}: the health score declined by {_points(-delta)} points ({scores}). "
            f"The recovery is not yet complete: please review the plan with the customer.", True)


def health_validation(
    esc: Escalation,
    pre_score: float | None,
    current_score: float | None,
    at: datetime,
    step: str = VALIDATION_STEP,
) -> LifecycleDecision | None:
    """Compare the health score with its pre-escalation value once the validation step is due.

    Args:
        esc: the escalation (resolved, with its recovery plan).
        pre_score: the score before the escalation (:func:`pre_escalation_score`).
        current_score: the account's score at ``at``.
        at: the time of the check.
        step: the recovery step that carries the validation's due time.

    Returns:
        None before the step is due, without a recovery plan, or when already done; else a
        ``health_validation`` decision: the shell posts ``comment`` on the epic, notifies
        ``notify`` (the step's holder, only when the score declined) and stores the
        escalation (its timeline records the check).
    """
    due = next((s for s in esc.recovery if s.step == step), None)
    if esc.resolved_at is None or due is None or due.due is None or at < due.due:
        return None
    if any(e.text.startswith(HEALTH_MARK) for e in esc.timeline):
        return None
    text, declined = validation_text(pre_score, current_score)
    new = with_notes(esc, at, [text])
    notify = (due.owner,) if declined and due.owner else ()
    reason = f"{step} due {stamp(due.due)}: {text}"
    return LifecycleDecision(action="health_validation", escalation=new, reasons=(reason,),
                             key=f"{esc.id}:health-validation", comment=text, notify=notify)
