"""The epic's description: the escalation's tracking document, in the site's own rich format.

Atlassian Document Format (a JSON document) on Cloud, written through REST v3; wiki markup on
Data Center. The connector owns this field and rewrites it in place as the escalation changes.

This first version renders the plain-text summary and timeline; the full tracking document
(seed 004) replaces it behind the same function.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rules.models import Escalation


def plain_text(esc: Escalation) -> str:
    """The description as plain lines (the Data Center body, and the source of the ADF one)."""
    from sync.writes import epic_description  # the current text, kept where it is tested

    return epic_description(esc)


def adf(text: str) -> dict[str, Any]:
    """A minimal ADF document: one paragraph per non-empty line."""
    content = [{"type": "paragraph", "content": [{"type": "text", "text": line}]}
               for line in text.splitlines() if line.strip()]
    return {"type": "doc", "version": 1, "content": content or [{"type": "paragraph", "content": []}]}


def epic_document(esc: Escalation, *, cloud: bool, plan_keys: Mapping[str, str] | None = None,
                  jira_url: str | None = None) -> dict[str, Any] | str:
    """The epic's description for ``esc``: an ADF document on Cloud (send it through REST v3),
    wiki markup on Data Center (REST v2). ``plan_keys`` (step -> Jira key) links the plan table
    to the plan issues once they exist; ``jira_url`` makes the links absolute."""
    text = plain_text(esc)
    return adf(text) if cloud else text
