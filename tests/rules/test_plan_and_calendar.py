"""POLICY.md sections 8 (plan) and 9 (business-hours calendar)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rules.calendar import add_business_time, business_time_between
from rules.config import parse_config
from rules.models import Severity
from rules.plans import plan_for
from tests.rules.builders import account, at, config, only, replay, ticket

UTC = UTC


def plan_of(priority, **kw):
    esc = only(replay([account(**kw)], [ticket("T-1", at(), "cancel", priority=priority)]))
    return esc, {p.step: p.due for p in esc.plan}


@pytest.mark.parametrize("priority,ack,action", [
    ("Highest", timedelta(minutes=15), timedelta(hours=1)),
    ("High", timedelta(hours=1), timedelta(hours=4)),
    ("Medium", timedelta(hours=4), timedelta(hours=24)),
])
def test_plan_due_times_follow_the_severity(priority, ack, action):
    _, due = plan_of(priority)
    assert due["intake"] == at() + ack
    assert due["investigation"] == at() + ack + timedelta(hours=4)
    assert due["solution_design"] == at() + action
    assert due["customer_update"] == at() + ack + timedelta(hours=8)
    assert due["closure"] is None and due["follow_up"] is None


def test_sev4_plan_uses_24h_acknowledge_and_a_week_for_the_plan():
    esc, _ = plan_of("Low")
    sev4 = esc.model_copy(update={"severity": Severity.SEV4, "severity_history": ()})
    due = {p.step: p.due for p in plan_for(sev4, "dana@vendor.example", config())}
    assert due["intake"] == at(hours=24) and due["solution_design"] == at(days=7)


def test_acknowledgement_reanchors_investigation_and_update():
    esc, _ = plan_of("Medium")
    acked = esc.model_copy(update={"acknowledged_at": at(hours=1)})
    due = {p.step: p.due for p in plan_for(acked, "dana@vendor.example", config())}
    assert due["investigation"] == at(hours=5) and due["customer_update"] == at(hours=9)


def test_resolution_sets_closure_and_follow_up():
    esc, _ = plan_of("Medium")
    done = esc.model_copy(update={"resolved_at": at(days=3)})
    due = {p.step: p.due for p in plan_for(done, "dana@vendor.example", config())}
    assert due["closure"] == at(days=4) and due["follow_up"] == at(days=11)


def test_sponsor_brief_only_when_a_sponsor_is_required():
    _, small = plan_of("Medium")
    _, big = plan_of("Medium", arr=200_000)
    assert "sponsor_brief" not in small and big["sponsor_brief"] == at()


# --- calendar ----------------------------------------------------------------------------

CAL = config().calendar


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def test_business_hours_skip_the_weekend():
    friday_4pm = utc(2026, 11, 6, 16)
    assert add_business_time(friday_4pm, timedelta(hours=4), CAL) == utc(2026, 11, 9, 12)


def test_business_hours_start_counting_at_the_next_opening():
    saturday = utc(2026, 11, 7, 10)
    assert add_business_time(saturday, timedelta(hours=1), CAL) == utc(2026, 11, 9, 10)
    evening = utc(2026, 11, 3, 20)
    assert add_business_time(evening, timedelta(hours=2), CAL) == utc(2026, 11, 4, 11)


def test_business_hours_skip_configured_holidays_and_follow_the_time_zone():
    cal = parse_config({"calendar": {"timezone": "America/New_York", "holidays": ["2026-11-26"]}}).calendar
    wednesday_4pm_ny = utc(2026, 11, 25, 21)  # 16:00 in New York (UTC-5)
    # 1 h left on Wednesday, Thursday is a holiday, 3 h more on Friday: 12:00 NY = 17:00 UTC
    assert add_business_time(wednesday_4pm_ny, timedelta(hours=4), cal) == utc(2026, 11, 27, 17)


def test_business_time_between_counts_only_open_hours():
    assert business_time_between(utc(2026, 11, 6, 16), utc(2026, 11, 9, 12), CAL) == timedelta(hours=4)
