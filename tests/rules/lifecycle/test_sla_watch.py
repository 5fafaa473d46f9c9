"""POLICY.md sections 6 and 9: the SLA watch, its clocks, and breaches acted on once."""

from __future__ import annotations

from datetime import UTC, datetime

from rules.lifecycle.deadlines import (
    acknowledge_due,
    next_update_due,
    resolution_due,
    update_deadlines,
)
from rules.lifecycle.sla import missed, sla_watch
from rules.models import Breach, Severity, SeverityChange
from tests.rules.lifecycle.world import DANA, LEE, TIER3, TIER4, at, ctx, esc, opened_by_replay

CTX = ctx()
CFG = CTX.cfg


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- acknowledge ---------------------------------------------------------------------------


def test_unacknowledged_sev2_breaches_at_exactly_one_hour_and_rises_a_tier_owner_unchanged():
    opened, c = opened_by_replay("High")
    assert (opened.severity, opened.tier, opened.owner) == (Severity.SEV2, 2, LEE)
    assert sla_watch(opened, at(minutes=59), c) is None
    decision = sla_watch(opened, at(hours=1), c)
    assert decision is not None and decision.action == "breach"
    new = decision.escalation
    assert new.tier == 3 and new.owner == LEE
    assert new.breaches == (Breach(clock="acknowledge", due=at(hours=1), at=at(hours=1)),)
    assert set(new.stakeholders) == {DANA, *TIER3}
    assert decision.watchers == tuple(sorted(TIER3))
    assert decision.notify == (LEE, *sorted(TIER3))
    text = new.timeline[-1].text  # one entry for the pass: what was missed, the tier, who was added
    assert len(new.timeline) == len(opened.timeline) + 1
    assert text.startswith("SLA breach: acknowledgement due 2026-11-02 10:00Z missed")
    assert "tier 2 -> 3; owner stays lee@vendor.example" in text
    assert "Stakeholders added: eli@vendor.example" in text


def test_the_watch_run_twice_acts_on_a_breach_once():
    first = sla_watch(esc(), at(hours=1), CTX)
    assert first is not None
    assert sla_watch(first.escalation, at(hours=1), CTX) is None
    assert sla_watch(first.escalation, at(hours=1, minutes=30), CTX) is None
    assert first.key == "ESC-A-20261102T090000Z:breach:acknowledge@20261102T100000Z"


def test_acknowledged_on_time_is_no_breach():
    assert sla_watch(esc(acknowledged_at=at(minutes=59)), at(hours=2), CTX) is None


def test_acknowledged_exactly_at_the_deadline_is_on_time():
    assert sla_watch(esc(acknowledged_at=at(hours=1)), at(hours=2), CTX) is None


def test_a_late_acknowledgement_is_a_breach_even_when_no_watch_ran_before_it():
    decision = sla_watch(esc(acknowledged_at=at(minutes=90)), at(hours=2), CTX)
    assert decision is not None
    assert [(b.clock, b.due) for b in decision.breaches] == [("acknowledge", at(hours=1))]
    assert "acknowledged late, 2026-11-02 10:30Z" in decision.reasons[0]


def test_a_severity_raise_shortens_the_acknowledge_deadline():
    raised = esc(Severity.SEV1, severity_history=(
        SeverityChange(at=at(), severity=Severity.SEV3),
        SeverityChange(at=at(hours=1), severity=Severity.SEV1)))
    assert acknowledge_due(raised, CFG) == at(hours=1, minutes=15)


def test_at_tier_4_a_breach_is_recorded_and_the_tier_stays():
    top = esc(tier=4, stakeholders=(DANA, *TIER3, *TIER4))
    decision = sla_watch(top, at(hours=1), CTX)
    assert decision is not None and decision.escalation.tier == 4
    assert decision.watchers == () and decision.notify == (LEE,)
    assert "tier stays 4 (the highest)" in decision.reasons[0]


# --- update --------------------------------------------------------------------------------


def test_sev2_update_clock_on_business_hours_skips_the_weekend():
    friday = utc(2026, 11, 6, 16, 30)
    acked = esc(opened=friday, acknowledged_at=utc(2026, 11, 6, 16, 45))
    # 15 working minutes on Friday, 3 h 45 on Monday
    assert update_deadlines(acked, utc(2026, 11, 9, 17), CFG) == (
        utc(2026, 11, 9, 12, 45), utc(2026, 11, 9, 16, 45))
    no_resolution_clock: dict = {}
    assert sla_watch(acked, utc(2026, 11, 9, 12, 44), CTX, no_resolution_clock) is None
    decision = sla_watch(acked, utc(2026, 11, 9, 12, 45), CTX, no_resolution_clock)
    assert decision is not None
    assert [(b.clock, b.due) for b in decision.breaches] == [("update", utc(2026, 11, 9, 12, 45))]


