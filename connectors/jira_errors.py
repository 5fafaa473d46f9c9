"""Readable messages from whatever a Jira error body is, and Jira's own JQL validation.

Why: real Jira answers errors in several shapes: ``{"errorMessages": [...], "errors": {...}}``
(most REST errors), ``{"message": ..., "status-code": 401}`` (a Cloud 401, as pasted in
jira-node/node-jira-client#255), plain text ("Client must be authenticated to access this
resource.", "Basic authentication with passwords is deprecated. ..."), or an HTML page (a 429 or a
proxy's 5xx). Every one becomes one short line for logs and ``doctor``.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

_TAG = re.compile(r"<[^>]+>")
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_SCRIPT = re.compile(r"<(script|style)[^>]*>.*?</\1>", re.IGNORECASE | re.DOTALL)
LIMIT = 240


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= LIMIT else text[: LIMIT - 1] + "…"


def body_message(body: str | bytes | None, content_type: str = "") -> str:
    """One line saying what an error body says (empty when it says nothing)."""
    if body is None:
        return ""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    if not text.strip():
        return ""
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        parts: list[str] = []
        messages = data.get("errorMessages")
        if isinstance(messages, list):
            parts.extend(str(m) for m in messages if m)
        errors = data.get("errors")
        if isinstance(errors, dict):
            parts.extend(f"{k}: {v}" for k, v in errors.items())
        for key in ("message", "errorMessage", "error_description", "error"):
            if not parts and data.get(key):
                parts.append(str(data[key]))
        return _short("; ".join(parts) if parts else text)
    if isinstance(data, list):
        return _short("; ".join(str(d.get("message", d)) if isinstance(d, dict) else str(d) for d in data))
    if "html" in content_type.lower() or text.lstrip().lower().startswith(("<!doctype", "<html")):
        title = _TITLE.search(text)
        stripped = html.unescape(_TAG.sub(" ", _SCRIPT.sub(" ", text)))
        found = html.unescape(title.group(1)) if title else stripped
        return _short(found or stripped)
    return _short(text)


def error_text(exc: Any) -> str:
    """The message of a ``JIRAError`` (or anything with ``response``/``text``)."""
    response = getattr(exc, "response", None)
    if response is not None and getattr(response, "content", None):
        return body_message(response.content, response.headers.get("Content-Type", ""))
    return _short(str(getattr(exc, "text", "") or ""))


def jql_problems(jira: Any, jql: str) -> tuple[list[str], list[str]]:
    """Jira's own verdict on ``jql`` (``POST /rest/api/3/jql/parse?validation=strict``): errors
    and warnings in Jira's words. Cloud only (Data Center has no such endpoint)."""
    url = f"{jira.client.server_url}/rest/api/3/jql/parse?validation=strict"

    def go() -> Any:
        return jira.client._session.post(url, data=json.dumps({"queries": [jql]})).json()

    answer = jira.call("jql parse", go)
    found = (answer.get("queries") or [{}])[0] if isinstance(answer, dict) else {}
    return [str(e) for e in found.get("errors") or []], [str(w) for w in found.get("warnings") or []]
