"""Acknowledgements and updates: who counts, what they re-anchor, and events seen twice."""

from __future__ import annotations

from rules.lifecycle.activity import acknowledge, epic_comment, record_update, subtask_transition
from rules.lifecycle.sla import sla_watch
from tests.rules.lifecycle.world import DANA, LEE, at, ctx, esc, opened_by_replay

CTX = ctx()


def dues(e):
    return {p.step: p.due for p in e.plan}


def test_the_owner_commenting_on_the_epic_acknowledges_and_reanchors_the_plan():
    opened, c = opened_by_replay("High")
    assert dues(opened)["investigation"] == at(hours=5)  # from the acknowledge deadline
    decision = epic_comment(opened, at(minutes=20), "LEE@vendor.example", c)
    assert decision is not None and decision.action == "acknowledge"
    new = decision.escalation
    assert new.acknowledged_at == at(minutes=20) and new.last_update_at == at(minutes=20)
    assert dues(new)["investigation"] == at(hours=4, minutes=20)
    assert dues(new)["customer_update"] == at(hours=8, minutes=20)
    assert dues(new)["intake"] == at(hours=1)  # the deadline itself does not move
    assert new.timeline[-2].text.startswith("Acknowledged by LEE@vendor.example via a comment")
    assert "(on time)" in new.timeline[-2].text


def test_a_comment_by_someone_else_is_neither_acknowledgement_nor_update():
    assert epic_comment(esc(), at(minutes=5), DANA, CTX) is None
    assert acknowledge(esc(), at(minutes=5), DANA, CTX) is None
    assert record_update(esc(), at(minutes=5), None, CTX) is None


def test_the_intake_subtask_leaving_its_first_status_acknowledges_whoever_moves_it():
    decision = subtask_transition(esc(), "intake", at(minutes=30), DANA, CTX)
    assert decision is not None and decision.escalation.acknowledged_at == at(minutes=30)
    assert decision.escalation.last_update_at is None
    assert "via the intake sub-task" in decision.reasons[0]


def test_a_late_acknowledgement_says_so():
    decision = acknowledge(esc(), at(hours=2), LEE, CTX)
    assert decision is not None and "after the deadline 2026-11-02 10:00Z" in decision.reasons[0]


def test_an_acknowledgement_seen_again_changes_nothing_and_the_earliest_wins():
    first = acknowledge(esc(), at(minutes=30), LEE, CTX)
    assert first is not None
    acked = first.escalation
    assert acknowledge(acked, at(minutes=30), LEE, CTX) is None
    assert acknowledge(acked, at(minutes=40), LEE, CTX) is None
    earlier = acknowledge(acked, at(minutes=10), LEE, CTX, via="intake_transition")
    assert earlier is not None and earlier.escalation.acknowledged_at == at(minutes=10)


def test_the_customer_update_subtask_moving_is_an_update():
    decision = subtask_transition(esc(), "customer_update", at(hours=3), DANA, CTX)
    assert decision is not None and decision.action == "update"
    assert decision.escalation.last_update_at == at(hours=3)


def test_other_subtasks_stop_no_clock():
    assert subtask_transition(esc(), "investigation", at(hours=3), LEE, CTX) is None


def test_an_older_update_never_moves_the_clock_back():
    updated = esc(last_update_at=at(hours=3))
    assert record_update(updated, at(hours=2), LEE, CTX) is None
    assert record_update(updated, at(hours=3), LEE, CTX) is None
    later = record_update(updated, at(hours=4), LEE, CTX)
    assert later is not None and later.escalation.last_update_at == at(hours=4)


def test_events_after_the_resolution_change_nothing_but_earlier_ones_still_count():
    resolved = esc(status="Resolved", resolved_at=at(hours=5))
    assert acknowledge(resolved, at(hours=6), LEE, CTX) is None
    assert record_update(resolved, at(hours=6), LEE, CTX) is None
    late_news = acknowledge(resolved, at(minutes=50), LEE, CTX)
    assert late_news is not None and late_news.escalation.acknowledged_at == at(minutes=50)


def test_a_later_owner_comment_is_an_update_only():
    acked = esc(acknowledged_at=at(minutes=10))
    decision = epic_comment(acked, at(hours=2), LEE, CTX)
    assert decision is not None and decision.action == "update"
    assert decision.escalation.acknowledged_at == at(minutes=10)
    assert decision.key == "ESC-A-20261102T090000Z:comment:20261102T110000Z"


def test_acknowledging_on_time_prevents_the_breach_the_watch_would_find():
    opened, c = opened_by_replay("High")
    decision = epic_comment(opened, at(minutes=59), LEE, c)
    assert decision is not None
    assert sla_watch(decision.escalation, at(hours=1), c) is None
