"""Invariants of the SLA watch over generated escalations (hypothesis).

* the tier never decreases, never exceeds 4, and the owner never changes;
* the watch is idempotent for a fixed ``now``: a second run finds nothing;
* it is monotone in ``now`` and independent of how often it runs: watching at t1 then t2
  acts on the same missed deadlines as watching at t2 (the tier may differ: each pass that
  finds a miss raises it once, so two passes can raise it twice, one pass only once);
* no sequence of watch passes raises the tier more than once per pass, or for a deadline
  that fell before the escalation became visible (its epic created).
"""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from rules.lifecycle.sla import sla_watch
from rules.lifecycle.visible import became_visible
from rules.models import Escalation, Severity, SeverityChange
from tests.rules.builders import T0
from tests.rules.lifecycle.world import DANA, LEE, ctx, esc

CTX = ctx()
minutes = st.integers(min_value=0, max_value=6 * 24 * 60)


@st.composite
def escalations(draw) -> Escalation:
    opened = T0 + timedelta(minutes=draw(st.integers(0, 7 * 24 * 60)))
    first = draw(st.sampled_from(list(Severity)))
    history = [SeverityChange(at=opened, severity=first)]
    if first > Severity.SEV1 and draw(st.booleans()):
        raised_at = opened + timedelta(minutes=draw(minutes))
        history.append(SeverityChange(at=raised_at, severity=Severity(first - 1)))
    ack = draw(st.one_of(st.none(), minutes))
    update = draw(st.one_of(st.none(), minutes))
    return esc(
        history[-1].severity, opened, tier=draw(st.integers(1, 4)),
        owner=draw(st.sampled_from([LEE, None])), stakeholders=(DANA,),
        severity_history=tuple(history),
        acknowledged_at=None if ack is None else opened + timedelta(minutes=ack),
        last_update_at=None if update is None else opened + timedelta(minutes=update),
    )


def watched(e: Escalation, now) -> Escalation:
    decision = sla_watch(e, now, CTX)
    return decision.escalation if decision else e


def acted(e: Escalation) -> list[tuple[str, object]]:
    return sorted((b.clock, b.due) for b in e.breaches)


@given(escalations(), minutes)
def test_the_tier_never_decreases_and_the_owner_never_changes(e, offset):
    after = watched(e, e.opened + timedelta(minutes=offset))
    assert e.tier <= after.tier <= 4
    assert after.owner == e.owner
    assert set(e.stakeholders) <= set(after.stakeholders)
    assert (after.owner or "").lower() not in after.stakeholders


@given(escalations(), minutes)
def test_the_watch_is_idempotent_for_a_fixed_now(e, offset):
    now = e.opened + timedelta(minutes=offset)
    assert sla_watch(watched(e, now), now, CTX) is None


@given(escalations(), minutes, minutes)
def test_the_watch_is_monotone_in_now_and_independent_of_how_often_it_runs(e, a, b):
    t1, t2 = sorted((e.opened + timedelta(minutes=a), e.opened + timedelta(minutes=b)))
    stepwise = watched(watched(e, t1), t2)
    direct = watched(e, t2)
    assert set(acted(watched(e, t1))) <= set(acted(direct))
    assert acted(stepwise) == acted(direct)
    assert direct.tier <= stepwise.tier <= min(4, e.tier + 2)
    assert direct.tier <= min(4, e.tier + 1)
    assert set(direct.stakeholders) <= set(stepwise.stakeholders)
    assert stepwise.exec_sponsor == direct.exec_sponsor


@given(escalations(), minutes)
def test_every_breach_is_due_no_later_than_the_watch_that_found_it(e, offset):
    now = e.opened + timedelta(minutes=offset)
    for breach in watched(e, now).breaches:
        assert breach.due <= breach.at == now


@st.composite
def shown_escalations(draw) -> Escalation:
    """An escalation whose epic appeared some time after its trigger (history or latency)."""
    e = draw(escalations())
    late = timedelta(minutes=draw(st.integers(0, 5 * 24 * 60)))
    poll = timedelta(minutes=draw(st.sampled_from([1, 5, 60])))
    decision = became_visible(e, e.opened + late, poll, CTX)
    assert decision is not None
    return decision.escalation


@given(shown_escalations(), st.lists(st.integers(0, 3 * 24 * 60), min_size=1, max_size=8))
def test_no_sequence_of_passes_raises_a_tier_twice_in_a_pass_or_for_a_deadline_before_the_epic(e, steps):
    now = e.shown_at
    current = e
    for step in sorted(steps):
        now = e.shown_at + timedelta(minutes=step)
        decision = sla_watch(current, now, CTX)
        after = decision.escalation if decision else current
        assert after.tier - current.tier <= 1
        new = after.breaches[len(current.breaches):]
        assert all(b.due >= e.shown_at for b in new)
        if after.tier > current.tier:
            assert any(b.clock != "resolution" for b in new)
            assert len(after.timeline) - len(current.timeline) == 1
        current = after
    assert all(b.due >= e.shown_at for b in current.breaches)
