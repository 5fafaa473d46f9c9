"""Two-way status: the epic drives the record; resolution, recovery, closure and root cause."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rules.lifecycle.measures import business_days
from rules.lifecycle.status import (
    EpicFields,
    apply_epic_status,
    normalise_root_cause,
    record_status,
)
from tests.rules.builders import config
from tests.rules.lifecycle.world import DANA, LEE, at, ctx, esc, opened_by_replay

CTX = ctx()
CFG = CTX.cfg
NONE = EpicFields()
BUG = EpicFields(root_cause="Product bug", concession_given=False, resolution_summary="Fixed sync")


def test_an_epic_moved_to_done_resolves_the_record_with_root_cause_and_recovery_plan():
    opened, c = opened_by_replay("High")
    decision = apply_epic_status(opened, "Done", at(days=2, hours=4), BUG, c)
    assert decision is not None and decision.action == "status"
    new = decision.escalation
    assert new.status == "Resolved" and new.resolved_at == at(days=2, hours=4)
    assert new.closed_at is None
    assert new.root_cause == "product_bug" and new.concession_given is False
    assert new.resolution_summary == "Fixed sync"
    plan = {p.step: p.due for p in new.plan}
    assert plan["closure"] == at(days=3, hours=4) and plan["follow_up"] == at(days=10, hours=4)
    assert [(s.step, s.owner, s.due) for s in new.recovery] == [
        ("week1_stabilise", DANA, at(days=9, hours=4)),
        ("weeks2_4_check_ins", DANA, at(days=30, hours=4)),
        ("month2_mini_qbr", DANA, at(days=62, hours=4)),
        ("month3_validation", DANA, at(days=92, hours=4)),
        ("month6_recovery_check", DANA, at(days=182, hours=4)),
    ]
    # Monday 09:00 to Wednesday 13:00: 8 h + 8 h + 4 h = 20 working hours = 2.5 days
    assert decision.resolution_days == 2.5
    assert "Status Open -> Resolved (epic 'Done')" in decision.reasons
    assert decision.comment is None


def test_resolution_time_in_business_days_skips_the_weekend():
    friday_4pm = datetime(2026, 11, 6, 16, tzinfo=UTC)
    monday_1pm = datetime(2026, 11, 9, 13, tzinfo=UTC)
    assert business_days(friday_4pm, monday_1pm, CFG.calendar) == 0.625


def test_the_same_status_seen_again_changes_nothing():
    first = apply_epic_status(esc(), "Done", at(days=1), BUG, CTX)
    assert first is not None
    assert apply_epic_status(first.escalation, "Done", at(days=1, hours=1), BUG, CTX) is None


def test_closing_without_a_root_cause_asks_for_one_once():
    first = apply_epic_status(esc(), "Closed", at(days=3), NONE, CTX)
    assert first is not None and first.comment is not None
    assert first.comment.startswith("lee@vendor.example: this escalation was closed without a root")
    assert "product bug, knowledge base gap" in first.comment
    assert first.key == "ESC-A-20261102T090000Z:root-cause-request:20261105T090000Z"
    assert apply_epic_status(first.escalation, "Closed", at(days=3, hours=1), NONE, CTX) is None


def test_a_root_cause_set_after_the_request_is_recorded_without_asking_again():
    asked = apply_epic_status(esc(), "Closed", at(days=3), NONE, CTX)
    assert asked is not None
    later = apply_epic_status(asked.escalation, "Closed", at(days=4),
                              EpicFields(root_cause="routing failure"), CTX)
    assert later is not None and later.comment is None
    assert later.escalation.root_cause == "routing_failure"


def test_closing_with_a_root_cause_asks_nothing():
    decision = apply_epic_status(esc(), "Closed", at(days=3), BUG, CTX)
    assert decision is not None and decision.comment is None


def test_closing_straight_from_in_progress_resolves_at_the_same_moment():
    decision = apply_epic_status(esc(status="In Progress"), "Closed", at(days=3), BUG, CTX)
    assert decision is not None
    new = decision.escalation
    assert new.status == "Closed" and new.resolved_at == new.closed_at == at(days=3)
    assert len(new.recovery) == 5 and decision.resolution_days == 3.0


def test_closing_a_resolved_escalation_keeps_its_resolution_time():
    resolved = apply_epic_status(esc(), "Done", at(days=2), BUG, CTX)
    assert resolved is not None
    closed = apply_epic_status(resolved.escalation, "Closed", at(days=5), BUG, CTX)
    assert closed is not None
    assert closed.escalation.resolved_at == at(days=2) and closed.escalation.closed_at == at(days=5)
    assert closed.escalation.recovery == resolved.escalation.recovery
    assert closed.resolution_days is None


def test_reopening_clears_resolution_closure_and_recovery_and_asks_again_at_the_next_closure():
    closed = apply_epic_status(esc(), "Closed", at(days=3), NONE, CTX)
    assert closed is not None
    reopened = apply_epic_status(closed.escalation, "In Progress", at(days=4), NONE, CTX)
    assert reopened is not None
    new = reopened.escalation
    assert new.status == "In Progress" and new.resolved_at is None and new.closed_at is None
    assert new.recovery == () and {p.step: p.due for p in new.plan}["closure"] is None
    assert "Reopened: resolution, closure and recovery plan cleared" in reopened.reasons
    again = apply_epic_status(new, "Closed", at(days=6), NONE, CTX)
    assert again is not None and again.comment is not None


def test_an_unknown_epic_status_leaves_the_record_status_with_a_reason():
    decision = apply_epic_status(esc(status="In Progress"), "Blocked", at(days=1), NONE, CTX)
    assert decision is not None and decision.action == "ignored"
    assert decision.escalation == esc(status="In Progress")
    assert "'Blocked' maps to no record status" in decision.reasons[0]


def test_an_unknown_status_still_reads_the_fields():
    decision = apply_epic_status(esc(), "Blocked", at(days=1), BUG, CTX)
    assert decision is not None and decision.action == "status"
    assert decision.escalation.status == "Open" and decision.escalation.root_cause == "product_bug"


def test_a_field_the_epic_does_not_carry_never_clears_the_record():
    known = esc(root_cause="product_bug", concession_given=True)
    assert apply_epic_status(known, "Open", at(days=1), NONE, CTX) is None


def test_status_names_match_ignoring_case_and_the_map_is_configurable():
    assert record_status("done", CFG) == "Resolved"
    assert record_status("  IN PROGRESS ", CFG) == "In Progress"
    cfg = config(status={"epic_to_record": {"Shipped": "Resolved"}})
    assert record_status("Shipped", cfg) == "Resolved" and record_status("Done", cfg) == "Resolved"
    decision = apply_epic_status(esc(), "Shipped", at(days=1), NONE, ctx(cfg))
    assert decision is not None and decision.escalation.status == "Resolved"


@pytest.mark.parametrize("raw,expected", [
    ("Product bug", "product_bug"), ("knowledge-base gap", "knowledge_base_gap"),
    (" SLA Breach ", "sla_breach"), ("policy_inflexibility", "policy_inflexibility"),
])
def test_root_causes_are_read_in_the_configs_spelling(raw, expected):
    assert normalise_root_cause(raw) == expected


def test_an_unconfigured_root_cause_is_kept_and_flagged():
    decision = apply_epic_status(esc(), "Open", at(days=1), EpicFields(root_cause="Gremlins"), CTX)
    assert decision is not None and decision.escalation.root_cause == "gremlins"
    assert "Root cause: gremlins (not a configured root cause)" in decision.reasons


def test_recovery_steps_fall_to_the_owner_when_the_account_has_no_csm():
    from tests.rules.builders import account
    orphan = ctx(accounts=[account("A").model_copy(update={"owner": None})])
    decision = apply_epic_status(esc(), "Done", at(days=1), NONE, orphan)
    assert decision is not None and {s.owner for s in decision.escalation.recovery} == {LEE}