def test_before_acknowledgement_the_update_clock_counts_from_the_acknowledge_deadline():
    friday = utc(2026, 11, 6, 16, 30)
    silent = esc(opened=friday)
    # acknowledge due Friday 17:30 (wall clock); 4 business hours from then: Monday 13:00
    assert next_update_due(silent, friday, CFG) == utc(2026, 11, 9, 13)
    decision = sla_watch(silent, utc(2026, 11, 9, 13), CTX)
    assert decision is not None
    # the 48 h resolution clock runs on the wall clock, through the weekend
    assert [(b.clock, b.due) for b in decision.breaches] == [
        ("acknowledge", utc(2026, 11, 6, 17, 30)), ("resolution", utc(2026, 11, 8, 16, 30)),
        ("update", utc(2026, 11, 9, 13))]
    assert decision.escalation.tier == 3  # one pass, one raise, every miss in its one entry
    assert len(decision.reasons) == 1 and decision.reasons[0].count("missed") == 2


def test_each_missed_hourly_update_is_its_own_breach():
    sev1 = esc(Severity.SEV1, acknowledged_at=at(minutes=10))
    decision = sla_watch(sev1, at(hours=3, minutes=10), CTX)
    assert decision is not None
    assert [b.due for b in decision.breaches] == [
        at(hours=1, minutes=10), at(hours=2, minutes=10), at(hours=3, minutes=10)]
    assert decision.escalation.tier == 3 and decision.escalation.owner == LEE  # one pass: one raise
    assert decision.reasons[0].count("update due") == 3


def test_an_update_restarts_the_clock():
    sev1 = esc(Severity.SEV1, acknowledged_at=at(minutes=10), last_update_at=at(minutes=50))
    assert sla_watch(sev1, at(hours=1, minutes=49), CTX) is None
    decision = sla_watch(sev1, at(hours=1, minutes=50), CTX)
    assert decision is not None and decision.breaches[0].due == at(hours=1, minutes=50)
    assert "last update 2026-11-02 09:50Z" in decision.reasons[0]


def test_a_severity_raise_brings_the_next_update_forward():
    raised = esc(Severity.SEV2, acknowledged_at=at(), severity_history=(
        SeverityChange(at=at(), severity=Severity.SEV3),
        SeverityChange(at=at(hours=2), severity=Severity.SEV2)))
    # SEV-3's daily update would be due Tuesday 09:00; SEV-2 from 11:00 + 4 business hours
    assert update_deadlines(raised, at(hours=7), CFG) == (at(hours=6), )


# --- resolution (SEV-1/2 not resolved within its SLA -> sponsor within 24 h) -----------------


def test_sev2_unresolved_at_48h_requires_the_sponsor_within_24h_without_raising_the_tier():
    quiet = esc(acknowledged_at=at(minutes=10), last_update_at=at(hours=47))
    assert resolution_due(quiet, CFG) == at(hours=48)
    assert sla_watch(quiet, at(hours=47, minutes=59), CTX) is None
    decision = sla_watch(quiet, at(hours=48), CTX)
    assert decision is not None
    new = decision.escalation
    assert [b.clock for b in decision.breaches] == ["resolution"]
    assert new.tier == 2 and new.exec_sponsor.required and new.exec_sponsor.due == at(hours=72)
    assert "a SEV-2 was not resolved within its SLA" in new.exec_sponsor.reasons
    assert {p.step: p.due for p in new.plan}["sponsor_brief"] == at(hours=72)
    assert sla_watch(new, at(hours=49), CTX) is None


def test_an_earlier_sponsor_due_time_is_kept():
    from rules.models import ExecSponsor
    sponsored = esc(acknowledged_at=at(minutes=10), last_update_at=at(hours=47),
                    exec_sponsor=ExecSponsor(required=True, due=at(), reasons=("ARR",)))
    decision = sla_watch(sponsored, at(hours=48), CTX)
    assert decision is not None and decision.escalation.exec_sponsor.due == at()


def test_sev3_has_no_resolution_clock():
    assert resolution_due(esc(Severity.SEV3), CFG) is None
    clocks = {b.clock for b, _ in missed(esc(Severity.SEV3), at(days=30), CTX)}
    assert clocks == {"acknowledge", "update"}


def test_sev3_raised_to_sev1_starts_its_resolution_clock_at_the_raise():
    raised = esc(Severity.SEV1, severity_history=(
        SeverityChange(at=at(), severity=Severity.SEV3),
        SeverityChange(at=at(days=3), severity=Severity.SEV1)))
    assert resolution_due(raised, CFG) == at(days=4)


# --- what is not watched -----------------------------------------------------------------


def test_resolved_and_closed_escalations_are_not_watched():
    assert sla_watch(esc(status="Resolved", resolved_at=at(minutes=30)), at(days=5), CTX) is None
    assert sla_watch(esc(status="Closed", resolved_at=at(minutes=30), closed_at=at(hours=1)),
                     at(days=5), CTX) is None


