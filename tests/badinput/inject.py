"""Putting malformed records straight into the sandbox, past the book's validation.

Jira: a new support issue whose *rendered JSON* is overridden field by field (``raw_fields``)
or as a whole (``raw_issue``), so any JSON value can reach the connector while the sandbox's
own search (JQL on project and ``updated``) keeps working. Salesforce: rows stored as given
(``Org.insert_raw``), whatever their types.

Injected accounts (``QUARANTINE``) have no ARR, their own domain and components nobody else
uses, so what their tickets decide cannot change another account's escalation (no shared
multi-customer component, no ARR share, no top-10 rank): the book's own escalations must come
out exactly as ``backtest`` gives them, whatever the injected records hold.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from sandbox import jira_render
from sandbox.server import Sandbox
from sandbox.site import Issue

QUARANTINE_DOMAIN = "quarantine.example"
QUARANTINE = tuple(f"0019{n:011d}QAA" for n in range(1, 4))
HUGE = "cancel the contract " * 12_000  # 240,000 characters: past the 200,000 the connector keeps
HTML = "<p>We <b>will</b> <script>alert('x')</script>cancel &amp; <a href='javascript:0'>leave</a></p>"
UNICODE = "Ünïcødé 🚒 \u202eevil\u202c 中文 عربى \u0000 \ufffd \U0001f4a9 ﷽"
BINARY_LOOKING = bytes(range(256)).decode("latin-1")
ADF = {"type": "doc", "version": 1, "content": [
    {"type": "paragraph", "content": [{"type": "text", "text": "We may "}, {"type": "text", "text": "churn"}]},
    {"type": "bulletList", "content": [{"type": "listItem", "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": "item", "marks": [{"type": "strong"}]}]}]}]},
    {"type": "hardBreak"}, {"type": "mention", "attrs": {"id": "x"}}]}
BROKEN_ADF = {"type": "doc", "content": [None, 5, {"type": "text", "text": 7}, {"content": "nope"}]}


@pytest.fixture
def raw_rendering(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let an issue carry ``raw_fields`` / ``raw_issue``: JSON that replaces what the
    sandbox would render for it (only for issues that have them)."""
    fields, issue = jira_render.Renderer.fields, jira_render.Renderer.issue

    def raw_fields(self: jira_render.Renderer, iss: Issue, wanted: list[str] | None = None) -> dict[str, Any]:
        out = fields(self, iss)
        out.update(copy.deepcopy(getattr(iss, "raw_fields", {})))
        return out if wanted is None else {k: out[k] for k in wanted if k in out}

    def raw_issue(self: jira_render.Renderer, iss: Issue, *args: Any, **kwargs: Any) -> dict[str, Any]:
        out = issue(self, iss, *args, **kwargs)
        out.update(copy.deepcopy(getattr(iss, "raw_issue", {})))
        return out

    monkeypatch.setattr(jira_render.Renderer, "fields", raw_fields)
    monkeypatch.setattr(jira_render.Renderer, "issue", raw_issue)


def quarantine_accounts(sb: Sandbox) -> None:
    """Well-formed accounts for the injected tickets to land on (no ARR, their own domain)."""
    with sb.lock:
        now = sb.clock.now()
        for n, ident in enumerate(QUARANTINE):
            sb.org.insert_raw("Account", {
                "Id": ident, "Name": f"Quarantine {n}", "OwnerId": sb.org.integration_user_id,
                "ARR__c": 0.0, "Segment__c": "smb",
                "Email_Domains__c": f"q{n}.{QUARANTINE_DOMAIN}" if n else QUARANTINE_DOMAIN,
            }, at=now - timedelta(days=400))


def add_issue(sb: Sandbox, key: str, raw_fields: dict[str, Any], raw_issue: dict[str, Any] | None = None,
              duplicate: bool = False) -> Issue:
    """A support issue updated now, rendered with ``raw_fields`` over its own fields."""
    with sb.lock:
        site = sb.site
        now = sb.clock.now()
        reporter = site.add_user(f"someone@{QUARANTINE_DOMAIN}", "Someone", account_type="customer")
        iss = site.add_issue("SUP", "Support Request", "injected", key=key, created=now - timedelta(hours=1),
                             updated=now, reporter=reporter.account_id, creator=reporter.account_id,
                             components=["q-injected"],
                             custom={"customfield_10010": "portal", "customfield_10011": None,
                                     "customfield_10012": None})
        iss.raw_fields = raw_fields  # type: ignore[attr-defined]
        iss.raw_issue = raw_issue or {}  # type: ignore[attr-defined]
        if duplicate:  # the same key twice in one search (moved between pages, say)
            twin = copy.copy(iss)
            twin.id = iss.id + 500_000
            twin.raw_fields = {**raw_fields, "summary": "the other copy"}  # type: ignore[attr-defined]
            site.indexed[f"{key}#twin"] = twin
        return iss


def only_accounts(sb: Sandbox, excluded: set[str]) -> Any:
    """A view of the sandbox for ``tests.sync.outcome.landed`` without ``excluded`` accounts'
    escalations (their records and epics), so the book's own can be compared with backtest."""

    class View:
        def state(self, project: str | None = None) -> dict[str, Any]:
            state = sb.state(project)
            records = state["salesforce"]["Escalation__c"]
            drop = {r["External_Id__c"] for r in records if r["Account__c"] in excluded}
            state["salesforce"]["Escalation__c"] = [r for r in records if r["External_Id__c"] not in drop]
            state["jira"]["epics"] = [e for e in state["jira"]["epics"] if not set(e["labels"]) & drop]
            return state

    return View()


def messages(caplog: pytest.LogCaptureFixture) -> Iterator[str]:
    for record in caplog.records:
        if record.levelname in ("WARNING", "ERROR"):
            yield record.getMessage()


def now_of(sb: Sandbox) -> datetime:
    with sb.lock:
        return sb.clock.now()
