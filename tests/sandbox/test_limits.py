"""Network latency, Jira Cloud's 2026 rate limits and the lost-answer fault, over real HTTP.

The limits follow Atlassian's "Rate limiting"
(https://developer.atlassian.com/cloud/jira/platform/rate-limiting/) and "Build an app that
respects rate limits"
(https://developer.atlassian.com/cloud/jira/platform/build-an-app-that-respects-rate-limits/):
``RateLimit-Reason`` ``jira-burst-based`` is scoped to one endpoint and method,
``jira-per-issue-on-write`` to one issue, the quota to everything; ``Retry-After`` in whole
seconds; ``X-RateLimit-Reset`` as ``yyyy-MM-ddTHH:mmZ``. The 429 body is Jira Cloud's HTML
page as pasted in github.com/floralvikings/jira-connector/issues/250 and
github.com/apache/devlake/issues/2932. The thresholds are the sandbox's (Atlassian does not
publish them), set small here.
"""

from __future__ import annotations

import argparse
import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st
from jira import JIRAError

from sandbox import testing
from sandbox.cli import run as sandbox_cli
from sandbox.faults import Fault
from sandbox.jira_limits import endpoint, issues_written
from sandbox.latency import Latency, parse_latency
from tests.sandbox.conftest import Admin

RESET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\dZ$")


def jira_http(sb) -> requests.Session:
    env = sb.env()
    s = requests.Session()
    s.trust_env = False
    s.auth = (env["JIRA_EMAIL"], env["JIRA_API_TOKEN"])
    return s


def get(sb, http, path):
    return http.get(f"{sb.jira_url}/rest/api/2/{path}", timeout=10)


def comment(sb, http, key, text="note"):
    return http.post(f"{sb.jira_url}/rest/api/2/issue/{key}/comment", json={"body": text}, timeout=10)


# --- latency ---------------------------------------------------------------------------------


def test_concurrent_calls_overlap_under_latency_as_on_a_network(make_sandbox):
    sb = make_sandbox(latency_ms=300)
    calls = 8

    def one(_):
        return get(sb, jira_http(sb), "serverInfo").status_code

    started = time.perf_counter()
    with ThreadPoolExecutor(calls) as pool:
        assert list(pool.map(one, range(calls))) == [200] * calls
    elapsed = time.perf_counter() - started
    assert elapsed >= 0.3
    assert elapsed < calls * 0.3 / 2  # one at a time would take 2.4 s
    log = sb.requests("jira", bodies=False)
    assert len(log) == calls and all(e["duration_ms"] >= 290 for e in log)
    # the log gives each call's time in flight: here all of them overlap at one moment
    latest_start = max(e["start_s"] for e in log)
    assert all(e["start_s"] + e["duration_ms"] / 1000 > latest_start for e in log)


def test_latency_is_set_at_run_time_through_put_faults_and_put_latency(sandbox, admin, sf):
    http = jira_http(sandbox)
    assert admin.call("PUT", "/faults", {"latency_ms": 250, "jitter_ms": 10}).status_code == 200
    assert admin.get("/latency")["jira"] == {"latency_ms": 250.0, "jitter_ms": 10.0}
    started = time.perf_counter()
    assert get(sandbox, http, "myself").status_code == 200
    assert sf.query("SELECT Id FROM Account LIMIT 1")["totalSize"] == 1
    assert time.perf_counter() - started >= 2 * 0.24
    assert admin.call("PUT", "/latency", {"latency_ms": 0, "system": "salesforce"}).status_code == 200
    started = time.perf_counter()
    sf.query("SELECT Id FROM Account LIMIT 1")
    assert time.perf_counter() - started < 0.2
    assert admin.call("PUT", "/latency", {"latency_ms": -5}).status_code == 400
    assert admin.call("PUT", "/latency", {"latency_ms": 5, "system": "mainframe"}).status_code == 400