def test_an_account_missing_from_the_directory_keeps_its_stakeholders():
    stray = esc(acct="ZZ")
    decision = sla_watch(stray, at(hours=1), CTX)
    assert decision is not None and decision.escalation.stakeholders == (DANA,)
    assert decision.escalation.tier == 3
    assert any("not in the directory" in r for r in decision.reasons)


def test_a_catch_up_after_an_outage_finds_the_same_breaches_and_raises_the_tier_once():
    sev1 = esc(Severity.SEV1)
    step = sev1
    for minute in range(0, 4 * 60 + 1):
        decision = sla_watch(step, at(minutes=minute), CTX)
        if decision:
            step = decision.escalation
    once = sla_watch(sev1, at(hours=4), CTX)
    assert once is not None
    assert [(b.clock, b.due) for b in step.breaches] == [(b.clock, b.due) for b in once.breaches]
    assert step.tier == 4 and once.escalation.tier == 3  # each pass raises at most once
    assert set(once.escalation.stakeholders) <= set(step.stakeholders)


def test_updates_are_owed_until_resolution_then_stop():
    sev1 = esc(Severity.SEV1, acknowledged_at=at(minutes=5))
    assert len(update_deadlines(sev1, at(hours=10, minutes=5), CFG)) == 10
    assert next_update_due(sev1, at(hours=10, minutes=5), CFG) == at(hours=11, minutes=5)


def test_the_resolution_sla_comes_from_the_config():
    from rules.config import parse_config
    from rules.lifecycle.deadlines import RESOLVE_WITHIN, resolve_slas
    from rules.models import Severity

    defaults = resolve_slas(parse_config())
    assert defaults == RESOLVE_WITHIN  # the shipped YAML and the documented default agree
    tuned = resolve_slas(parse_config({"severity": {"sla": {"SEV-2": {"resolve": "3d", "business_hours": ["resolve"]},
                                                            "SEV-3": {"resolve": "7d"}}}}))
    assert tuned[Severity.SEV2].within.days == 3 and tuned[Severity.SEV2].business
    assert tuned[Severity.SEV3].within.days == 7 and Severity.SEV4 not in tuned


# --- found in history: the clocks start when the epic exists -----------------------------


def test_an_escalation_shown_days_after_its_trigger_starts_its_clocks_when_shown():
    from datetime import timedelta

    from rules.lifecycle.visible import became_visible

    old = esc(Severity.SEV2)
    shown = at(days=2)
    decision = became_visible(old, shown, timedelta(minutes=1), CTX)
    assert decision is not None
    new = decision.escalation
    assert new.shown_at == shown and new.clocks_from == shown
    assert new.timeline[-1].text.startswith(
        "found in history: opened 2026-11-02 09:00Z, first shown 2026-11-04 09:00Z")
    assert sla_watch(new, shown, CTX) is None
    assert sla_watch(new, shown + timedelta(minutes=59), CTX) is None
    breach = sla_watch(new, shown + timedelta(minutes=60), CTX)
    assert breach is not None
    assert [(b.clock, b.due) for b in breach.breaches] == [("acknowledge", shown + timedelta(hours=1))]
    assert breach.escalation.tier == 3
    assert became_visible(new, shown + timedelta(hours=1), timedelta(minutes=1), CTX) is None


def test_an_epic_shown_within_a_poll_interval_keeps_the_exact_minute_boundaries():
    from datetime import timedelta

    from rules.lifecycle.visible import became_visible

    decision = became_visible(esc(), at() + timedelta(seconds=50), timedelta(minutes=1), CTX)
    assert decision is not None and decision.escalation.clocks_from is None
    assert decision.escalation.timeline == ()
    assert sla_watch(decision.escalation, at(minutes=59), CTX) is None
    assert sla_watch(decision.escalation, at(hours=1), CTX) is not None


def test_a_deadline_before_the_epic_existed_is_never_a_breach():
    from datetime import timedelta

    # shown 2 minutes late with a 5-minute poll: the clocks keep the trigger time, but the
    # SEV-1 acknowledge deadline at 15 minutes is the first one that can be missed
    early = esc(Severity.SEV1, shown_at=at(minutes=20))
    decision = sla_watch(early, at(minutes=20), CTX)
    assert decision is None
    later = sla_watch(early, at(hours=1, minutes=15), CTX)
    assert later is not None and all(b.due >= at(minutes=20) for b in later.breaches)
    assert timedelta(0) < later.breaches[0].due - at(minutes=20)


def test_found_in_history_business_hours_clock_counts_from_the_shown_moment():
    from datetime import timedelta

    from rules.lifecycle.visible import became_visible

    friday = utc(2026, 11, 6, 16, 30)
    sev2 = esc(Severity.SEV2, opened=friday - timedelta(days=3))
    new = became_visible(sev2, friday, timedelta(minutes=1), CTX)
    assert new is not None
    # acknowledge 1 h after being shown (wall clock); the first update 4 business hours later
    assert acknowledge_due(new.escalation, CFG) == utc(2026, 11, 6, 17, 30)
    assert next_update_due(new.escalation, friday, CFG) == utc(2026, 11, 9, 13)
