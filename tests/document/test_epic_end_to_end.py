"""What a CSM sees after a real cycle: the connector, the real jira client and the sandbox.

One ``sync-once`` cycle over the small book against the sandbox (Cloud): every epic's
description, read back on REST v3, is a valid ADF tracking document with seed 004's sections,
the account's ARR and no plan issue called missing; on v2 it reads as text.
"""

from __future__ import annotations

import pytest
import requests

from sandbox.server import Sandbox
from sync.runtime import Runtime
from tests.document.conftest import adf_errors
from tests.document.test_adf_schema import SECTIONS, headings
from tests.paths import EXAMPLES
from tests.redis_server import RedisServer
from tests.sync.conftest import settings_for


@pytest.fixture
def world():
    server = RedisServer()
    with Sandbox(EXAMPLES / "small_book.yaml") as sb:
        try:
            yield sb, Runtime(settings_for(sb, server.url))
        finally:
            server.stop()


def get(sb: Sandbox, path: str, version: str = "3", **params) -> dict:
    env = sb.env()
    answer = requests.get(f"{sb.jira_url}/rest/api/{version}/{path}", params=params, timeout=10,
                          auth=(env["JIRA_EMAIL"], env["JIRA_API_TOKEN"]))
    answer.raise_for_status()
    return answer.json()


def test_after_a_cycle_every_epic_is_the_tracking_document(world) -> None:
    sb, rt = world
    rt.cycle()
    epics = get(sb, "search/jql", jql='project = ESC AND issuetype = Epic', fields="description,summary",
                maxResults=100)["issues"]
    assert len(epics) >= 5
    for epic in epics:
        doc = epic["fields"]["description"]
        assert isinstance(doc, dict), f"{epic['key']}: the description is not ADF on v3"
        assert adf_errors(doc) == [], epic["key"]
        assert headings(doc) == list(SECTIONS), epic["key"]
        text = get(sb, f"issue/{epic['key']}", version="2", fields="description")["fields"]["description"]
        assert "h2. Resolution Plan" in text and "edits here are overwritten" in text
        assert "|ARR|$" in text, "the ARR the escalation carries"
        assert "not created yet" not in text, "a plan issue is never called missing while it exists"
