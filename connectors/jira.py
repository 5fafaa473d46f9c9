"""Jira over the jira client library: support tickets in, escalation epics and plan issues out.

Custom fields are found by name once (``/field``) and cached; JQL dates are written at Jira's
minute precision in the API user's time zone (``/myself``); searches page by
``nextPageToken`` (Cloud) or ``startAt`` (Data Center) and ask only for the fields needed.
Every value put into JQL is quoted and escaped. HTTP outcomes map onto
:mod:`connectors.errors`; the client's own session retries 429s with ``Retry-After``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import requests
from jira import JIRA, JIRAError

from connectors.calls import count_call, response_hook
from connectors.errors import FatalError, RetriableError

log = logging.getLogger(__name__)
T = TypeVar("T")
PAGE = 100
BULK = 50  # issues per bulk create (Jira's limit)
_KEY = re.compile(r"^[A-Z][A-Z0-9_]*-\d+$")
TICKET_FIELDS = ["summary", "description", "priority", "labels", "components", "status", "reporter",
                 "created", "updated", "comment"]


def jql_string(value: str) -> str:
    """A JQL string literal: double-quoted, with backslash and quote escaped."""
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def jql_key(value: str) -> str:
    if not _KEY.match(value):
        raise ValueError(f"not an issue key: {value!r}")
    return value


class JiraConnector:
    def __init__(self, url: str, *, email: str | None = None, api_token: str | None = None,
                 pat: str | None = None, timeout: float = 30.0, max_retries: int = 3,
                 ca_bundle: str | None = None,
                 field_names: dict[str, str] | None = None, on_error: Callable[[int], None] | None = None):
        auth: dict[str, Any] = {"token_auth": pat} if pat else {"basic_auth": (email, api_token)}
        try:
            options = {"verify": ca_bundle} if ca_bundle else {}
            self.client = JIRA(server=url, timeout=timeout, max_retries=max_retries, options=options, **auth)
        except JIRAError as exc:
            raise _mapped("connect", exc) from exc
        except requests.RequestException as exc:
            raise RetriableError(f"Jira at {url} unreachable: {type(exc).__name__}") from exc
        count_call("jira", 200)  # the constructor's serverInfo, made before a hook could be attached
        self.client._session.hooks["response"].append(response_hook("jira"))
        self.cloud = bool(getattr(self.client, "_is_cloud", False))
        self.field_names = field_names or {"channel": "Channel", "account": "Salesforce Account Id",
                                           "title": "Reporter Title"}
        self._field_ids: dict[str, str] | None = None
        self._zone: ZoneInfo | None = None

    # --- plumbing ------------------------------------------------------------------------

    def call(self, what: str, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except JIRAError as exc:
            raise _mapped(what, exc) from exc
        except requests.RequestException as exc:
            raise RetriableError(f"Jira {what}: {type(exc).__name__}") from exc

    def url(self, path: str) -> str:
        return self.client._get_url(path)  # the client's own URL builder (rest/api/2/...)

    def send(self, what: str, method: str, path: str, body: Any = None) -> Any:
        """A call through the client's own session (auth, retries), for endpoints whose client
        helper would add lookups we do not need (watchers, links, field updates)."""
        def go() -> Any:
            data = json.dumps(body) if body is not None else None
            response = self.client._session.request(method, self.url(path), data=data)
            return response.json() if response.content else None
        return self.call(what, go)

    def field_ids(self) -> dict[str, str]:
        """Custom field ids by the configured names; a missing field is a fatal setup error."""
        if self._field_ids is None:
            # the client's own clause-name cache: one /field call serves it and the searches
            cache = self.call("fields", lambda: self.client._fields_cache)
            by_name = {name.lower(): ident for name, ident in cache.items()}
            ids = {}
            for role, name in self.field_names.items():
                if name.lower() not in by_name:
                    log.warning("jira field %r not found; %s will be read as empty", name, role)
                else:
                    ids[role] = by_name[name.lower()]
            self._field_ids = ids
        return self._field_ids

    def zone(self) -> ZoneInfo:
        """The API user's time zone, in which Jira reads JQL dates."""
        if self._zone is None:
            me = self.call("myself", self.client.myself)
            try:
                self._zone = ZoneInfo(me.get("timeZone") or "UTC")
            except (KeyError, ValueError):
                self._zone = ZoneInfo("UTC")
        return self._zone

    def jql_time(self, moment: datetime) -> str:
        """``"2026/11/20 13:05"``: minute precision (floored), in the API user's time zone."""
        local = moment.astimezone(self.zone())
        return jql_string(local.strftime("%Y/%m/%d %H:%M"))

    # --- reads ---------------------------------------------------------------------------

    def search(self, what: str, jql: str, fields: list[str], expand: str | None = None) -> Iterator[dict[str, Any]]:
        """Every issue matching ``jql``, page by page, with only ``fields`` (and ``expand``, Data Center)."""
        if self.cloud:
            token: str | None = None
            while True:
                page = self.call(what, lambda t=token: self.client.enhanced_search_issues(
                    jql, nextPageToken=t, maxResults=PAGE, fields=fields, json_result=True))
                yield from page.get("issues", [])
                token = page.get("nextPageToken")
                if not token:
                    return
        start = 0
        while True:
            page = self.call(what, lambda s=start: self.client.search_issues(
                jql, startAt=s, maxResults=PAGE, fields=fields, expand=expand, json_result=True))
            issues = page.get("issues", [])
            yield from issues
            start += len(issues)
            if not issues or start >= int(page.get("total", 0)):
                return

    def tickets_since(self, base_jql: str, since: datetime | None) -> Iterator[dict[str, Any]]:
        """Support issues updated at or after ``since`` (minute-floored), oldest first."""
        jql = f"({base_jql})"
        if since is not None:
            jql += f" AND updated >= {self.jql_time(since)}"
        jql += " ORDER BY updated ASC, key ASC"
        fields = TICKET_FIELDS + sorted(self.field_ids().values())
        for issue in self.search("ticket search", jql, fields):
            yield self._complete_comments(issue)

    def _complete_comments(self, issue: dict[str, Any]) -> dict[str, Any]:
        """Search embeds a capped page of comments; fetch the rest when there are more."""
        fields = issue.get("fields")
        block = fields.get("comment") if isinstance(fields, dict) else None
        if not isinstance(block, dict) or not isinstance(block.get("comments") or [], list):
            return issue  # malformed: ticket_from_issue skips or degrades it, by key
        have = len(block.get("comments") or [])
        try:
            total = int(block.get("total") or have)
        except (TypeError, ValueError):
            return issue
        if total <= have or not issue.get("key"):
            return issue
        comments, start = [], 0
        while True:
            page = self.send("comments", "GET", f"issue/{issue['key']}/comment?startAt={start}&maxResults=100")
            comments.extend(page.get("comments", []))
            start += len(page.get("comments", []))
            if not page.get("comments") or start >= int(page.get("total", 0)):
                break
        issue["fields"]["comment"] = {"comments": comments, "total": len(comments)}
        return issue

    def activity_since(self, project: str, since: datetime | None, extra_fields: list[str]) -> Iterator[dict[str, Any]]:
        """The connector's own issues (epics, plan issues) changed since ``since``, with their
        status, comments and changelog, oldest change first."""
        jql = f"project = {jql_string(project)} AND labels = {jql_string('escalation-sync')}"
        if since is not None:
            jql += f" AND updated >= {self.jql_time(since)}"
        jql += " ORDER BY updated ASC, key ASC"
        fields = ["status", "labels", "parent", "comment", "updated", "issuetype", *extra_fields]
        if self.cloud:
            token: str | None = None
            while True:
                page = self.call("activity search", lambda t=token: self.client.enhanced_search_issues(
                    jql, nextPageToken=t, maxResults=PAGE, fields=fields, expand="changelog",
                    json_result=True))
                for issue in page.get("issues", []):
                    yield self._complete_comments(issue)
                token = page.get("nextPageToken")
                if not token:
                    return
        for issue in self.search("activity search", jql, fields, expand="changelog"):  # i12: people's changes
            yield self._complete_comments(issue)

    def field_id(self, name: str) -> str | None:
        """A field's id by its name, or None when the site has no such field."""
        cache = self.call("fields", lambda: self.client._fields_cache)
        return {k.lower(): v for k, v in cache.items()}.get(name.lower())

    def by_label(self, project: str, label: str, fields: list[str]) -> list[dict[str, Any]]:
        jql = f"project = {jql_string(project)} AND labels = {jql_string(label)}"
        return list(self.search("find by label", jql, fields))

    def children(self, key: str, fields: list[str]) -> list[dict[str, Any]]:
        """An epic's child issues: ``parent`` on Cloud, the "Epic Link" field on Data Center."""
        clause = "parent" if self.cloud else jql_string("Epic Link")
        return list(self.search("find children", f"{clause} = {jql_key(key)}", fields))

    def account_id(self, email: str) -> str | None:
        """The Jira user with exactly this email (Cloud accountId, Data Center name)."""
        users = self.call("user search", lambda: self.client.search_users(query=email, maxResults=20))
        for user in users:
            raw = getattr(user, "raw", {})
            if str(raw.get("emailAddress", "")).lower() == email.lower():
                return str(raw.get("accountId") or raw.get("name"))
        return None

    # --- writes --------------------------------------------------------------------------

    def create(self, issues: list[dict[str, Any]]) -> list[str | None]:
        """Bulk create (50 a call); the new keys in input order, None where Jira refused one."""
        keys: list[str | None] = []
        for start in range(0, len(issues), BULK):
            chunk = issues[start:start + BULK]
            results = self.call("bulk create", lambda c=chunk: self.client.create_issues(c, prefetch=False))
            for fields, result in zip(chunk, results, strict=True):
                if result.get("status") == "Success" and result.get("issue") is not None:
                    keys.append(result["issue"].key)
                else:
                    log.error("jira refused to create %r: %s", fields.get("summary"), result.get("error"))
                    keys.append(None)
        return keys

    def update(self, key: str, fields: dict[str, Any]) -> None:
        self.send("update issue", "PUT", f"issue/{jql_key(key)}", {"fields": fields})

    def comment(self, key: str, body: str) -> None:
        self.send("comment", "POST", f"issue/{jql_key(key)}/comment", {"body": body})

    def watch(self, key: str, account_id: str) -> None:
        self.send("add watcher", "POST", f"issue/{jql_key(key)}/watchers", account_id)

    def link(self, link_type: str, inward: str, outward: str) -> None:
        self.send("link issues", "POST", "issueLink", {
            "type": {"name": link_type}, "inwardIssue": {"key": inward}, "outwardIssue": {"key": outward}})


def _mapped(what: str, exc: JIRAError) -> Exception:
    status = exc.status_code or 0
    text = (exc.text or "")[:300]
    if status == 429 or status >= 500 or status == 0:
        retry = None
        if exc.response is not None:
            try:
                retry = float(exc.response.headers.get("Retry-After", ""))
            except ValueError:
                retry = None
        return RetriableError(f"Jira {what}: HTTP {status or 'no answer'}", retry_after=retry)
    if status in (401, 403):
        return FatalError(f"Jira {what}: HTTP {status}: check JIRA_EMAIL/JIRA_API_TOKEN (or JIRA_PAT) "
                          f"and the API user's permissions ({text})")
    return FatalError(f"Jira {what}: HTTP {status}: {text}")


