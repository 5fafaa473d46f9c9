"""SOQL and JQL injection: no value from the data (account names, e-mails, ticket text,
labels, external ids) changes a query the connector sends, or widens what it gets back.

The exact query text is read from the sandbox's request log (what the server parsed)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sync.runtime import Runtime
from tests.security.conftest import queries
from tests.sync.conftest import settings_for
from tests.sync.outcome import landed

MARK = "INJ3CT"
SOQL_PAYLOADS = [f"x' OR Name != '{MARK}", f"{MARK}\\' OR Id != \\'", f"{MARK}' OR External_Id__c LIKE '%",
                 f"{MARK}') OR (Id != '"]
JQL_PAYLOADS = [f'{MARK}" OR labels is not EMPTY OR labels = "x', f'{MARK}\\" OR project = SUP OR labels = \\"',
                f"{MARK}' OR project = ESC OR labels = '", f'{MARK}") OR (project = "ESC']


@pytest.fixture
def rt(sandbox, redis_url) -> Runtime:
    runtime = Runtime(settings_for(sandbox, redis_url))
    runtime.cycle()  # records and epics exist, so a widened query would find something
    sandbox.clear_requests()
    return runtime


@pytest.mark.parametrize("payload", SOQL_PAYLOADS)
def test_external_ids_and_account_ids_stay_inside_soql_literals(sandbox, rt: Runtime, payload):
    found = rt.salesforce.get_by_external_ids("Escalation__c", "External_Id__c", [payload, "ESC-none"])
    history = rt.salesforce.account_health(payload)
    assert found == {} and history == []
    (_, by_external), (_, by_account) = queries(sandbox)
    assert by_external.endswith("WHERE External_Id__c IN ('" + _soql_escaped(payload) + "','ESC-none')")
    assert f"AccountId = '{_soql_escaped(payload)}' AND Field = 'Health_Score__c'" in by_account


def test_the_same_soql_unquoted_would_have_widened_the_result(sandbox, rt: Runtime):
    """The control: the payload pasted raw into the query returns every record."""
    raw = f"SELECT Id FROM Escalation__c WHERE External_Id__c = '{SOQL_PAYLOADS[0]}'"
    rows = list(rt.salesforce.query("control", raw))
    assert len(rows) == len(landed(sandbox)) > 0


@pytest.mark.parametrize("payload", JQL_PAYLOADS)
def test_labels_and_projects_stay_inside_jql_literals(sandbox, rt: Runtime, payload):
    assert rt.jira.by_label("ESC", payload, ["summary"]) == []
    (_, jql), = queries(sandbox)
    escaped = payload.replace("\\", "\\\\").replace('"', '\\"')
    assert jql == f'project = "ESC" AND labels = "{escaped}"'


def test_the_same_jql_unquoted_would_have_widened_the_result(sandbox, rt: Runtime):
    raw = f'project = ESC AND labels = "{JQL_PAYLOADS[0]}"'
    assert len(list(rt.jira.search("control", raw, ["summary"]))) > len(landed(sandbox))


@pytest.mark.parametrize("key", ["ESC-1 OR project = SUP", "ESC-1\" OR \"1", "esc-1", "ESC-1) OR (key = SUP-1"])
def test_an_issue_key_that_is_not_a_key_never_reaches_jql(sandbox, rt: Runtime, key):
    with pytest.raises(ValueError, match="not an issue key"):
        rt.jira.children(key, ["labels"])
    assert queries(sandbox) == []


def test_hostile_tickets_and_accounts_change_no_query(sandbox, redis_url):
    """Account names, domains, reporter e-mails, ticket text, labels and comments full of SOQL
    and JQL syntax: every query of a full cycle is one the connector would send anyway, and
    the hostile account's escalation carries its name as plain text."""
    evil_name = f"Evil' OR Name != '' -- \" OR project = SUP {MARK}"
    with sandbox.lock:
        now = sandbox.clock.now()
        sandbox.org.insert_raw("Account", {
            "Id": "001900000000066EVL", "Name": evil_name, "ARR__c": 0.0, "Segment__c": "smb",
            "OwnerId": sandbox.org.integration_user_id, "Email_Domains__c": "evil.example"},
            at=now - timedelta(days=400))
    for n, payload in enumerate(SOQL_PAYLOADS + JQL_PAYLOADS):
        sandbox.add_ticket({
            "key": f"SUP-{8800 + n}", "summary": f"We will cancel {payload}", "description": payload,
            "labels": [payload.replace(" ", "_")], "components": [f"evil-{MARK}"], "priority": "High",
            "reporter": {"email": f"o'brien.{n}\"{MARK}@evil.example", "name": payload, "customer": True},
            "comments": [{"at": now.isoformat(), "author": {"email": f"x{n}@evil.example", "customer": True},
                          "body": payload}]})
    clean = _queries_of_a_clean_run(sandbox.book, redis_url)
    rt = Runtime(settings_for(sandbox, redis_url))
    rt.cycle()
    sent = queries(sandbox)
    assert not [q for q in sent if MARK in q[1]], [q for q in sent if MARK in q[1]]
    assert {_shape(q) for q in sent if q[0] != "user"} <= {_shape(q) for q in clean}
    evil = landed(sandbox)["001900000000066EVL"]
    assert evil_name in evil["record"]["Timeline__c"] or evil_name[:40] in str(evil["epic"]["summary"])


def _soql_escaped(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


def _shape(q: tuple[str, str]) -> tuple[str, str]:
    """A query without its timestamps (cursors differ from run to run)."""
    import re

    text = re.sub(r"\d{4}-\d\d-\d\dT[\d:.]+(\+00:00|Z)?", "<t>", q[1])
    return q[0], re.sub(r'"\d{4}/\d\d/\d\d \d\d:\d\d"', "<t>", text)


def _queries_of_a_clean_run(book, redis_url: str) -> list[tuple[str, str]]:
    import redis

    from sandbox.server import Sandbox

    with Sandbox(book, shift=False) as clean:
        redis.Redis.from_url(redis_url).flushall()
        Runtime(settings_for(clean, redis_url)).cycle()
        out = queries(clean)
    redis.Redis.from_url(redis_url).flushall()
    return out
