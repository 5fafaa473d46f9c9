"""Fault injection, rate limiting, the request log and the admin surface's world changes."""

from __future__ import annotations

import time

import pytest
import requests
from jira import JIRAError
from simple_salesforce.exceptions import SalesforceGeneralError

from sandbox import testing

ACME = "001000000000001AAA"


def _jira_get(sandbox, path):
    env = sandbox.env()
    return requests.get(f"{sandbox.jira_url}/rest/api/2/{path}", timeout=10,
                        auth=(env["JIRA_EMAIL"], env["JIRA_API_TOKEN"]))


def test_a_429_storm_is_ridden_out_by_the_jira_clients_own_retries(sandbox, jira_client, admin):
    r = admin.call("PUT", "/faults", {"system": "jira", "status": 429, "count": 2,
                                      "retry_after": 1})
    assert r.status_code == 200 and r.json()["faults"][0]["count"] == 2
    sandbox.clear_requests()
    assert jira_client.issue("SUP-101").key == "SUP-101"
    statuses = [e["status"] for e in admin.get("/requests")]
    assert statuses == [429, 429, 200]


def test_injected_429_carries_atlassians_rate_limit_headers(sandbox, admin):
    admin.call("PUT", "/faults", {"system": "jira", "status": 429, "count": 1, "retry_after": 1})
    r = _jira_get(sandbox, "myself")
    assert r.status_code == 429
    assert r.headers["Retry-After"] == "1"
    for name in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset",
                 "RateLimit-Reason"):
        assert name in r.headers
    assert r.headers["Content-Type"].startswith("text/html")  # Jira Cloud's 429 page (sandbox/jira_limits.py)
    assert "error429" in r.text
    assert _jira_get(sandbox, "myself").status_code == 200


def test_the_jira_request_budget_answers_429_when_spent(make_sandbox):
    sb = make_sandbox(jira_rate_limit={"limit": 4, "window_seconds": 60, "retry_after": 1})
    client = testing.jira(sb, max_retries=0)  # serverInfo spends one call
    seen = [_jira_get(sb, "myself") for _ in range(4)]
    assert [r.status_code for r in seen] == [200, 200, 200, 429]
    assert seen[0].headers["X-RateLimit-Remaining"] == "2"
    assert seen[3].headers["RateLimit-Reason"] == "jira-quota-tenant-based"
    with pytest.raises(JIRAError) as exc:
        client.myself()
    assert exc.value.status_code == 429


def test_500_is_not_retried_by_the_jira_client_but_503_with_retry_after_is(sandbox, admin):
    client = testing.jira(sandbox)
    admin.call("PUT", "/faults", {"system": "jira", "status": 500, "count": 1})
    with pytest.raises(JIRAError) as exc:
        client.issue("SUP-101")
    assert exc.value.status_code == 500
    admin.call("PUT", "/faults", {"system": "jira", "status": 503, "count": 1, "retry_after": 1})
    assert client.issue("SUP-101").key == "SUP-101"


def test_salesforce_faults_have_salesforce_bodies_and_delays_slow_calls(sandbox, sf, admin):
    admin.call("PUT", "/faults", {"system": "salesforce", "status": 503, "count": 1})
    with pytest.raises(SalesforceGeneralError) as exc:
        sf.query("SELECT Id FROM Account LIMIT 1")
    assert exc.value.status == 503
    assert exc.value.content[0]["errorCode"] == "SERVER_UNAVAILABLE"
    admin.call("PUT", "/faults", {"system": "salesforce", "delay_ms": 200})
    started = time.perf_counter()
    assert sf.query("SELECT Id FROM Account LIMIT 1")["totalSize"] == 1
    assert time.perf_counter() - started >= 0.2
    admin.call("DELETE", "/faults")
    assert admin.get("/faults") == {"faults": []}


def test_a_fault_rate_fails_a_seeded_share_of_calls(sandbox, admin):
    admin.call("PUT", "/faults", {"system": "jira", "status": 500, "rate": 0.5})
    statuses = [_jira_get(sandbox, "myself").status_code for _ in range(40)]
    assert 8 < statuses.count(500) < 32 and statuses.count(200) == 40 - statuses.count(500)


def test_invalid_fault_plans_are_refused(admin):
    assert admin.call("PUT", "/faults", {"system": "mainframe", "status": 429}).status_code == 400
    assert admin.call("PUT", "/faults", {"system": "jira", "status": 418}).status_code == 400