@given(st.floats(0, 500), st.floats(0, 200), st.integers(0, 2**32))
def test_sampled_latency_stays_within_mean_plus_minus_jitter_and_repeats_per_seed(mean, jitter, seed):
    one, two = Latency(seed), Latency(seed)
    one.set(mean, jitter)
    two.set(mean, jitter)
    samples = [one.seconds("jira") for _ in range(20)]
    assert samples == [two.seconds("jira") for _ in range(20)]
    assert all(max(0.0, mean - jitter) / 1000 - 1e-9 <= s <= (mean + jitter) / 1000 + 1e-9 for s in samples)


def test_the_latency_flag_reads_mean_and_jitter_and_names_itself_when_wrong(capsys):
    assert parse_latency("100") == (100.0, 0.0)
    assert parse_latency("100:20") == (100.0, 20.0)
    args = argparse.Namespace(book=None, flavour="cloud", port=0, search_lag=0.0, latency_ms="fast",
                              jira_limits="off", jira_429_body="html", no_retry_after=False, print_env=False)
    assert sandbox_cli(args) == 2
    assert "--latency-ms" in capsys.readouterr().err


# --- the 2026 limits -------------------------------------------------------------------------


def test_the_burst_limit_answers_429_per_endpoint_and_method_then_resets(make_sandbox):
    sb = make_sandbox(jira_limits={"burst": {"per_second": 2, "capacity": 3}})
    http = jira_http(sb)
    seen = [get(sb, http, "issue/SUP-101") for _ in range(4)]
    assert [r.status_code for r in seen] == [200, 200, 200, 429]
    refused = seen[3]
    assert refused.headers["RateLimit-Reason"] == "jira-burst-based"
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.headers["X-RateLimit-Limit"] == "3"
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert RESET.match(refused.headers["X-RateLimit-Reset"])
    assert refused.headers["X-RateLimit-NearLimit"] == "true"
    assert seen[2].headers.get("X-RateLimit-NearLimit") == "true"  # < 20 % left, on a success
    # another issue is the same endpoint; another endpoint or method is not
    assert get(sb, http, "issue/SUP-102").status_code == 429
    assert get(sb, http, "myself").status_code == 200
    assert comment(sb, http, "SUP-101").status_code == 201
    time.sleep(int(refused.headers["Retry-After"]))
    assert get(sb, http, "issue/SUP-101").status_code == 200
    assert [e.get("rate_limit_reason") for e in sb.requests("jira") if e["status"] == 429] == \
        ["jira-burst-based"] * 2


def test_the_per_issue_write_limit_is_scoped_to_the_one_issue_written(make_sandbox):
    sb = make_sandbox(jira_limits={"per_issue_write": [{"limit": 3, "window_seconds": 2}]})
    http = jira_http(sb)
    client = testing.jira(sb, max_retries=0)
    for n in range(3):
        client.add_comment("SUP-101", f"update {n}")
    with pytest.raises(JIRAError) as exc:
        client.add_comment("SUP-101", "one too many")
    assert exc.value.status_code == 429
    refused = exc.value.response
    assert refused.headers["RateLimit-Reason"] == "jira-per-issue-on-write"
    assert refused.headers["X-RateLimit-Limit"] == "3" and int(refused.headers["Retry-After"]) >= 1
    assert client.add_comment("SUP-102", "another issue").body == "another issue"
    assert client.issue("SUP-101").key == "SUP-101"  # reads are not writes
    link = {"type": {"name": "Relates"}, "inwardIssue": {"key": "SUP-103"}, "outwardIssue": {"key": "SUP-101"}}
    assert http.post(f"{sb.jira_url}/rest/api/2/issueLink", json=link, timeout=10).status_code == 429
    before = len(sb.jira_issue("SUP-101").comments)
    time.sleep(2)
    client.add_comment("SUP-101", "after the window")
    assert len(sb.jira_issue("SUP-101").comments) == before + 1


def test_the_jira_clients_own_retries_ride_out_a_per_issue_429(make_sandbox):
    sb = make_sandbox(jira_limits={"per_issue_write": [{"limit": 1, "window_seconds": 1}]})
    client = testing.jira(sb, max_retries=2)
    client.add_comment("SUP-101", "first")
    client.add_comment("SUP-101", "second, after a 429 and Retry-After")
    statuses = [e["status"] for e in sb.requests("jira") if e["path"].endswith("/comment")]
    assert statuses[:2] == [201, 429] and statuses[-1] == 201


