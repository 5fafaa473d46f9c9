"""POLICY.md section 10: the month-3 health validation, done once, against the score before."""

from __future__ import annotations

from rules.lifecycle.recovery import health_validation, pre_escalation_score, recovery_steps
from tests.rules.builders import health
from tests.rules.lifecycle.world import DANA, LEE, at, ctx, esc

CFG = ctx().cfg


def resolved(**kw):
    e = esc(status="Resolved", resolved_at=at(days=10), **kw)
    return e.model_copy(update={"recovery": recovery_steps(e, DANA, CFG)})


DUE = at(days=100)  # resolution + 90 days


def test_the_pre_escalation_score_is_the_last_sample_at_or_before_the_opening():
    samples = health((at(days=-9), 80), (at(), 74), (at(minutes=1), 20))
    assert pre_escalation_score(at(), samples) == 74
    assert pre_escalation_score(at(minutes=-1), samples) == 80
    assert pre_escalation_score(at(days=-10), samples) is None


def test_nothing_happens_before_month_3():
    assert health_validation(resolved(), 70, 90, at(days=99, hours=23)) is None


def test_a_stable_or_improving_score_is_reported_so():
    decision = health_validation(resolved(), 70, 70, DUE)
    assert decision is not None and decision.action == "health_validation"
    assert decision.comment == ("Month-3 health validation: the health score is stable or "
                                "improving (70 before the escalation, 70 now).")
    assert decision.notify == ()
    assert decision.escalation.timeline[-1].text == decision.comment


def test_a_decline_names_the_points_and_tells_the_step_holder():
    decision = health_validation(resolved(), 72, 59.5, DUE)
    assert decision is not None and decision.comment is not None
    assert "declined by 12.5 points (72 before the escalation, 59.5 now)" in decision.comment
    assert decision.notify == (DANA,)


def test_the_validation_is_done_once():
    first = health_validation(resolved(), 70, 80, DUE)
    assert first is not None
    assert health_validation(first.escalation, 70, 60, at(days=101)) is None


def test_without_a_pre_escalation_score_it_asks_for_a_review_by_hand():
    decision = health_validation(resolved(), None, 60, DUE)
    assert decision is not None and "no health score before the escalation" in str(decision.comment)


def test_unresolved_or_reopened_escalations_are_not_validated():
    assert health_validation(esc(), 70, 80, DUE) is None
    reopened = resolved().model_copy(update={"status": "In Progress", "resolved_at": None,
                                             "recovery": ()})
    assert health_validation(reopened, 70, 80, DUE) is None


def test_recovery_steps_can_be_given_to_the_owner_by_config():
    from tests.rules.builders import config
    cfg = config(plan={"step_owners": {"month6_recovery_check": "owner"}})
    steps = {s.step: s.owner for s in recovery_steps(resolved(), DANA, cfg)}
    assert steps["month6_recovery_check"] == LEE and steps["week1_stabilise"] == DANA
