"""The escalation lifecycle end to end: SLA watch, two-way status, recovery, learning loop.

The connector's clock is the sandbox's clock, so moving it moves both worlds.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rules.calendar import add_business_time
from rules.config import parse_config
from rules.models import Comment, Person
from sandbox.server import Sandbox
from sync.runtime import Runtime
from tests.paths import EXAMPLES
from tests.sync.conftest import settings_for
from tests.sync.outcome import landed

UMBRELLA = "001000000000004AAA"
ACME = "001000000000001AAA"


def runtime_on(sb: Sandbox, redis_url: str, **overrides) -> Runtime:
    return Runtime(settings_for(sb, redis_url, **overrides), clock=sb.clock.now)


def escalation_of(rt: Runtime, account: str):
    found = [e for e in rt.store.escalations().values() if e.account == account]
    assert len(found) == 1, found
    return found[0]


def open_sev2_for_umbrella(sb: Sandbox, rt: Runtime):
    sb.add_ticket({"key": "SUP-8001", "summary": "Integration blocked", "priority": "High",
                   "description": "Our sync is blocked; we may cancel.",
                   "reporter": {"email": "ops@umbrella.example", "customer": True}})
    rt.cycle()
    esc = escalation_of(rt, UMBRELLA)
    assert esc.severity.label == "SEV-2" and esc.tier == 2 and esc.owner == "kai@vendor.example"
    return esc


def owner_comments(sb: Sandbox, rt: Runtime, account: str, body: str = "On it, call at 3pm.") -> None:
    esc = escalation_of(rt, account)
    epic = rt.store.index(esc.id)["epic"]
    sb.world.add_comment(epic, Comment(at=sb.clock.now(), author=Person(email=esc.owner, customer=False),
                                       body=body, public=True))


def test_unacknowledged_sev2_breaches_at_one_hour_and_rises_a_tier_owner_unchanged(sandbox, redis_url):
    rt = runtime_on(sandbox, redis_url)
    rt.cycle()
    esc = open_sev2_for_umbrella(sandbox, rt)
    sandbox.clock.set(esc.opened + timedelta(minutes=59))
    rt.watch()
    assert escalation_of(rt, UMBRELLA).breaches == ()
    sandbox.clock.set(esc.opened + timedelta(hours=1))
    summary, _ = rt.watch()
    after = escalation_of(rt, UMBRELLA)
    assert [b.clock for b in after.breaches] == ["acknowledge"]
    assert after.tier == 3 and after.owner == esc.owner
    got = landed(sandbox)[UMBRELLA]
    assert int(got["record"]["Tier__c"]) == 3 and "breach" in got["record"]["Timeline__c"].lower()
    assert {"rosa@vendor.example", "vic@vendor.example"} <= set(got["epic"]["watchers"])
    rt.watch()  # the same breach is acted on once
    assert escalation_of(rt, UMBRELLA).breaches == after.breaches


def next_friday_4pm(now: datetime) -> datetime:
    day = now + timedelta(days=(4 - now.weekday()) % 7 or 7)
    return day.replace(hour=16, minute=0, second=0, microsecond=0)


def test_a_business_hours_update_deadline_skips_the_weekend(sandbox, redis_url):
    rt = runtime_on(sandbox, redis_url)
    friday = next_friday_4pm(sandbox.clock.now())
    sandbox.clock.set(friday)
    rt.cycle()
    open_sev2_for_umbrella(sandbox, rt)
    sandbox.clock.set(friday + timedelta(minutes=30))
    owner_comments(sandbox, rt, UMBRELLA)
    rt.watch()
    acked = escalation_of(rt, UMBRELLA)
    assert acked.acknowledged_at is not None and acked.last_update_at is not None
    due = add_business_time(acked.last_update_at, timedelta(hours=4), rt.rules.calendar)
    assert due.weekday() == 0 and due > friday + timedelta(days=2)  # Monday, not Friday night
    sandbox.clock.set(due - timedelta(minutes=1))
    rt.watch()
    assert [b.clock for b in escalation_of(rt, UMBRELLA).breaches if b.clock == "update"] == []
    sandbox.clock.set(due)
    rt.watch()
    assert [b.due for b in escalation_of(rt, UMBRELLA).breaches if b.clock == "update"] == [due]


def test_epic_done_resolves_the_record_with_root_cause_and_recovery_tasks(sandbox, redis_url):
    rt = runtime_on(sandbox, redis_url)
    rt.cycle()
    esc = escalation_of(rt, ACME)
    epic = rt.store.index(esc.id)["epic"]
    root = rt.jira.field_id("Root Cause")
    assert root, "the sandbox's Jira has a Root Cause field"
    rt.jira.update(epic, {root: "Product bug"})
    sandbox.clock.advance(60)
    sandbox.world.transition(epic, "Done")
    rt.watch()
    got = landed(sandbox)[ACME]
    assert got["record"]["Status__c"] == "Resolved"
    assert got["record"]["Root_Cause__c"] == "product_bug"
    assert got["record"]["Resolved_At__c"]
    assert got["record"]["Resolution_Business_Days__c"] >= 0
    recovery = [s for s in got["steps"] if s.startswith(("week", "month"))]
    assert len(recovery) == 5 and all(got["steps"][s]["duedate"] for s in recovery)
    assert got["steps"]["follow_up"]["duedate"]  # closure + 7 days, now that closure is known


def test_five_closed_with_one_root_cause_in_a_quarter_open_one_action_item_even_twice(redis_url, tmp_path):
    rules_file = tmp_path / "rules.yaml"  # the site's workflow ends at Done: Done means Closed
    rules_file.write_text("status:\n  epic_to_record:\n    Done: Closed\n")
    rules = parse_config(rules_file.read_text())
    with Sandbox(EXAMPLES / "busy_owner.yaml") as sb:
        rt = runtime_on(sb, redis_url, escalation_rules=rules_file)
        rt.cycle()
        root = rt.jira.field_id("Root Cause")
        escs = sorted(rt.store.escalations().values(), key=lambda e: e.opened)
        assert len(escs) == 7
        for esc in escs[:4]:
            epic = rt.store.index(esc.id)["epic"]
            rt.jira.update(epic, {root: "Product bug"})
            sb.world.transition(epic, "Done")
        sb.clock.advance(60)
        rt.watch()
        assert rt.learn() == []  # four is not a pattern
        epic = rt.store.index(escs[4].id)["epic"]
        rt.jira.update(epic, {root: "Product bug"})
        sb.world.transition(epic, "Done")
        sb.clock.advance(60)
        rt.watch()
        first, second = rt.learn(), rt.learn()
        assert len(first) == 1 and second == []
        items = [i for i in sb.state("OPS")["jira"]["issues"] if "escalation-sync" in i["labels"]]
        assert len(items) == 1 and items[0]["labels"][1].startswith("LEARN-")
        assert rules.learning.routing["product_bug"] == "engineering"
        assert "function-engineering" in items[0]["labels"]


@pytest.mark.parametrize("month_offset", [0])
def test_report_counts_what_happened(sandbox, redis_url, monkeypatch, capsys, month_offset):
    rt = runtime_on(sandbox, redis_url)
    rt.cycle()
    from sync.commands import report

    for name, value in settings_for(sandbox, redis_url).model_dump().items():
        if value is not None and not isinstance(value, dict):
            secret = getattr(value, "get_secret_value", None)
            monkeypatch.setenv(name.upper(), str(secret() if secret else value))
    month = sandbox.clock.now().astimezone(UTC).strftime("%Y-%m")
    assert report.run(type("A", (), {"month": month, "html": None})()) == 0
    out = capsys.readouterr().out
    assert "9" in out and month in out  # nine escalations opened this month


def test_month_three_compares_health_with_its_pre_escalation_value(sandbox, redis_url):
    import httpx

    rt = runtime_on(sandbox, redis_url)
    rt.cycle()
    esc = escalation_of(rt, ACME)
    epic = rt.store.index(esc.id)["epic"]
    rt.jira.update(epic, {rt.jira.field_id("Root Cause"): "Product bug"})
    sandbox.world.transition(epic, "Done")
    rt.watch()
    resolved = escalation_of(rt, ACME)
    month3 = next(s for s in resolved.recovery if s.step == "month3_validation")
    sandbox.clock.set(month3.due - timedelta(hours=1))
    httpx.post(f"{sandbox.admin_url}/health", json={"account": ACME, "score": 61}).raise_for_status()
    rt.watch()
    assert not any("health score" in e.text for e in escalation_of(rt, ACME).timeline)  # not yet due
    sandbox.clock.set(month3.due)
    rt.watch()
    rt.watch()  # done once
    notes = [e.text for e in escalation_of(rt, ACME).timeline if "health score" in e.text]
    assert len(notes) == 1 and "declined by 18 points" in notes[0]  # 79 before, 61 now
    comments = [c.body for c in sandbox.jira_issue(epic).comments]
    assert sum("declined by 18 points" in c for c in comments) == 1


def test_closing_without_a_root_cause_asks_for_one_once(redis_url, tmp_path):
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text("status:\n  epic_to_record:\n    Done: Closed\n")
    with Sandbox(EXAMPLES / "small_book.yaml") as sb:
        rt = runtime_on(sb, redis_url, escalation_rules=rules_file)
        rt.cycle()
        esc = escalation_of(rt, ACME)
        epic = rt.store.index(esc.id)["epic"]
        sb.world.transition(epic, "Done")
        rt.watch()
        rt.watch()
        record = landed(sb)[ACME]["record"]
        assert record["Status__c"] == "Closed" and record["Root_Cause__c"] is None
        asks = [c.body for c in sb.jira_issue(epic).comments if "Please set the root cause" in c.body]
        assert len(asks) == 1