def test_the_request_log_lists_api_calls_only_and_can_be_cleared(sandbox, sf, jira_client,
                                                                admin):
    sf.query("SELECT Id FROM Account LIMIT 1")
    jira_client.myself()
    log = admin.get("/requests")
    assert [e["system"] for e in log] == ["jira", "salesforce", "jira"]  # serverInfo first
    assert set(log[1]) >= {"system", "method", "path", "status", "at"}
    assert log[1]["path"] == "/services/data/v59.0/query/" and log[1]["status"] == 200
    assert admin.get("/requests", params={"system": "jira"})[0]["path"].endswith("serverInfo")
    assert admin.call("DELETE", "/requests").json()["cleared"] == 3
    assert admin.get("/requests") == []


def test_admin_ticket_arrives_as_a_searchable_sup_issue(sandbox, jira_client, admin):
    r = admin.call("POST", "/tickets", {
        "summary": "Outage again", "account": ACME, "priority": "Highest", "channel": "phone",
        "labels": ["outage"], "reporter": {"email": "ops@acme.example", "customer": True},
        "comments": [{"at": sandbox.clock.now().isoformat(), "author": {
            "email": "ops@acme.example", "customer": True}, "body": "Please call",
            "public": True}]})
    assert r.status_code == 201
    key = r.json()["key"]
    assert key == "SUP-111"
    found = jira_client.search_issues('project = SUP AND updated >= "-1m"', maxResults=False)
    assert key in [i.key for i in found]
    issue = jira_client.issue(key)
    assert issue.fields.customfield_10010.value == "phone"
    assert admin.call("POST", "/tickets", {"key": key, "summary": "dup"}).status_code == 409
    assert admin.call("POST", "/tickets", {"summary": "x", "priorty": "High"}).status_code == 400


def test_admin_comment_bumps_updated(sandbox, jira_client, admin):
    before = jira_client.issue("SUP-102").fields.updated
    sandbox.clock.advance(120)
    r = admin.call("POST", "/comments", {"ticket": "SUP-102", "author": {
        "email": "ops@acme.example", "customer": True}, "body": "Any news?", "public": True})
    assert r.status_code == 201
    issue = jira_client.issue("SUP-102")
    assert issue.fields.updated > before
    assert jira_client.comments("SUP-102")[-1].body == "Any news?"


def test_admin_health_updates_the_account_and_writes_history(sandbox, sf, admin):
    sandbox.clock.advance(60)
    r = admin.call("POST", "/health", {"account": ACME, "score": 31})
    assert r.status_code == 201
    acme = sf.Account.get(ACME)
    assert acme["Health_Score__c"] == 31.0
    rows = sf.query(f"SELECT OldValue, NewValue, CreatedDate FROM AccountHistory WHERE "
                    f"AccountId = '{ACME}' ORDER BY CreatedDate DESC LIMIT 1")["records"]
    assert (rows[0]["OldValue"], rows[0]["NewValue"]) == (52.0, 31.0)
    assert rows[0]["CreatedDate"] == acme["SystemModstamp"]
    assert admin.call("POST", "/health", {"account": "001000000000999AAA", "score": 1}
                      ).status_code == 404


def test_admin_transition_changes_status_with_changelog(sandbox, jira_client, admin):
    assert admin.call("POST", "/transition", {"issue": "SUP-104", "status": "Resolved"}
                      ).status_code == 200
    issue = jira_client.issue("SUP-104", expand="changelog")
    assert issue.fields.status.name == "Resolved" and issue.fields.resolution is not None
    item = issue.changelog.histories[-1].items[0]
    assert (item.field, item.fromString, item.toString) == ("status", "Open", "Resolved")
    assert admin.call("POST", "/transition", {"issue": "SUP-104", "status": "Nope"}
                      ).status_code == 400


def test_admin_clock_state_config_and_token(sandbox, admin, jira_client):
    before = admin.get("/clock")["now"]
    after = admin.call("POST", "/clock", {"advance_seconds": 3600}).json()["now"]
    assert after > before
    set_to = admin.call("POST", "/clock", {"now": "2030-01-01T00:00:00Z"}).json()["now"]
    assert set_to.startswith("2030-01-01T00:00")
    sf = testing.salesforce(sandbox)  # sessions issued before the jump have expired
    sf.Escalation__c.upsert("External_Id__c/ESC-STATE", {"Severity__c": "SEV-2"})
    epic = jira_client.create_issue(project={"key": "ESC"}, issuetype={"name": "Epic"},
                                    summary="E")
    state = admin.get("/state")
    assert state["salesforce"]["Escalation__c"][0]["External_Id__c"] == "ESC-STATE"
    assert state["salesforce"]["counts"]["Account"] == 12
    assert state["jira"]["epics"][0]["key"] == epic.key
    assert admin.get("/state/jira", params={"project": "ESC"})["issues"][0]["key"] == epic.key
    config = admin.call("PUT", "/config", {"search_lag_seconds": 5}).json()
    assert config["search_lag_seconds"] == 5
    token = admin.call("POST", "/token").json()
    assert token["instance_url"] == sandbox.salesforce_url and token["access_token"]
