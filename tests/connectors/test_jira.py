"""The Jira connector with the jira client library against the sandbox."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.errors import SkippableRecordError
from connectors.jira import jql_key, jql_string
from connectors.jira_tickets import plain_text, ticket_from_issue


def test_tickets_page_past_one_page_with_only_the_needed_fields(sandbox, runtime):
    for i in range(130):
        sandbox.add_ticket({"key": f"SUP-{5000 + i}", "summary": f"bulk {i}",
                            "reporter": {"email": "kim@acme.example", "customer": True}})
    jira = runtime.jira
    sandbox.clear_requests()
    issues = list(jira.tickets_since("project = SUP", None))
    assert len(issues) == 19 + 130  # the book's visible tickets and the new ones
    searches = [r for r in sandbox.requests("jira", bodies=False) if r["path"].endswith("/search/jql")]
    assert len(searches) == 2  # 100 + the rest


def test_jql_dates_are_minute_precision_in_the_api_users_zone(runtime):
    jira = runtime.jira  # the sandbox's API user lives in Europe/Berlin (UTC+1 in November)
    assert jira.jql_time(datetime(2026, 11, 20, 12, 5, 59, tzinfo=UTC)) == '"2026/11/20 13:05"'


def test_updated_since_finds_a_ticket_changed_after_the_cursor(sandbox, runtime):
    jira = runtime.jira
    cutoff = sandbox.clock.now()
    sandbox.clock.advance(120)
    sandbox.add_ticket({"key": "SUP-6001", "summary": "late", "reporter": {"email": "a@acme.example"}})
    keys = [i["key"] for i in jira.tickets_since("project = SUP", cutoff)]
    assert keys == ["SUP-6001"]


def test_jql_values_are_quoted_and_escaped(sandbox, runtime):
    assert jql_string('a" OR project = "X') == '"a\\" OR project = \\"X"'
    with pytest.raises(ValueError):
        jql_key("ESC-1 OR project = SUP")
    assert runtime.jira.by_label("ESC", 'x" OR labels is not EMPTY OR labels = "y', ["summary"]) == []


def test_custom_fields_are_found_by_name(runtime):
    ids = runtime.jira.field_ids()
    assert set(ids) == {"channel", "account", "title"} and all(v.startswith("customfield_") for v in ids.values())


def test_support_issue_maps_to_a_ticket_with_visibility_and_channel(sandbox, runtime):
    jira = runtime.jira
    raw = next(i for i in jira.tickets_since("project = SUP", None) if i["key"] == "SUP-101")
    t = ticket_from_issue(raw, jira.field_ids())
    assert t.reporter.customer and t.reporter.email == "kim@acme.example" and t.reporter.title == "VP Operations"
    assert [c.public for c in t.comments] == [True, False, True]
    assert not t.comments[0].author.customer
    raw = next(i for i in jira.tickets_since("project = SUP", None) if i["key"] == "SUP-601")
    assert ticket_from_issue(raw, jira.field_ids()).channel == "social"


@pytest.mark.parametrize("issue,why", [
    ({"key": "SUP-1"}, "no fields"),
    ({"key": "SUP-2", "fields": {"summary": "x"}}, "created"),
    ({"key": "SUP-3", "fields": {"created": "yesterday"}}, "malformed"),
    ({"key": "SUP-4", "fields": {"created": "2026-11-20T12:00:00.000+0000", "labels": 5}}, "malformed"),
])
def test_malformed_issues_are_skippable_errors_naming_the_issue(issue, why):
    with pytest.raises(SkippableRecordError) as err:
        ticket_from_issue(issue, {})
    assert err.value.record_id == issue["key"] and why in str(err.value)


def test_odd_values_degrade_instead_of_failing():
    issue = {"key": "SUP-9", "fields": {
        "created": "2026-11-20T12:00:00.000+0000", "summary": None, "priority": "weird",
        "customfield_1": {"value": "carrier pigeon"}, "components": [{"name": "A"}, "junk", {}],
        "description": {"type": "doc", "content": [{"type": "paragraph", "content": [
            {"type": "text", "text": "we will cancel"}]}]},
        "reporter": {"emailAddress": "X@Acme.Example", "accountType": "customer"}}}
    t = ticket_from_issue(issue, {"channel": "customfield_1"})
    assert t.channel == "portal" and t.priority is None and t.components == ("A",)
    assert "we will cancel" in t.description and t.reporter.email == "x@acme.example"
    assert plain_text("\x00\x01" * 10) == "\x00\x01" * 10