def test_the_quota_stops_every_endpoint_with_its_reason(make_sandbox):
    sb = make_sandbox(jira_limits={"quota": {"points": 4, "reason": "jira-quota-global-based"}})
    admin = Admin(sb.admin_url)
    http = jira_http(sb)
    assert get(sb, http, "myself").status_code == 200  # 1 point
    search = http.get(f"{sb.jira_url}/rest/api/3/search/jql", params={"jql": "project = SUP", "maxResults": 2},
                      timeout=10)
    assert search.status_code == 200 and len(search.json()["issues"]) == 2  # 1 + 2 objects
    refused = comment(sb, http, "SUP-101")
    assert refused.status_code == 429
    assert refused.headers["RateLimit-Reason"] == "jira-quota-global-based"
    assert get(sb, http, "serverInfo").status_code == 429
    assert admin.get("/jira-limits")["quota"]["points"] == 4
    assert admin.call("DELETE", "/jira-limits").status_code == 200  # off again
    assert get(sb, http, "serverInfo").status_code == 200


def test_a_429_is_an_html_page_by_default_and_can_omit_retry_after(make_sandbox):
    sb = make_sandbox(jira_limits={"burst": {"per_second": 1, "capacity": 1}, "retry_after": False})
    admin = Admin(sb.admin_url)
    http = jira_http(sb)
    assert get(sb, http, "myself").status_code == 200
    refused = get(sb, http, "myself")
    assert refused.status_code == 429
    assert refused.headers["Content-Type"].startswith("text/html")
    assert "<title>Oops - an error has occurred</title>" in refused.text and "error429" in refused.text
    assert "Retry-After" not in refused.headers
    assert refused.headers["RateLimit-Reason"] == "jira-burst-based"
    # the old JSON body on request, and a 429 fault without retry_after has no Retry-After either
    assert admin.call("PUT", "/jira-limits", {"body": "json"}).status_code == 200
    admin.call("PUT", "/faults", {"system": "jira", "status": 429, "count": 1})
    faulted = get(sb, http, "myself")
    assert faulted.status_code == 429 and "Retry-After" not in faulted.headers
    assert set(faulted.json()) == {"errorMessages", "errors"}


def test_the_jira_client_reports_an_html_429_without_crashing(make_sandbox):
    sb = make_sandbox()
    client = testing.jira(sb, max_retries=0)
    sb.faults.add(Fault("jira", status=429, count=1, retry_after=1))
    with pytest.raises(JIRAError) as exc:
        client.issue("SUP-101")
    assert exc.value.status_code == 429 and "error429" in exc.value.text


def test_bad_limit_settings_are_refused_with_the_field_named(sandbox, admin):
    r = admin.call("PUT", "/jira-limits", {"burst": {"per_second": 0}})
    assert r.status_code == 400 and "jira_limits.burst.per_second" in r.json()["error"]
    r = admin.call("PUT", "/jira-limits", {"per_issue_write": [{"limit": 2}]})
    assert r.status_code == 400 and "per_issue_write[0].window_seconds" in r.json()["error"]
    r = admin.call("PUT", "/faults", {"jira_limits": {"quota": {"points": 5, "reason": "jira-cost-based"}}})
    assert r.status_code == 400 and "quota.reason" in r.json()["error"]
    assert admin.call("PUT", "/jira-limits", {"profile": "cloud-2026"}).json()["burst"] == \
        {"per_second": 10.0, "capacity": 20}


@given(st.from_regex(r"[A-Z]{2,5}", fullmatch=True), st.integers(1, 99999), st.integers(1, 99999))
def test_calls_to_any_issue_share_one_endpoint(project, one, two):
    a = endpoint(f"/rest/api/2/issue/{project}-{one}/watchers")
    assert a == endpoint(f"/rest/api/2/issue/{project}-{two}/watchers") == \
        "/rest/api/2/issue/{issueIdOrKey}/watchers"
    assert endpoint(f"/rest/api/2/issue/{one}") == "/rest/api/2/issue/{id}"


