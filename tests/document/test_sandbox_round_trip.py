"""The sandbox keeps an ADF description as Jira does: v3 returns the document that was sent,
v2 its text rendering; a v2 text edit replaces it; an oversized description is refused."""

from __future__ import annotations

import pytest
import requests

from connectors.jira_document import epic_document
from sandbox.jira_render import to_adf
from sandbox.server import Sandbox
from tests.document.conftest import adf_errors
from tests.document.test_adf_schema import escalation


@pytest.fixture
def sandbox():
    sb = Sandbox(None).start()
    yield sb
    sb.stop()


def call(sb: Sandbox, method: str, path: str, version: str = "3", **kw) -> requests.Response:
    env = sb.env()
    return requests.request(method, f"{sb.jira_url}/rest/api/{version}/{path}", timeout=10,
                            auth=(env["JIRA_EMAIL"], env["JIRA_API_TOKEN"]), **kw)


def epic_fields(description) -> dict:
    return {"project": {"key": "ESC"}, "issuetype": {"name": "Epic"}, "summary": "Acme Corp escalation",
            "description": description}


def test_a_document_posted_on_v3_comes_back_unchanged_and_as_text_on_v2(sandbox) -> None:
    doc = epic_document(escalation(), cloud=True, plan_keys={"intake": "ESC-2"}, jira_url=sandbox.jira_url)
    created = call(sandbox, "POST", "issue", json={"fields": epic_fields(doc)})
    assert created.status_code == 201, created.text
    key = created.json()["key"]
    got = call(sandbox, "GET", f"issue/{key}", params={"fields": "description"}).json()["fields"]["description"]
    assert got == doc and adf_errors(got) == []
    text = call(sandbox, "GET", f"issue/{key}", version="2").json()["fields"]["description"]
    assert isinstance(text, str)
    assert "h2. Resolution Plan" in text and "||Step||Action||Owner||Due||Plan issue||" in text
    assert "Acme Corp (001)" in text


def test_rewriting_in_place_replaces_the_document(sandbox) -> None:
    first = epic_document(escalation(), cloud=True)
    key = call(sandbox, "POST", "issue", json={"fields": epic_fields(first)}).json()["key"]
    second = epic_document(escalation(root_cause="product_bug"), cloud=True)
    assert call(sandbox, "PUT", f"issue/{key}", json={"fields": {"description": second}}).status_code == 204
    assert call(sandbox, "GET", f"issue/{key}").json()["fields"]["description"] == second
    # a plain-text edit on v2 (a person on an old client) is what v3 shows afterwards
    assert call(sandbox, "PUT", f"issue/{key}", version="2",
                json={"fields": {"description": "edited by hand"}}).status_code == 204
    assert call(sandbox, "GET", f"issue/{key}").json()["fields"]["description"] == to_adf("edited by hand")


def test_v3_refuses_a_string_and_an_oversized_document(sandbox) -> None:
    refused = call(sandbox, "POST", "issue", json={"fields": epic_fields("plain text")})
    assert refused.status_code == 400 and "Atlassian Document" in refused.json()["errors"]["description"]
    huge = to_adf("x" * 40_000)
    too_long = call(sandbox, "POST", "issue", json={"fields": epic_fields(huge)})
    assert too_long.status_code == 400
    assert "exceeds the allowed limit of 32,767 characters" in too_long.json()["errors"]["description"]
    on_v2 = call(sandbox, "POST", "issue", version="2", json={"fields": epic_fields("y" * 32_768)})
    assert on_v2.status_code == 400


def test_rendered_fields_show_the_document_as_html(sandbox) -> None:
    doc = epic_document(escalation(), cloud=True, plan_keys={"intake": "ESC-2"}, jira_url="https://j.example")
    key = call(sandbox, "POST", "issue", json={"fields": epic_fields(doc)}).json()["key"]
    html = call(sandbox, "GET", f"issue/{key}", params={"expand": "renderedFields"}).json()["renderedFields"]
    rendered = html["description"]
    assert "<h2>Resolution Plan</h2>" in rendered and '<a href="https://j.example/browse/ESC-2">ESC-2</a>' in rendered
    assert rendered.count('<div class="panel"') == 3 and "<th><p>Escalation ID</p></th>" in rendered
