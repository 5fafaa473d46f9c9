"""Stricter JQL, Jira's parser endpoint, and error bodies that are not ``errorMessages`` JSON."""

from __future__ import annotations

import pytest
import requests

from connectors.errors import FatalError
from connectors.jira import JiraConnector
from connectors.jira_errors import body_message
from sandbox.server import Sandbox
from sync.doctor import run_checks
from sync.runtime import Runtime
from tests.paths import EXAMPLES
from tests.sync.conftest import settings_for

RESERVED = ("Error in the JQL Query: 'SET' is a reserved JQL word. You must surround it in quotation marks "
            "to use it in a query. (line 1, character 11)")


@pytest.fixture
def sandbox():
    with Sandbox(EXAMPLES / "small_book.yaml") as sb:
        yield sb


def auth(sb: Sandbox) -> tuple[str, str]:
    return sb.creds["jira_email"], sb.creds["jira_api_token"]


def test_search_refuses_an_unquoted_reserved_word_and_accepts_it_quoted(sandbox):
    url = f"{sandbox.jira_url}/rest/api/3/search/jql"
    bad = requests.post(url, json={"jql": "project = SET"}, auth=auth(sandbox), timeout=10)
    assert bad.status_code == 400 and bad.json()["errorMessages"] == [RESERVED]
    good = requests.post(url, json={"jql": 'project = "SET"'}, auth=auth(sandbox), timeout=10)
    assert good.status_code == 400 and "does not exist for the field 'project'" in good.json()["errorMessages"][0]
    ok = requests.post(url, json={"jql": "assignee = EMPTY AND project = SUP"}, auth=auth(sandbox), timeout=10)
    assert ok.status_code == 200


def test_the_parser_endpoint_answers_each_query_with_structure_or_errors(sandbox):
    r = requests.post(f"{sandbox.jira_url}/rest/api/3/jql/parse", params={"validation": "strict"},
                      json={"queries": ["project = SET", "project = SUP ORDER BY updated DESC"]},
                      auth=auth(sandbox), timeout=10)
    first, second = r.json()["queries"]
    assert first == {"query": "project = SET", "errors": [RESERVED]}
    assert second["structure"]["where"] == {"field": {"name": "project", "encodedName": "project"},
                                            "operator": "=", "operand": {"value": "SUP", "encodedValue": "SUP"}}
    assert second["structure"]["orderBy"]["fields"][0]["direction"] == "desc"


def test_doctor_names_a_bad_support_jql_with_jiras_message(sandbox, redis_url):
    checks = run_checks(Runtime(settings_for(sandbox, redis_url, jira_support_jql="project = SET")))
    bad = [c for c in checks if "JIRA_SUPPORT_JQL" in c.what]
    assert len(bad) == 1 and not bad[0].ok and not bad[0].warning
    assert RESERVED in bad[0].what and 'project = "SET"' in bad[0].fix  # positions as in the setting


def test_a_cloud_401_is_plain_text_or_message_json(sandbox):
    url = f"{sandbox.jira_url}/rest/api/3/myself"
    r = requests.get(url, auth=("x@y", "bad"), timeout=10)
    assert r.status_code == 401 and r.headers["content-type"].startswith("text/plain")
    assert r.text == "Client must be authenticated to access this resource."
    sandbox.site.unauthorized_shape = "json"
    r = requests.get(url, auth=("x@y", "bad"), timeout=10)
    assert r.json() == {"message": "Client must be authenticated to access this resource.", "status-code": 401}


@pytest.mark.parametrize("shape", ["text", "json"])
def test_the_connector_says_what_a_401_says_whatever_its_shape(sandbox, shape):
    sandbox.site.unauthorized_shape = shape
    jira = JiraConnector(sandbox.jira_url, email=sandbox.creds["jira_email"], api_token="wrong", max_retries=0)
    with pytest.raises(FatalError) as exc:
        jira.zone()
    text = str(exc.value)
    assert "HTTP 401" in text and "JIRA_EMAIL/JIRA_API_TOKEN" in text
    assert "(Client must be authenticated to access this resource.)" in text and "{" not in text


def test_an_html_error_page_becomes_its_title():
    page = ("<!DOCTYPE html><html><head><title>Too Many Requests</title><style>p{x:1}</style></head>"
            "<body><h1>429</h1><p>Slow down &amp; retry.</p></body></html>")
    assert body_message(page, "text/html") == "Too Many Requests"
    assert body_message('{"errorMessages": [], "errors": {"summary": "required"}}') == "summary: required"
    assert body_message("") == ""
