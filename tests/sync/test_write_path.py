"""The write path against the sandbox and a real Redis: order, links inside creates, progress
kept per watcher, comments and notifications exactly once through failures."""

from __future__ import annotations

import json
import re
from collections import Counter

import httpx
import respx

from connectors.errors import RetriableError
from sandbox.faults import Fault
from sync.runtime import Runtime
from tests.faults.support import drive
from tests.sync.conftest import settings_for
from tests.sync.outcome import assert_matches_backtest, expected, landed

ACME = "001000000000001AAA"
HOOK = "https://hooks.example/services/T000/B000/write-path-token"


def posts(sb, ending: str) -> list[dict]:
    return [r for r in sb.requests("jira", bodies=True) if r["method"] == "POST" and r["path"].endswith(ending)]


def test_epics_carry_their_ticket_links_and_go_out_severest_first(sandbox, runtime: Runtime):
    runtime.cycle()
    assert posts(sandbox, "/issueLink") == []  # every link rode inside an epic's create
    assert_matches_backtest(sandbox, expected(sandbox))
    first = posts(sandbox, "/issue/bulk")[0]["body"]["issueUpdates"]
    summaries = [u["fields"]["summary"] for u in first]
    severities = [s[1:6] for s in summaries]
    assert severities == sorted(severities)  # SEV-1 before SEV-2 before SEV-3
    linked = [u for u in first if "issuelinks" in u.get("update", {})]
    assert linked and all(lk["add"]["inwardIssue"]["key"].startswith("SUP-")
                          for u in linked for lk in u["update"]["issuelinks"])
    # the epics were written through REST v3 with an ADF description
    assert posts(sandbox, "/issue/bulk")[0]["path"].startswith("/rest/api/3/")
    assert isinstance(first[0]["fields"]["description"], dict)


def test_a_failed_watcher_call_repeats_no_watcher_already_added(sandbox, runtime: Runtime):
    sandbox.faults.add(Fault("jira", status=500, count=3, path_contains="/watchers"))
    drive(runtime)
    done = Counter((r["path"], json.dumps(r["body"])) for r in posts(sandbox, "/watchers") if r["status"] < 300)
    assert done and max(done.values()) == 1, [k for k, n in done.items() if n > 1]
    assert_matches_backtest(sandbox, expected(sandbox))


def test_every_update_that_adds_evidence_is_told_once(sandbox, runtime: Runtime):
    runtime.cycle()
    epic = landed(sandbox)[ACME]["epic"]["key"]
    for n, summary in enumerate(["Legal action", "We will cancel the renewal", "A possible breach"]):
        sandbox.add_ticket({
            "key": f"SUP-710{n}", "summary": summary, "priority": "Medium", "components": ["Reporting"],
            "description": "See the summary.", "reporter": {"email": "kim@acme.example", "name": "Kim",
                                                            "customer": True}})
        poll, _ = runtime.cycle()
        assert poll.updated >= 1, n
    told = [c.body for c in sandbox.jira_issue(epic).comments if c.body.startswith("escalation-sync update")]
    assert [sum(f"Linked SUP-710{n}" in t for t in told) for n in range(3)] == [1, 1, 1], told
    assert len(told) == 3


def test_a_comment_whose_answer_was_lost_is_not_posted_twice(sandbox, runtime: Runtime):
    runtime.cycle()
    epic = landed(sandbox)[ACME]["epic"]["key"]
    post = runtime.jira.comment
    lost = []

    def answer_lost(key: str, body: str) -> None:
        post(key, body)  # Jira applied it ...
        if not lost:
            lost.append(key)
            raise RetriableError("Jira comment: ReadTimeout")  # ... and the answer never came

    runtime.jira.comment = answer_lost  # type: ignore[method-assign]
    sandbox.add_ticket({
        "key": "SUP-7201", "summary": "Legal", "priority": "Medium", "components": ["Reporting"],
        "description": "Our counsel is preparing a lawsuit.",
        "reporter": {"email": "kim@acme.example", "name": "Kim", "customer": True}})
    result = drive(runtime)
    assert lost and result.errors
    told = [c.body for c in sandbox.jira_issue(epic).comments if "SUP-7201" in c.body]
    assert len(told) == 1, told


def test_a_notification_of_a_flush_that_failed_is_sent_by_the_next_once(sandbox, redis_url):
    """One Jira 500 on the bulk create after the decision is committed: the SEV-1 and SEV-2
    openings are still told, once each, by the flush that gets through (with the epic key)."""
    # go_live=notify: each history escalation told (the default, quiet, sends one digest: tests/golive)
    rt = Runtime(settings_for(sandbox, redis_url, notify_webhooks={"default": [HOOK]}, go_live="notify"))
    sandbox.faults.add(Fault("jira", status=500, count=1, path_contains="/issue/bulk"))
    with respx.mock(assert_all_called=False) as router:
        hook = router.route(host="hooks.example").mock(return_value=httpx.Response(200, text="ok"))
        router.route().pass_through()
        result = drive(rt)
        assert result.errors and "HTTP 500" in str(result.errors[0])
        texts = [json.loads(c.request.content)["text"] for c in hook.calls]
        bodies = [c.request.content.decode() for c in hook.calls]
        rt.cycle()
        assert len(hook.calls) == len(texts)  # nothing told twice
    opened = [e for e in expected(sandbox).values() if e["severity"] in ("SEV-1", "SEV-2")]
    for esc in opened:
        new = [t for t in texts if t.lstrip("*").startswith("New")]
        assert sum(f"escalation: {esc['account_name']}" in t for t in new) == 1, texts
    assert all(re.search(r"\bESC-\d+\b", b) for b in bodies)  # each message carries its epic's key


def test_an_escalation_claimed_by_another_flush_is_left_to_it(sandbox, runtime: Runtime):
    poll = runtime.poller.cycle()
    ids = sorted(d.escalation.id for d in poll.made)
    held = runtime.store.claim(ids[:1], "another-worker", 60_000)
    assert held == ids[:1]
    flush = runtime.writer.flush()
    assert flush.busy == ids[:1] and flush.written == len(set(ids)) - 1
    assert sorted(runtime.store.outbox()) == ids[:1]
    runtime.store.release_claims(ids[:1], "another-worker")
    assert runtime.writer.flush().written == 1
    assert_matches_backtest(sandbox, expected(sandbox))
