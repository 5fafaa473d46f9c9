"""The epic's description: the escalation's tracking document, in the site's own rich format.

Atlassian Document Format (a JSON document) on Cloud, written through REST v3; wiki markup on
Data Center. The connector owns this field and rewrites it in place as the escalation changes
(the document says so, so people comment instead of editing it).

Jira refuses a description over 32,767 characters. The document is measured as sent (the ADF
JSON, the wiki text) and, when too long, keeps only the newest timeline entries, then the
newest communications, saying how many it left out; the Salesforce record keeps them all.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from connectors import jira_adf, jira_wiki
from rules.communication import LogEntry
from rules.models import Escalation, User
from rules.tracking import TrackingDocument, tracking_document

DESCRIPTION_LIMIT = 32_767
"""Jira's limit on a text field (Cloud and Data Center's default ``jira.text.field.character.limit``)."""
HEADROOM = 767
"""Kept free below the limit: Jira counts some characters (escapes, non-BMP) differently."""


def size(document: dict[str, Any] | str) -> int:
    """The description's length as Jira measures it: the text, or the ADF document's JSON."""
    return len(document) if isinstance(document, str) else len(json.dumps(document, ensure_ascii=False))


def _fit(build: Callable[[int | None, int | None], dict[str, Any] | str], timeline: int, log: int,
         limit: int) -> dict[str, Any] | str:
    """The fullest document under ``limit``: all of it, else the newest timeline entries, else fewer
    communications too (a binary search on each count: the sizes grow with them)."""
    whole = build(None, None)
    if size(whole) <= limit:
        return whole

    def largest(fits: Callable[[int], bool], high: int) -> int:
        low = 0
        while low < high:
            mid = (low + high + 1) // 2
            if fits(mid):
                low = mid
            else:
                high = mid - 1
        return low

    if size(build(0, None)) <= limit:
        keep = largest(lambda n: size(build(n, None)) <= limit, timeline)
        return build(keep, None)
    keep_log = largest(lambda n: size(build(0, n)) <= limit, log)
    return build(0, keep_log)


def document_model(esc: Escalation, *, plan_keys: Mapping[str, str] | None = None, arr: float | None = None,
                   communications: Iterable[LogEntry] = (), people: Mapping[str, User] | None = None,
                   timeline_keep: int | None = None, communications_keep: int | None = None) -> TrackingDocument:
    return tracking_document(esc, arr=arr, plan_keys=plan_keys, communications=communications, people=people,
                             timeline_keep=timeline_keep, communications_keep=communications_keep)


def epic_document(esc: Escalation, *, cloud: bool, plan_keys: Mapping[str, str] | None = None,
                  jira_url: str | None = None, arr: float | None = None,
                  communications: Iterable[LogEntry] = (), people: Mapping[str, User] | None = None,
                  limit: int = DESCRIPTION_LIMIT - HEADROOM) -> dict[str, Any] | str:
    """The epic's description for ``esc``: an ADF document on Cloud (send it through REST v3),
    wiki markup on Data Center (REST v2).

    Args:
        esc: the escalation.
        cloud: Jira Cloud (ADF) or Data Center (wiki markup).
        plan_keys: step -> Jira key, so the plan table links to the plan issues once they exist.
        jira_url: the site's base URL, to make those links absolute (Cloud).
        arr: the account's ARR (the escalation itself does not carry it).
        communications: the customer communication log (:func:`rules.communication.communication_log`).
        people: email -> User, for the stakeholders' names and roles.
        limit: the largest description to return, in characters as Jira counts them.
    """
    log = tuple(communications)

    def build(timeline_keep: int | None, log_keep: int | None) -> dict[str, Any] | str:
        doc = document_model(esc, plan_keys=plan_keys, arr=arr, communications=log, people=people,
                             timeline_keep=timeline_keep, communications_keep=log_keep)
        return jira_adf.render(doc, jira_url) if cloud else jira_wiki.render(doc)

    return _fit(build, len(esc.timeline), len(log), limit)


def adf(text: str) -> dict[str, Any]:
    """A minimal ADF document: one paragraph per non-empty line (comments, short notes)."""
    content = [{"type": "paragraph", "content": [{"type": "text", "text": line}]}
               for line in text.splitlines() if line.strip()]
    return {"type": "doc", "version": 1, "content": content or [{"type": "paragraph", "content": []}]}
