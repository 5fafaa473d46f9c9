"""An escalation found in history gets its "found in history: opened X, first shown Y" entry,
its SLA clocks and its plan's due dates in the epic's create, and its plan issues are created
with those dues, so no later PUT rewrites the epic or re-dates a plan issue (issue 11); and
several real Celery workers write a burst exactly as one does."""

from __future__ import annotations

import json
import time

from sandbox.server import Sandbox
from sync.app import app
from sync.runtime import Runtime
from tests.celery_worker import Worker
from tests.sync.conftest import settings_for
from tests.sync.outcome import expected, landed

MARK = "found in history: opened "


def issue_puts(sb: Sandbox) -> list[str]:
    """Edits of an epic's or a plan issue's own fields (a description rewrite, a re-dated due)."""
    epics = sb.state("ESC")["jira"]["epics"]
    keys = {e["key"] for e in epics} | {k for e in epics for k in e.get("children", [])}
    return [r["path"] for r in sb.requests("jira") if r["method"] == "PUT"
            and r["path"].rstrip("/").rsplit("/", 1)[-1] in keys]


def test_an_epic_found_in_history_and_its_plan_issues_are_created_as_shown_and_never_rewritten(sandbox, redis_url):
    rt = Runtime(settings_for(sandbox, redis_url, poll_interval_seconds=60.0), clock=sandbox.clock.now)
    rt.cycle()
    for _ in range(2):
        sandbox.clock.advance(20)
        rt.watch()
    escalations = rt.store.escalations()
    assert len(escalations) >= 5
    for esc in escalations.values():
        assert esc.found_in_history and esc.shown_at is not None and esc.clocks_from == esc.shown_at
        assert sum(e.text.startswith(MARK) for e in esc.timeline) == 1
        assert esc.shown_at.isoformat() == rt.store.index(esc.id)["shown"]  # the moment of its create
    for record in sandbox.escalations():
        assert MARK in record["Timeline__c"]  # the record, written with the epic, says it too
    assert issue_puts(sandbox) == []
    creates = [i for r in sandbox.requests("jira") if r["method"] == "POST" and r["path"].endswith("/issue/bulk")
               for i in r["body"]["issueUpdates"] if i["fields"]["issuetype"]["name"] == "Epic"]
    assert len(creates) == len(escalations) and all(MARK in json.dumps(c["fields"]["description"]) for c in creates)
    assert not rt.store.outbox()
    assert_plans_follow_the_clocks(sandbox, rt)


def assert_plans_follow_the_clocks(sb: Sandbox, rt: Runtime) -> None:
    """One epic and record per escalation, each plan issue due when the escalation as stored
    says: counted from the epic's creation (the clocks), not from the trigger days ago."""
    got = landed(sb)
    assert sorted(got) == sorted(expected(sb))
    by_account = {e.account: e for e in rt.store.escalations().values()}
    for account, g in got.items():
        plan = {p.step: p for p in by_account[account].plan}
        assert sorted(g["steps"]) == sorted(plan), account
        for step, child in g["steps"].items():
            due = plan[step].due
            assert child["duedate"] == (f"{due:%Y-%m-%d}" if due else None), (account, step)


def wait_idle(rt: Runtime, timeout: float = 120.0) -> None:
    """Until nothing decided is left to write and no claim is held."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not rt.store.outbox() and not list(rt.redis.scan_iter(f"{rt.store.k.ns}:claim:*")):
            return
        time.sleep(0.2)
    raise AssertionError(f"outbox still holds {sorted(rt.store.outbox())}")


def test_two_celery_workers_write_each_watcher_once_and_rewrite_no_epic_or_plan_issue(sandbox, redis_url):
    app.conf.broker_url = app.conf.result_backend = redis_url
    env = {**sandbox.env(), "REDIS_URL": redis_url, "JIRA_SEARCH_SETTLE_SECONDS": "2", "FLUSH_BATCH": "1"}
    workers = [Worker(env, concurrency=2, name=f"w{n}") for n in (1, 2)]  # batches of one: spread over both
    try:
        for w in workers:
            w.wait_ready()
        rt = Runtime(settings_for(sandbox, redis_url))
        first = app.send_task("escalation_sync.poll").get(timeout=90)
        assert first["opened"] == len(expected(sandbox)) and first["handed_on"] >= 1
        for _ in range(3):  # watches while the batches are written on both workers
            app.send_task("escalation_sync.watch").get(timeout=90)
        wait_idle(rt)
        app.send_task("escalation_sync.watch").get(timeout=90)
        wait_idle(rt)
    finally:
        for w in workers:
            w.stop()
    assert_plans_follow_the_clocks(sandbox, rt)
    adds = [r["path"] for r in sandbox.requests("jira") if r["method"] == "POST" and r["path"].endswith("/watchers")]
    state = sandbox.state("ESC")["jira"]["epics"]
    assert len(adds) == sum(len(e["watchers"]) for e in state)  # each stakeholder added once, none twice
    assert issue_puts(sandbox) == []
    for esc in rt.store.escalations().values():
        assert esc.shown_at is not None and sum(e.text.startswith(MARK) for e in esc.timeline) <= 1
