"""The escalation's life after opening (POLICY.md sections 6, 8-11), as pure decisions.

* :mod:`~rules.lifecycle.sla`: the SLA watch - missed deadlines become breaches, acted on once.
* :mod:`~rules.lifecycle.activity`: acknowledgements and updates that stop the clocks.
* :mod:`~rules.lifecycle.status`: the epic's status and fields drive the record.
* :mod:`~rules.lifecycle.accounts`: filing a finished escalation for the ``repeat`` trigger.
* :mod:`~rules.lifecycle.recovery`: the recovery plan and the month-3 health validation.
* :mod:`~rules.lifecycle.learning`: systemic root causes become one action item each.
* :mod:`~rules.lifecycle.report` / :mod:`~rules.lifecycle.render`: the monthly review.

Nothing here reads a clock or a store: time comes in as ``now``/``at``, and every function
returns a new escalation (or state) plus a :class:`LifecycleDecision` with its reasons.
"""

from rules.lifecycle.accounts import closed_ref, file_in_state
from rules.lifecycle.activity import acknowledge, epic_comment, record_update, subtask_transition
from rules.lifecycle.deadlines import RESOLVE_WITHIN, ResolveSla
from rules.lifecycle.decisions import LifecycleDecision
from rules.lifecycle.learning import ActionItem, action_items_to_open, systemic_patterns
from rules.lifecycle.recovery import health_validation, pre_escalation_score, recovery_steps
from rules.lifecycle.render import to_html, to_markdown
from rules.lifecycle.report import Report, monthly_report
from rules.lifecycle.sla import sla_watch
from rules.lifecycle.status import EpicFields, apply_epic_status

__all__ = [
    "RESOLVE_WITHIN", "ActionItem", "EpicFields", "LifecycleDecision", "Report", "ResolveSla",
    "acknowledge", "action_items_to_open", "apply_epic_status", "closed_ref", "epic_comment",
    "file_in_state", "health_validation", "monthly_report", "pre_escalation_score",
    "record_update", "recovery_steps", "sla_watch", "subtask_transition", "systemic_patterns",
    "to_html", "to_markdown",
]
