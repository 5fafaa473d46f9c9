"""Jira search: Cloud's enhanced search and Data Center's /search, the JQL subset, time zones,
eventual consistency, and the error shapes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests
from jira import JIRA, JIRAError

from sandbox import testing


def _search(sandbox, jql, version="2", **params):
    env = sandbox.env()
    return requests.get(f"{sandbox.jira_url}/rest/api/{version}/search/jql",
                        params={"jql": jql, **params}, timeout=10,
                        auth=(env["JIRA_EMAIL"], env["JIRA_API_TOKEN"]))


def _keys(client, jql):
    return [i.key for i in client.search_issues(jql, maxResults=False, fields=["summary"])]


def _bulk(client, project, n, **extra):
    for start in range(0, n, 50):
        client.create_issues([{"project": {"key": project}, "issuetype": {"name": "Task"},
                               "summary": f"item {i}", **extra}
                              for i in range(start, min(n, start + 50))])


def test_enhanced_search_pages_with_next_page_token_and_no_total(sandbox, jira_client,
                                                                 jira_schema):
    _bulk(jira_client, "OPS", 120)
    first = _search(sandbox, "project = OPS ORDER BY key ASC", maxResults=50,
                    fields="summary,status").json()
    jira_schema("SearchAndReconcileResults", first)
    assert "total" not in first and first["isLast"] is False and len(first["issues"]) == 50
    assert first["issues"][0]["key"] == "OPS-1"
    assert set(first["issues"][0]["fields"]) == {"summary", "status"}
    second = _search(sandbox, "project = OPS ORDER BY key ASC", maxResults=100,
                     nextPageToken=first["nextPageToken"]).json()
    assert second["isLast"] is True and "nextPageToken" not in second
    assert second["issues"][0]["key"] == "OPS-51" and len(second["issues"]) == 70
    sandbox.clear_requests()
    assert len(_keys(jira_client, "project = OPS")) == 120
    pages = [r for r in sandbox.requests("jira") if r["path"].endswith("/search/jql")]
    assert len(pages) == 2 and "nextPageToken=" in pages[1]["query"]


def test_search_defaults_to_ids_only_and_caps_page_sizes(sandbox):
    body = _search(sandbox, "project = SUP").json()
    assert body["issues"] and all(i["fields"] == {} for i in body["issues"])
    all_fields = _search(sandbox, "project = SUP", fields="*all", maxResults=1000).json()
    assert all_fields["issues"][0]["fields"]["customfield_10010"]["value"]
    names = _search(sandbox, "project = SUP", fields="Channel,-summary", expand="names").json()
    assert set(names["issues"][0]["fields"]) == {"customfield_10010"}
    assert names["names"] == {"customfield_10010": "Channel"}


def test_post_search_accepts_the_clients_nulls_and_empty_lists(sandbox, jira_client,
                                                               jira_schema):
    result = jira_client.enhanced_search_issues("project = SUP AND labels = outage",
                                                fields=["summary"], use_post=True)
    assert sorted(i.key for i in result) == ["SUP-103", "SUP-108"]
    body = [r for r in sandbox.requests("jira") if r["method"] == "POST"][-1]["body"]
    jira_schema("SearchAndReconcileRequestBean", body)


def test_cloud_answers_the_removed_search_api_with_410(sandbox):
    env = sandbox.env()
    for version in ("2", "3"):
        r = requests.get(f"{sandbox.jira_url}/rest/api/{version}/search",
                         params={"jql": "project = SUP"}, timeout=10,
                         auth=(env["JIRA_EMAIL"], env["JIRA_API_TOKEN"]))
        assert r.status_code == 410
        assert r.json()["errorMessages"][0].startswith("The requested API has been removed. "
                                                       "Please migrate to the /rest/api/3/"
                                                       "search/jql API.")
    legacy = JIRA(sandbox.jira_url, basic_auth=(env["JIRA_EMAIL"], env["JIRA_API_TOKEN"]),
                  get_server_info=False, timeout=10, max_retries=0)
    with pytest.raises(JIRAError) as exc:
        legacy.search_issues("project = SUP")
    assert exc.value.status_code == 410


def test_datacenter_search_pages_with_start_at_and_total(make_sandbox, jira_schema):
    sb = make_sandbox(flavour="datacenter")
    client = testing.jira(sb)
    _bulk(client, "OPS", 75)
    issues = client.search_issues("project = OPS ORDER BY key ASC", maxResults=False)
    assert [i.key for i in issues][:2] == ["OPS-1", "OPS-2"] and len(issues) == 75
    env = sb.env()
    page = requests.get(f"{sb.jira_url}/rest/api/2/search", params={
        "jql": "project = OPS", "startAt": 50, "maxResults": 50}, timeout=10,
        headers={"Authorization": f"Bearer {env['JIRA_PAT']}"}).json()
    jira_schema("SearchResults", page)
    assert (page["startAt"], page["total"], len(page["issues"])) == (50, 75, 25)
    jql = requests.get(f"{sb.jira_url}/rest/api/2/search/jql", params={"jql": "project = OPS"},
                       headers={"Authorization": f"Bearer {env['JIRA_PAT']}"}, timeout=10)
    assert jql.status_code == 404


def test_jql_dates_are_minutes_in_the_api_users_time_zone(make_sandbox):
    sb = make_sandbox(jira_time_zone="Europe/Berlin")
    client = testing.jira(sb)
    sb.clock.set(datetime(2026, 11, 20, 11, 0, 30, tzinfo=UTC))  # 12:00:30 in Berlin
    key = client.create_issue(project={"key": "ESC"}, issuetype={"name": "Task"},
                              summary="tz probe").key
    fetched = client.issue(key)
    assert fetched.fields.updated.startswith("2026-11-20T12:00:30.")
    assert fetched.fields.updated.endswith("+0100")

    def hits(literal, op=">="):
        return _keys(client, f'project = ESC AND updated {op} "{literal}"')

    assert hits("2026/11/20 12:00") == [key]
    assert hits("2026-11-20 12:00") == [key]
    assert hits("2026/11/20 12:01") == []
    assert hits("2026/11/20 11:30") == [key]  # 10:30 UTC
    assert hits("2026/11/20 11:30", "<") == []  # would match if read as UTC
    assert hits("2026-11-20") == [key]
    assert hits("-5m") == [key] and hits("-1d", "<") == []
    for bad in ("2026/11/20 12:00:30", "2026-11-20T12:00Z"):
        r = _search(sb, f'updated >= "{bad}"')
        assert r.status_code == 400
        assert r.json()["errorMessages"][0].startswith(f"Date value '{bad}' for field "
                                                       "'updated' is invalid.")


def test_search_lags_behind_writes_but_get_by_key_does_not(make_sandbox):
    sb = make_sandbox(search_lag_seconds=30)
    client = testing.jira(sb)
    key = client.create_issue(project={"key": "ESC"}, issuetype={"name": "Task"},
                              summary="fresh").key
    assert client.issue(key).fields.summary == "fresh"
    assert _keys(client, "project = ESC") == []
    sb.clock.advance(31)
    assert _keys(client, "project = ESC") == [key]
    client.issue(key).update(summary="renamed")
    assert _keys(client, 'project = ESC AND summary ~ "renamed"') == []
    sb.clock.advance(31)
    assert _keys(client, 'project = ESC AND summary ~ "renamed"') == [key]


def test_bad_jql_and_unknown_names_get_jiras_messages(sandbox, jira_schema):
    cases = {
        "project = ": "Error in the JQL Query: Expecting either a value, list or function but "
                      "got '<EOF>'.",
        "project SUP": "Error in the JQL Query: Expecting operator but got 'SUP'.",
        "frobnicate = 1": "Field 'frobnicate' does not exist or you do not have permission to "
                          "view it.",
        "project = NOPE": "The value 'NOPE' does not exist for the field 'project'.",
        'summary ~ "open': "Error in the JQL Query: The quoted string 'open' has not been "
                           "completed.",
        "order by key": "Unbounded JQL queries are not allowed here.",
        '"Salesforce Account Id" = "001000000000001AAA"':
            "The operator '=' is not supported by the 'Salesforce Account Id' field.",
    }
    for jql, message in cases.items():
        r = _search(sandbox, jql)
        assert r.status_code == 400, jql
        body = r.json()
        jira_schema("ErrorCollection", body)
        assert body["errors"] == {} and body["errorMessages"][0].startswith(message), jql


def test_jql_clauses_over_the_book(jira_client):
    k = lambda jql: sorted(_keys(jira_client, jql))  # noqa: E731
    assert k("project = SUP AND labels = outage") == ["SUP-103", "SUP-108"]
    assert k("project in (SUP) AND labels in (social, data)") == ["SUP-105", "SUP-108"]
    assert len(k("project = SUP AND labels is EMPTY")) == 7
    assert k('status = "In Progress"') == ["SUP-106"]
    assert k("statusCategory = Done") == ["SUP-107"]
    assert k('project = SUP AND status in ("In Progress", Resolved)') == ["SUP-106", "SUP-107"]
    assert k('"Salesforce Account Id" ~ "001000000000001AAA"') == ["SUP-101", "SUP-102"]
    assert k("Channel = executive_email") == ["SUP-103"]
    assert k("cf[10010] in (social, phone)") == ["SUP-104", "SUP-105"]
    assert k('issuetype = "Support Request" AND priority = Highest') == ["SUP-103", "SUP-108"]
    assert k("key in (SUP-101, SUP-102) AND NOT key = SUP-102") == ["SUP-101"]
    assert k("project = SUP AND (labels = social OR labels = outage) AND NOT priority = "
             "Highest") == ["SUP-105"]
    assert k('reporter = "ops@acme.example"') == ["SUP-101", "SUP-102"]
    assert k("project = SUP AND comment ~ HAR") == ["SUP-104"]


def test_quoted_values_with_escapes_and_parent_clauses(jira_client):
    epic = jira_client.create_issue(project={"key": "ESC"}, issuetype={"name": "Epic"},
                                    summary='Escalation: "Acme" \\ renewal')
    task = jira_client.create_issue(project={"key": "ESC"}, issuetype={"name": "Task"},
                                    summary="step", parent={"key": epic.key})
    sub = jira_client.create_issue(project={"key": "ESC"}, issuetype={"name": "Sub-task"},
                                   summary="sub", parent={"key": task.key})
    assert _keys(jira_client, 'summary ~ "\\"Acme\\" \\\\ renewal"') == [epic.key]
    assert _keys(jira_client, f"parent = {epic.key}") == [task.key]
    assert sorted(_keys(jira_client, f"parent in ({epic.key}, {task.key})")) == sorted(
        [task.key, sub.key])
    assert _keys(jira_client, "project = ESC AND issuetype = Epic") == [epic.key]


def test_order_by_updated_then_key(jira_client, sandbox):
    keys = _keys(jira_client, "project = SUP ORDER BY updated ASC, key ASC")
    issues = [jira_client.issue(k) for k in keys]
    stamps = [i.fields.updated for i in issues]
    parsed = [datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%f%z") for s in stamps]
    assert parsed == sorted(parsed)
    desc = _keys(jira_client, "project = SUP ORDER BY key DESC")
    assert desc[0] == "SUP-110" and desc[-1] == "SUP-101"


def test_text_equality_can_be_enabled_for_custom_text_fields(make_sandbox):
    sb = make_sandbox(jql_text_equals=True)
    client = testing.jira(sb)
    assert sorted(_keys(client, 'cf[10011] = "001000000000001AAA"')) == ["SUP-101", "SUP-102"]
