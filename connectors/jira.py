"""Jira over the jira client library: support tickets in, escalation epics and plan issues out.

Custom fields are found by name once (``/field``) and cached; JQL dates are written at Jira's
minute precision in the API user's time zone (``/myself``); searches page by
``nextPageToken`` (Cloud) or ``startAt`` (Data Center) and ask only for the fields needed; every
paged read (searches, comments, changelogs) goes through :mod:`connectors.pagination`, and what a
search embeds capped (comments; Cloud's changelog, 40 histories) is completed from its own resource.
Every value put into JQL is quoted and escaped. HTTP outcomes map onto
:mod:`connectors.errors`. The client's own retries are off (``max_retries=0``): one retry policy,
the shell's (a ``gate`` paces every request and absorbs a 429 by its ``Retry-After``, scoped by
``RateLimit-Reason``; the task layer retries the rest). Writes go through REST v3 on Cloud (the
epic's description is an ADF document) and v2 on Data Center; ticket links ride inside the
create request (``update.issuelinks``).
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
from connectors.jira_errors import error_text
from connectors.jira_people import people_for
from connectors.jira_retries import no_blind_write_retries
from connectors.pagination import OffsetPaginator, TokenPaginator, count_of, paged

log = logging.getLogger(__name__)
T = TypeVar("T")
PAGE = 100
BULK = 50  # issues per bulk create (Jira's limit)
SEARCH_CHANGELOG_CAP = 40  # histories Cloud's enhanced search embeds per issue at most (JRACLOUD-96459)
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
                 pat: str | None = None, timeout: float = 30.0, max_retries: int = 0,
                 ca_bundle: str | None = None,
                 field_names: dict[str, str] | None = None, on_error: Callable[[int], None] | None = None,
                 gate: Callable[[Any], None] | None = None):
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
        if gate is not None:  # pacing and 429s: the shell's limiter wraps the session
            gate(self.client._session)
        no_blind_write_retries(self.client._session)  # a POST whose answer was lost is not repeated (i16)
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

    def url(self, path: str, version: int = 2) -> str:
        if version == 2:
            return self.client._get_url(path)  # the client's own URL builder (rest/api/2/...)
        return f"{self.client._options['server']}/rest/api/{version}/{path}"

    @property
    def write_version(self) -> int:
        """REST v3 on Cloud (rich text is ADF there), v2 on Data Center."""
        return 3 if self.cloud else 2

    def send(self, what: str, method: str, path: str, body: Any = None, version: int = 2) -> Any:
        """A call through the client's own session (auth, the gate), for endpoints whose client
        helper would add lookups we do not need (watchers, links, field updates)."""
        def go() -> Any:
            data = json.dumps(body) if body is not None else None
            response = self.client._session.request(method, self.url(path, version), data=data)
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
        """Every issue matching ``jql``, page by page, with only ``fields`` (and ``expand``):
        ``nextPageToken`` pages on Cloud, ``startAt`` pages on Data Center (connectors/pagination.py)."""
        if self.cloud:
            return paged(TokenPaginator("issues", what), lambda p: self.call(
                what, lambda: self.client.enhanced_search_issues(
                    jql, nextPageToken=p["nextPageToken"], maxResults=PAGE, fields=fields, expand=expand,
                    json_result=True)))
        return paged(OffsetPaginator("issues", what, PAGE), lambda p: self.call(
            what, lambda: self.client.search_issues(
                jql, startAt=p["startAt"], maxResults=p["maxResults"], fields=fields, expand=expand,
                json_result=True)))

    def pages(self, what: str, path: str, items_key: str) -> Iterator[dict[str, Any]]:
        """Every item of a ``startAt``-paged REST v2 resource (comments, changelog), through ``send``."""
        return paged(OffsetPaginator(items_key, what, PAGE), lambda p: self.send(
            what, "GET", f"{path}?startAt={p['startAt']}&maxResults={p['maxResults']}"))

    def tickets_since(self, base_jql: str, since: datetime | None,
                      until: datetime | None = None) -> Iterator[dict[str, Any]]:
        """Support issues updated at or after ``since`` (and before ``until``; both minute-floored,
        so adjacent windows part the issues exactly), oldest first."""
        jql = f"({base_jql})"
        if since is not None:
            jql += f" AND updated >= {self.jql_time(since)}"
        if until is not None:
            jql += f" AND updated < {self.jql_time(until)}"
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
        comments = list(self.pages("comments", f"issue/{issue['key']}/comment", "comments"))
        issue["fields"]["comment"] = {"comments": comments, "total": len(comments)}
        return issue

    def _complete_changelog(self, issue: dict[str, Any]) -> dict[str, Any]:
        """Cloud's enhanced search embeds only the most recent changelog histories (40 at most,
        JRACLOUD-96459; the old search embedded 100), so a busy issue's earlier changes (a
        reassignment pushed out by later field updates) would be lost to the people-following
        watch: read the whole changelog (``GET issue/{key}/changelog``, oldest first) when the
        embedded one is cut or as long as the cap (``total`` is documented only as "the number of
        results on the page", so the cap is the dependable sign). Data Center embeds every history."""
        block = issue.get("changelog")
        if not self.cloud or not isinstance(block, dict) or not issue.get("key"):
            return issue
        histories = block.get("histories")
        if not isinstance(histories, list):
            return issue
        if len(histories) < SEARCH_CHANGELOG_CAP and (count_of(block.get("total")) or 0) <= len(histories):
            return issue
        values = list(self.pages("changelog", f"issue/{jql_key(str(issue['key']))}/changelog", "values"))
        issue["changelog"] = {"startAt": 0, "maxResults": len(values), "total": len(values), "histories": values}
        return issue

    def activity_since(self, project: str, since: datetime | None, extra_fields: list[str]) -> Iterator[dict[str, Any]]:
        """The connector's own issues (epics, plan issues) changed since ``since``, with their
        status, comments and changelog, oldest change first."""
        fields = ["status", "labels", "parent", "comment", "updated", "issuetype", *extra_fields]
        for issue in self.search("activity search", self._activity_jql(project, since), fields,
                                 expand="changelog"):  # i12: people's changes
            yield self._complete_comments(self._complete_changelog(issue))

    def activity_stamps(self, project: str, since: datetime) -> Iterator[tuple[str, str]]:
        """Key and ``updated`` of the same issues, oldest change first: a light read (one field,
        no changelog, no comments) that says which of them changed since the watch read them."""
        for issue in self.search("activity stamps", self._activity_jql(project, since), ["updated"]):
            yield str(issue.get("key")), str((issue.get("fields") or {}).get("updated") or "")

    def _activity_jql(self, project: str, since: datetime | None) -> str:
        jql = f"project = {jql_string(project)} AND labels = {jql_string('escalation-sync')}"
        if since is not None:
            jql += f" AND updated >= {self.jql_time(since)}"
        return jql + " ORDER BY updated ASC, key ASC"

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
        """The Jira user for this e-mail (Cloud accountId, Data Center name), never relying on a
        visible ``emailAddress`` (i15: connectors/jira_people.py)."""
        return people_for(self).account_id(email)

    # --- writes --------------------------------------------------------------------------

    def create(self, issues: list[dict[str, Any]]) -> list[str | None]:
        """Bulk create (50 a call, REST v2) of issues given by their ``fields``; the new keys in
        input order, None where Jira refused one."""
        keys: list[str | None] = []
        for start in range(0, len(issues), BULK):
            keys.extend(self.create_chunk([{"fields": f} for f in issues[start:start + BULK]], version=2))
        return keys

    def create_chunk(self, chunk: list[dict[str, Any]], version: int | None = None) -> list[str | None]:
        """One bulk create call (at most 50) of ``{"fields", "update"}`` bodies: ``POST
        issue/bulk`` through ``version`` (default: v3 on Cloud, v2 on Data Center)."""
        if len(chunk) > BULK:
            raise ValueError(f"at most {BULK} issues per bulk create, not {len(chunk)}")

        def go() -> dict[str, Any]:
            url = self.url("issue/bulk", version or self.write_version)
            try:
                response = self.client._session.request("POST", url, data=json.dumps({"issueUpdates": chunk}))
            except JIRAError as exc:  # all refused: a 400 with the same body
                if exc.status_code == 400 and exc.response is not None:
                    try:
                        body = exc.response.json()
                    except ValueError:
                        raise exc from None
                    if isinstance(body, dict) and "errors" in body:
                        return body
                raise
            return dict(response.json())

        answer = self.call("bulk create", go)
        failed = {int(e.get("failedElementNumber", -1)): e for e in answer.get("errors") or []}
        created = iter(answer.get("issues") or [])
        keys: list[str | None] = []
        for n, body in enumerate(chunk):
            if n in failed:
                log.error("jira refused to create %r: %s", body["fields"].get("summary"),
                          json.dumps(failed[n].get("elementErrors"))[:300])
                keys.append(None)
            else:
                issue = next(created, None)
                keys.append(str(issue["key"]) if issue else None)
        return keys

    def update(self, key: str, fields: dict[str, Any]) -> None:
        """``PUT issue/{key}`` through v2 (text fields as plain text)."""
        self.send("update issue", "PUT", f"issue/{jql_key(key)}", {"fields": fields})

    def edit(self, key: str, fields: dict[str, Any]) -> None:
        """``PUT issue/{key}`` through the write version: v3 on Cloud (the description is ADF)."""
        self.send("update issue", "PUT", f"issue/{jql_key(key)}", {"fields": fields}, self.write_version)

    def comment(self, key: str, body: str) -> None:
        self.send("comment", "POST", f"issue/{jql_key(key)}/comment", {"body": body})

    def comment_texts(self, key: str) -> list[str]:
        """Every comment's text on an issue (v2: plain text), to find one a lost answer hid."""
        return [str(c.get("body") or "") for c in self.pages("comments", f"issue/{jql_key(key)}/comment", "comments")
                if isinstance(c, dict)]

    def watch(self, key: str, account_id: str) -> None:
        self.send("add watcher", "POST", f"issue/{jql_key(key)}/watchers", account_id)

    def link(self, link_type: str, inward: str, outward: str) -> None:
        self.send("link issues", "POST", "issueLink", {
            "type": {"name": link_type}, "inwardIssue": {"key": inward}, "outwardIssue": {"key": outward}})

    def transition(self, key: str, to: str) -> bool:
        """Move an issue to the status named ``to``; False when no transition leads there."""
        page = self.send("transitions", "GET", f"issue/{jql_key(key)}/transitions")
        for t in (page or {}).get("transitions", []):
            names = {str((t.get("to") or {}).get("name", "")).lower(), str(t.get("name", "")).lower()}
            if to.lower() in names:
                self.send("transition", "POST", f"issue/{jql_key(key)}/transitions", {"transition": {"id": t["id"]}})
                return True
        return False


def links_update(link_type: str, tickets: list[str]) -> dict[str, Any]:
    """The create request's ``update`` block linking the new issue to ``tickets`` (the ticket
    inward, the new issue outward: the same link ``JiraConnector.link`` makes)."""
    return {"issuelinks": [{"add": {"type": {"name": link_type}, "inwardIssue": {"key": t}}} for t in tickets]}


def _mapped(what: str, exc: JIRAError) -> Exception:
    status = exc.status_code or 0
    text = error_text(exc)  # i15: any body shape (JSON, {message}, text, HTML): connectors/jira_errors.py
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