def test_a_write_counts_against_every_existing_issue_it_changes():
    assert issues_written("GET", "/rest/api/2/issue/SUP-1", None) == []
    assert issues_written("PUT", "/rest/api/3/issue/ESC-4", {}) == ["ESC-4"]
    assert issues_written("POST", "/rest/api/2/issue/ESC-4/watchers", "acc") == ["ESC-4"]
    assert issues_written("POST", "/rest/api/2/issueLink",
                          {"inwardIssue": {"key": "ESC-1"}, "outwardIssue": {"key": "SUP-9"}}) == ["ESC-1", "SUP-9"]
    bulk = {"issueUpdates": [{"fields": {}, "update": {"issuelinks": [
        {"add": {"type": {"name": "Relates"}, "outwardIssue": {"key": "SUP-7"}}}]}}]}
    assert issues_written("POST", "/rest/api/2/issue/bulk", bulk) == ["SUP-7"]


# --- the lost answer -------------------------------------------------------------------------


def test_a_dropped_answer_leaves_the_write_applied(sandbox, admin):
    client = testing.jira(sandbox, max_retries=0)
    r = admin.call("PUT", "/faults", {"system": "jira", "drop": "close", "count": 1, "path_contains": "/issue"})
    assert r.status_code == 200
    assert client.issue("SUP-101").key == "SUP-101"  # a read is not dropped without "method"
    before = len(sandbox.jira_issue("SUP-101").comments)
    with pytest.raises(requests.ConnectionError):
        client.add_comment("SUP-101", "the answer is lost, the comment is not")
    assert len(sandbox.jira_issue("SUP-101").comments) == before + 1
    dropped = [e for e in sandbox.requests("jira") if e.get("dropped")]
    assert len(dropped) == 1 and dropped[0]["dropped"] == "close" and dropped[0]["status"] == 201
    client.add_comment("SUP-101", "the next call is answered")  # count: 1 was spent
    assert len(sandbox.jira_issue("SUP-101").comments) == before + 2


def test_a_held_answer_times_the_client_out_after_the_state_changed(sandbox, sf):
    sandbox.faults.add(Fault("salesforce", drop="timeout", hold_ms=5000, count=1, method="POST"))
    client = testing.salesforce(sandbox)
    client.session.request = _with_timeout(client.session.request, 0.5)
    started = time.perf_counter()
    with pytest.raises(requests.Timeout):
        client.Account.create({"Name": "Written though unanswered"})
    assert time.perf_counter() - started < 4
    found = sf.query("SELECT Id FROM Account WHERE Name = 'Written though unanswered'")
    assert found["totalSize"] == 1


def test_drop_faults_are_refused_with_a_status_or_an_unknown_mode(sandbox, admin):
    assert admin.call("PUT", "/faults", {"system": "jira", "drop": "close", "status": 500}).status_code == 400
    assert admin.call("PUT", "/faults", {"system": "jira", "drop": "later"}).status_code == 400


def _with_timeout(request, seconds):
    def call(*args, **kwargs):
        kwargs["timeout"] = seconds
        return request(*args, **kwargs)

    return call


def test_progress_lists_epics_by_escalation_label_and_record_accounts(sandbox, admin):
    client = testing.jira(sandbox)
    label = "ESC-001000000000001AAA-20261201T000000Z"
    epic = client.create_issue(fields={"project": {"key": "ESC"}, "issuetype": {"name": "Epic"},
                                       "summary": "Acme escalation", "labels": [label]})
    before = admin.get("/progress")
    assert before["epics"] == {label: epic.key}
    client.add_watcher(epic.key, sandbox.site.api_user.account_id)
    assert admin.get("/progress")["watchers"] == before["watchers"] + 1
    assert before["records"] == [r["Account__c"] for r in sandbox.escalations()]
