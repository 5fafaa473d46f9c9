"""The end-to-end path on a Jira Cloud site where every Atlassian account hides its e-mail.

Real Jira Cloud leaves ``emailAddress`` out by profile visibility (user search, assignee, comment
and changelog authors, watchers); the connector must still assign, watch and credit the right
people, by account id.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests

from rules.models import Comment, Person
from sandbox.server import Sandbox
from sync.doctor import run_checks
from sync.runtime import Runtime
from tests.paths import EXAMPLES
from tests.sync.conftest import settings_for
from tests.sync.outcome import assert_matches_backtest, expected, landed

UMBRELLA = "001000000000004AAA"


@pytest.fixture
def private() -> Iterator[Sandbox]:
    with Sandbox(EXAMPLES / "small_book.yaml", jira_email_privacy="all") as sb:
        yield sb


def runtime_on(sb: Sandbox, redis_url: str, **overrides) -> Runtime:
    return Runtime(settings_for(sb, redis_url, **overrides), clock=sb.clock.now)


def jira_get(sb: Sandbox, path: str, **params) -> requests.Response:
    return requests.get(f"{sb.jira_url}/rest/api/3/{path}", params=params, timeout=10,
                        auth=(sb.creds["jira_email"], sb.creds["jira_api_token"]))


def test_the_sandbox_hides_emails_in_search_and_issues_but_the_query_still_matches_them(private):
    found = jira_get(private, "user/search", query="kai@vendor.example").json()
    assert [u["displayName"] for u in found] == ["Kai Jensen"] and "emailAddress" not in found[0]
    me = jira_get(private, "myself").json()
    assert me["emailAddress"] == private.creds["jira_email"]  # the API user sees its own


def test_some_users_hide_their_email_by_default(redis_url):
    with Sandbox(EXAMPLES / "small_book.yaml") as sb:
        shown = {u["displayName"]: "emailAddress" in u
                 for q in ("dana@vendor.example", "sam@vendor.example")
                 for u in jira_get(sb, "user/search", query=q).json()}
    assert shown == {"Dana Reyes": False, "Sam Ortiz": True}


def test_with_every_email_hidden_the_book_ends_with_the_backtests_escalations(private, redis_url):
    rt = runtime_on(private, redis_url)
    poll, flush = rt.cycle()
    want = expected(private)
    assert poll.opened == len(want) and not flush.deferred
    assert_matches_backtest(private, want)  # assignees, watchers, plan owners by e-mail in the sandbox


def owner_comment(sb: Sandbox, rt: Runtime, esc, body: str = "On it.") -> None:
    epic = rt.store.index(esc.id)["epic"]
    sb.world.add_comment(epic, Comment(at=sb.clock.now(), author=Person(email=esc.owner, customer=False),
                                       body=body, public=True))


def umbrella_escalation(sb: Sandbox, rt: Runtime):
    sb.add_ticket({"key": "SUP-8001", "summary": "Integration blocked", "priority": "High",
                   "description": "Our sync is blocked; we may cancel.",
                   "reporter": {"email": "ops@umbrella.example", "customer": True}})
    rt.cycle()
    found = [e for e in rt.store.escalations().values() if e.account == UMBRELLA]
    assert len(found) == 1
    return found[0]


def test_the_owners_comment_acknowledges_though_its_author_shows_no_email(private, redis_url):
    rt = runtime_on(private, redis_url)
    esc = umbrella_escalation(private, rt)
    epic = rt.store.index(esc.id)["epic"]
    private.clock.advance(600)
    owner_comment(private, rt, esc)
    comment = jira_get(private, f"issue/{epic}/comment").json()["comments"][-1]
    assert "emailAddress" not in comment["author"]
    rt.watch()
    after = rt.store.escalations()[esc.id]
    assert after.acknowledged_at is not None
    assert any(f"Acknowledged by {esc.owner} via a comment on the epic" in e.text for e in after.timeline)


def test_a_comment_by_someone_else_does_not_acknowledge(private, redis_url):
    rt = runtime_on(private, redis_url)
    esc = umbrella_escalation(private, rt)
    epic = rt.store.index(esc.id)["epic"]
    private.clock.advance(600)
    other = "sam@vendor.example" if esc.owner != "sam@vendor.example" else "dana@vendor.example"
    private.world.add_comment(epic, Comment(at=private.clock.now(), author=Person(email=other, customer=False),
                                            body="Looking too", public=True))
    rt.watch()
    assert rt.store.escalations()[esc.id].acknowledged_at is None


def test_the_intake_transition_is_credited_to_the_owner_by_account_id(private, redis_url):
    rt = runtime_on(private, redis_url)
    esc = umbrella_escalation(private, rt)
    intake = rt.store.index(esc.id)["steps"]["intake"]["key"]
    private.clock.advance(300)
    with private.lock:
        owner = private.site.user_by_email(esc.owner)
        private.site.set_status(private.site.issue(intake), "In Progress", author=owner.account_id)
    rt.watch()
    after = rt.store.escalations()[esc.id]
    assert any(f"Acknowledged by {esc.owner} via the intake sub-task" in e.text for e in after.timeline)


def test_an_ambiguous_search_is_settled_by_the_salesforce_user_field(private, redis_url):
    with private.lock:  # a second hidden account whose e-mail starts with the owner's
        twin = private.site.add_user("kai@vendor.example.org", "Kai J.")
        kai = private.site.user_by_email("kai@vendor.example")
    found = jira_get(private, "user/search", query="kai@vendor.example").json()
    assert {u["accountId"] for u in found} == {kai.account_id, twin.account_id}
    rt = runtime_on(private, redis_url)
    assert rt.jira.account_id("kai@vendor.example") is None  # two hidden matches: ambiguous
    with private.lock:
        row = next(r for r in private.org.records["User"].values() if r["Email"] == "kai@vendor.example")
        row["Jira_Account_Id__c"] = kai.account_id
    rt = runtime_on(private, redis_url)
    assert rt.jira.account_id("kai@vendor.example") == kai.account_id


def test_a_mapping_file_names_the_account(private, redis_url, tmp_path):
    with private.lock:
        private.site.add_user("kai@vendor.example.org", "Kai J.")
        kai = private.site.user_by_email("kai@vendor.example")
    path = tmp_path / "people.csv"
    path.write_text(f"email,account_id\nKai@Vendor.example,{kai.account_id}\n")
    rt = runtime_on(private, redis_url, jira_people_file=str(path))
    assert rt.jira.account_id("kai@vendor.example") == kai.account_id


def test_a_bad_mapping_file_is_refused_naming_the_line(private, redis_url, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("email,account_id\nnot-an-email\n")
    with pytest.raises(ValueError, match="line 2"):
        runtime_on(private, redis_url, jira_people_file=str(path)).jira  # noqa: B018


def test_doctor_lists_who_cannot_be_resolved_and_why(private, redis_url):
    with private.lock:
        private.site.add_user("kai@vendor.example.org", "Kai J.")
    checks = run_checks(runtime_on(private, redis_url))
    people = [c for c in checks if c.area == "jira people"]
    bad = [c for c in people if not c.ok and "has no Jira account" in c.what]
    assert len(bad) == 1 and "kai@vendor.example" in bad[0].what and "ambiguous" in bad[0].what, \
        json.dumps([c.what for c in people])
    assert "Jira_Account_Id__c" in bad[0].fix
    assert any("12 of 13 people" in c.what for c in people)


def test_privacy_and_short_pages_are_settings_of_the_admin_surface(private):
    r = requests.put(f"{private.admin_url}/config", json={"jira_email_privacy": "none", "short_pages": True},
                     timeout=10)
    assert r.status_code < 300, r.text
    assert private.settings()["jira_email_privacy"] == "none" and private.settings()["short_pages"] is True
    found = jira_get(private, "user/search", query="kai@vendor.example").json()
    assert found[0]["emailAddress"] == "kai@vendor.example"
    bad = requests.put(f"{private.admin_url}/config", json={"jira_email_privacy": "most"}, timeout=10)
    assert bad.status_code == 400


def test_a_transient_failure_reading_the_mapping_field_is_asked_again_a_missing_field_is_not():
    from connectors.errors import FatalError, RetriableError
    from connectors.jira_people import People

    calls = []

    def rows():
        calls.append(1)
        if len(calls) == 1:
            raise RetriableError("Salesforce jira people mapping: HTTP 503")
        return [{"Email": "Kai@Vendor.example", "Jira_Account_Id__c": "acc-kai"}]

    people = People(lambda q: [], salesforce_rows=rows)
    assert people.resolve("kai@vendor.example").account_id is None  # not read this time
    assert people.resolve("kai@vendor.example").account_id == "acc-kai" and people.problems == []
    people.resolve("kai@vendor.example")
    assert len(calls) == 2  # read once it worked

    def missing():
        calls.append(1)
        raise FatalError("Salesforce jira people mapping: INVALID_FIELD: No such column 'Jira_Account_Id__c'")

    gone = People(lambda q: [], salesforce_rows=missing)
    gone.resolve("kai@vendor.example")
    gone.resolve("kai@vendor.example")
    assert len(calls) == 3 and "not readable" in gone.problems[0]


def test_a_person_jira_cannot_tell_is_not_remembered_as_missing(private, redis_url):
    with private.lock:  # the owner's search is ambiguous: the epic gets no assignee ...
        private.site.add_user("kai@vendor.example.org", "Kai J.")
        kai = private.site.user_by_email("kai@vendor.example")
    rt = runtime_on(private, redis_url)
    esc = umbrella_escalation(private, rt)
    assert esc.owner == "kai@vendor.example"
    assert landed(private)[UMBRELLA]["epic"]["assignee"] is None
    assert rt.store.jira_user_ids([esc.owner]) == {}  # ... and is asked again once a mapping exists
    with private.lock:
        row = next(r for r in private.org.records["User"].values() if r["Email"] == esc.owner)
        row["Jira_Account_Id__c"] = kai.account_id
    assert runtime_on(private, redis_url).jira.account_id(esc.owner) == kai.account_id
