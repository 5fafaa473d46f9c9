"""The epic's description: the escalation's tracking document, in the site's own rich format.

Atlassian Document Format (a JSON document) on Cloud, written through REST v3; wiki markup on
Data Center. The connector owns this field and rewrites it in place as the escalation changes
(the document says so, so people comment instead of editing it).

Jira refuses a description over 32,767 characters. The document is measured as sent (the ADF
JSON, the wiki text) and, when too long, keeps only the newest timeline entries, then the
newest communications, then shortens long texts, saying what it left out; the Salesforce record
keeps everything.
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


Build = Callable[[int | None, int | None, int | None], dict[str, Any] | str]
TEXT_LIMITS = (None, 2_000, 300)
"""The fit's stages: texts whole, then cut to 2,000 characters, then to 300."""


def _largest(fits: Callable[[int], bool], high: int) -> int:
    """The largest n in 0..high with fits(n) (fits(0) holds; sizes grow with n)."""
    low = 0
    while low < high:
        mid = (low + high + 1) // 2
        if fits(mid):
            low = mid
        else:
            high = mid - 1
    return low


def _fit(build: Build, timeline: int, log: int, limit: int) -> dict[str, Any] | str:
    """The fullest document under ``limit``. At each stage of :data:`TEXT_LIMITS`: all of it, else
    the newest timeline entries that fit, else no timeline and the newest communications that fit.
    Past the last stage (never seen in practice), the facts and the ownership note alone."""
    for text in TEXT_LIMITS:
        whole = build(None, None, text)
        if size(whole) <= limit:
            return whole
        if size(build(0, None, text)) <= limit:
            return build(_largest(lambda n, t=text: size(build(n, None, t)) <= limit, timeline), None, text)
        if size(build(0, 0, text)) <= limit:
            return build(0, _largest(lambda n, t=text: size(build(0, n, t)) <= limit, log), text)
    return build(0, 0, 0)


def document_model(esc: Escalation, *, plan_keys: Mapping[str, str] | None = None, arr: float | None = None,
                   communications: Iterable[LogEntry] | None = None, people: Mapping[str, User] | None = None,
                   timeline_keep: int | None = None, communications_keep: int | None = None,
                   text_limit: int | None = None) -> TrackingDocument:
    return tracking_document(esc, arr=arr, plan_keys=plan_keys, communications=communications, people=people,
                             timeline_keep=timeline_keep, communications_keep=communications_keep,
                             text_limit=text_limit)


def epic_document(esc: Escalation, *, cloud: bool, plan_keys: Mapping[str, str] | None = None,
                  jira_url: str | None = None, arr: float | None = None,
                  communications: Iterable[LogEntry] | None = None, people: Mapping[str, User] | None = None,
                  limit: int = DESCRIPTION_LIMIT - HEADROOM) -> dict[str, Any] | str:
    """The epic's description for ``esc``: an ADF document on Cloud (send it through REST v3),
    wiki markup on Data Center (REST v2).

    Args:
        esc: the escalation.
        cloud: Jira Cloud (ADF) or Data Center (wiki markup).
        plan_keys: step -> Jira key, so the plan table links to the plan issues once they exist.
        jira_url: the site's base URL, to make those links absolute (Cloud).
        arr: the account's ARR (the escalation itself does not carry it).
        communications: the customer communication log; None (the default): the one the
            escalation carries (:mod:`rules.communication`), with its count of earlier entries.
        people: email -> User, for the stakeholders' names and roles.
        limit: the largest description to return, in characters as Jira counts them.
    """
    log = None if communications is None else tuple(communications)
    arr = esc.arr if arr is None else arr

    def build(timeline_keep: int | None, log_keep: int | None, text_limit: int | None) -> dict[str, Any] | str:
        doc = document_model(esc, plan_keys=plan_keys, arr=arr, communications=log, people=people,
                             timeline_keep=timeline_keep, communications_keep=log_keep, text_limit=text_limit)
        return jira_adf.render(doc, jira_url) if cloud else jira_wiki.render(doc)

    return _fit(build, len(esc.timeline), len(esc.communications if log is None else log), limit)


def adf(text: str) -> dict[str, Any]:
    """A minimal ADF document: one paragraph per non-empty line (comments, short notes)."""
    content = [{"type": "paragraph", "content": [{"type": "text", "text": line}]}
               for line in text.splitlines() if line.strip()]
    return {"type": "doc", "version": 1, "content": content or [{"type": "paragraph", "content": []}]}
