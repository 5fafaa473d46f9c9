"""People on the epic (issue 12, item 4): reassignment, priority, dismissal, as pure decisions."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from rules.escalation import escalate
from rules.lifecycle.accounts import file_in_state
from rules.lifecycle.deadlines import acknowledge_due
from rules.lifecycle.people import (
    dismiss,
    dismissal_fields,
    is_dismissal,
    moved_steps,
    priority_set,
    reassigned,
    severity_of_priority,
)
from rules.lifecycle.sla import sla_watch
from rules.models import PlanStep, Severity, Trigger
from rules.state import AccountState
from tests.rules.lifecycle.world import DANA, LEE, at, ctx, esc, opened_by_replay

CTX = ctx()
KAI = "kai@vendor.example"


def test_reassigned_moves_the_owner_and_the_old_owners_plan_steps_only():
    plan = (PlanStep(step="intake", owner=LEE, due=at(hours=1)), PlanStep(step="follow_up", owner=DANA, due=None))
    e = esc(plan=plan)
    decision = reassigned(e, "KAI@vendor.example", "rosa@vendor.example", at(hours=2), CTX)
    assert decision is not None and decision.action == "reassign"
    new = decision.escalation
    assert new.owner == KAI and {p.step: p.owner for p in new.plan} == {"intake": KAI, "follow_up": DANA}
    assert [p.step for p in moved_steps(e, new)] == ["intake"]
    assert new.timeline[-1].text == f"Owner {LEE} -> {KAI} (reassigned on the epic by rosa@vendor.example)"
    assert KAI not in new.stakeholders
    assert reassigned(new, KAI, "rosa@vendor.example", at(hours=3), CTX) is None  # followed once


def test_a_priority_set_by_a_person_moves_the_severity_and_its_deadlines_from_then():
    e = esc(Severity.SEV2)
    decision = priority_set(e, Severity.SEV1, "rosa@vendor.example", at(hours=2), CTX)
    assert decision is not None
    new = decision.escalation
    assert new.severity == Severity.SEV1 and new.severity_set_at == at(hours=2)
    assert new.severity_history[-1].at == at(hours=2)
    assert priority_set(new, Severity.SEV1, None, at(hours=3), CTX) is None
    assert acknowledge_due(new, CTX.cfg) == at(hours=1)  # the earlier deadline of a raise stands


def test_a_priority_lowered_by_a_person_relaxes_the_deadlines_to_the_new_severity():
    e = esc(Severity.SEV2)
    assert acknowledge_due(e, CTX.cfg) == at(hours=1)
    lowered = priority_set(e, Severity.SEV4, "rosa@vendor.example", at(minutes=30), CTX)
    assert lowered is not None
    assert acknowledge_due(lowered.escalation, CTX.cfg) == at(hours=24)
    assert sla_watch(lowered.escalation, at(hours=2), CTX) is None
    assert severity_of_priority("Highest") == Severity.SEV1 and severity_of_priority("Nonsense") is None


def test_the_engine_does_not_raise_a_person_set_severity_on_old_evidence_only_on_new():
    opened, c = opened_by_replay("High")
    lowered = priority_set(opened, Severity.SEV4, "rosa@vendor.example", at(hours=1), c)
    assert lowered is not None
    state = AccountState(account=opened.account, escalation=lowered.escalation)
    old = escalate(state, [], at(hours=2), c, {})
    assert old is None or old.escalation.severity == Severity.SEV4
    fresh = Trigger(id="k2", kind="keyword", account=opened.account, at=at(hours=3), words=("breach",),
                    reason="data breach")
    raised = escalate(state, [fresh], at(hours=3), c, {})
    assert raised is not None and raised.escalation.severity < Severity.SEV4
    assert any("new evidence since the severity was set on the epic" in r for r in raised.reasons)


def test_a_dismissal_is_not_a_resolution_and_not_filed_for_repeat():
    e = esc(triggers=(Trigger(id="t1", kind="keyword", account="A", at=at()),
                      Trigger(id="t2", kind="ticket_burst", account="A", at=at())))
    decision = dismiss(e, "rosa@vendor.example", at(hours=1), "resolution 'Won't Do'", CTX)
    assert decision is not None
    new = decision.escalation
    assert new.status == "Dismissed" and not new.is_open and new.resolved_at is None
    assert dismissal_fields(new) == {"Dismissed_Trigger_Kinds__c": "keyword;ticket_burst"}
    assert dismissal_fields(e) == {"Dismissed_Trigger_Kinds__c": None}
    state = file_in_state(AccountState(account="A", escalation=e), new)
    assert state.escalation is None and state.closed == ()
    assert dismiss(new, None, at(hours=2), "again", CTX) is None


@given(st.sampled_from(["Won't Do", "won't do", "Done", None]), st.lists(st.sampled_from(
    ["escalation-sync", "not-an-escalation", "NOT-AN-ESCALATION", "x"]), max_size=3))
def test_is_dismissal_matches_the_configured_resolution_or_label_ignoring_case(resolution, labels):
    got = is_dismissal(resolution, labels, resolutions=["Won't Do"], dismiss_labels=["not-an-escalation"])
    assert got == ((resolution or "").lower() == "won't do" or any(x.lower() == "not-an-escalation" for x in labels))


def test_the_timeline_names_who_even_when_jira_hides_the_email():
    decision = reassigned(esc(), "5b10ac8d82e05b22cc7d4ef5", "5b10a2844c20165700ede21g", at(hours=1), CTX)
    assert decision is not None and "by 5b10a2844c20165700ede21g" in decision.escalation.timeline[-1].text
