"""Jira JSON: issues, users, comments, statuses and the rest, as the REST API writes them.

Timestamps are ``2026-11-19T11:00:00.000+0100`` in the API user's time zone; v2 bodies carry
plain text, v3 bodies Atlassian Document Format; Data Center users carry ``name``/``key``
instead of ``accountId``. Every nested resource has a correct ``self`` URL (pycontribs follows
them).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from sandbox import jira_catalog as cat
from sandbox.adf_html import adf_to_html
from sandbox.site import Comment, Issue, JiraUser, Site


class Renderer:
    """Renders site objects for one request (base URL, API version)."""

    def __init__(self, site: Site, base: str, version: str) -> None:
        self.site, self.base, self.version = site, base, version
        self.api = f"{base}/rest/api/{'2' if version == 'latest' else version}"
        self.zone = ZoneInfo(site.time_zone)
        self.adf = version == "3"
        self._users: dict[tuple[str, bool], tuple[JiraUser, dict[str, Any]]] = {}

    def ts(self, value: datetime | None) -> str | None:
        if value is None:
            return None
        local = value.astimezone(self.zone)
        return local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{local.microsecond // 1000:03d}" + \
            local.strftime("%z")

    def text(self, value: str | None) -> Any:
        if value is None:
            return None
        return to_adf(value) if self.adf else value

    def avatars(self, seed: str) -> dict[str, str]:
        return {f"{n}x{n}": f"{self.base}/secure/useravatar?size={n}&ownerId={seed}"
                for n in (48, 24, 16, 32)}

    def user(self, u: JiraUser | None, full: bool = False) -> dict[str, Any] | None:
        """A user object; one per user and request (a page names the same people many times;
        callers serialise it, never change it)."""
        if u is None:
            return None
        memo = self._users.get((u.account_id, full))
        if memo is not None and memo[0] is u:
            return memo[1]
        out = self._user(u, full)
        self._users[(u.account_id, full)] = (u, out)
        return out

    def _user(self, u: JiraUser, full: bool) -> dict[str, Any]:
        if self.site.cloud:
            out: dict[str, Any] = {"self": f"{self.api}/user?accountId={u.account_id}",
                                   "accountId": u.account_id, "accountType": u.account_type}
            if self.site.email_visible(u):  # i15: profile privacy hides it (sandbox/site.py)
                out["emailAddress"] = u.email
        else:
            out = {"self": f"{self.api}/user?username={u.name}", "name": u.name, "key": u.key,
                   "emailAddress": u.email}
        out.update({"avatarUrls": self.avatars(u.account_id), "displayName": u.display_name,
                    "active": u.active, "timeZone": u.time_zone})
        if full:
            out["locale"] = "en_US"
        return out

    def user_by_id(self, account_id: str | None) -> dict[str, Any] | None:
        return self.user(self.site.users.get(account_id)) if account_id else None

    def status(self, name: str) -> dict[str, Any]:
        st = cat.status(name) or cat.Status("10000", name, "new")
        category = dict(cat.CATEGORIES[st.category])
        category["self"] = f"{self.api}/statuscategory/{category['id']}"
        return {"self": f"{self.api}/status/{st.id}", "description": "",
                "iconUrl": f"{self.base}/images/icons/statuses/generic.png", "name": st.name,
                "id": st.id, "statusCategory": category}

    def issuetype(self, name: str) -> dict[str, Any]:
        t = cat.issue_type(name) or cat.IssueType("10001", name, 0, "")
        out = {"self": f"{self.api}/issuetype/{t.id}", "id": t.id, "description": t.description,
               "iconUrl": f"{self.base}/images/icons/issuetypes/{t.id}.svg", "name": t.name,
               "subtask": t.subtask, "avatarId": 10300 + int(t.id) % 100}
        if self.site.cloud:  # i15: Cloud issue types carry a stable entityId (a UUID)
            out["entityId"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"issuetype:{t.id}"))
        out["hierarchyLevel"] = t.hierarchy
        return out

    def priority(self, name: str | None) -> dict[str, Any] | None:
        p = cat.priority(name) if name else None
        if p is None:
            return None
        return {"self": f"{self.api}/priority/{p[0]}", "iconUrl":
                f"{self.base}/images/icons/priorities/{p[1].lower()}.svg", "name": p[1],
                "id": p[0]}

    def project(self, key: str, full: bool = False) -> dict[str, Any]:
        p = self.site.projects[key]
        out: dict[str, Any] = {"self": f"{self.api}/project/{p.id}", "id": p.id, "key": p.key,
                               "name": p.name, "projectTypeKey": p.type_key,
                               "simplified": False, "avatarUrls": self.avatars(p.key)}
        if full:
            out.update({
                "description": p.name, "lead": self.user(self.site.api_user),
                "components": [{"self": f"{self.api}/component/{10000 + i}", "id":
                                str(10000 + i), "name": c} for i, c in
                               enumerate(self.site.components.get(key, []))],
                "issueTypes": [self.issuetype(t) for t in p.issue_types],
                "assigneeType": "UNASSIGNED", "versions": [], "roles": {},
                "style": "classic", "isPrivate": False, "properties": {},
            })
        return out

    def comment(self, iss: Issue, c: Comment, expand_properties: bool = False) -> dict[str, Any]:
        author = self.user_by_id(c.author)
        out: dict[str, Any] = {"self": f"{self.api}/issue/{iss.id}/comment/{c.id}",
                               "id": str(c.id), "author": author, "body": self.text(c.body),
                               "updateAuthor": author, "created": self.ts(c.created),
                               "updated": self.ts(c.updated), "jsdPublic": c.public}
        if expand_properties:
            out["properties"] = [{"key": "sd.public.comment", "value": {"internal": not c.public}}]
        return out

    def comments_page(self, iss: Issue, start: int = 0, limit: int = 100,
                      newest_first: bool = False) -> dict[str, Any]:
        items = sorted(iss.comments, key=lambda c: (c.created, c.id), reverse=newest_first)
        page = items[start : start + limit]
        return {"comments": [self.comment(iss, c) for c in page], "maxResults": limit,
                "total": len(items), "startAt": start}

    def issue_ref(self, key: str) -> dict[str, Any] | None:
        other = self.site.issues.get(key)
        if other is None:
            return None
        return {"id": str(other.id), "key": other.key, "self": f"{self.api}/issue/{other.id}",
                "fields": {"summary": other.summary, "status": self.status(other.status),
                           "priority": self.priority(other.priority),
                           "issuetype": self.issuetype(other.issuetype)}}

    def link_type(self, name: str) -> dict[str, Any]:
        for lid, lname, inward, outward in cat.LINK_TYPES:
            if lname == name:
                return {"id": lid, "name": lname, "inward": inward, "outward": outward,
                        "self": f"{self.api}/issueLinkType/{lid}"}
        return {"name": name}

    def fields(self, iss: Issue, wanted: list[str] | None = None) -> dict[str, Any]:
        """Every field of an issue keyed by field id, or only the ``wanted`` ids in that order
        (only those are rendered: a search page asking for a few fields costs a few)."""
        makers = self._makers(iss)
        if wanted is None:
            return {k: make() for k, make in makers.items()}
        return {k: makers[k]() for k in wanted if k in makers}

    def _links(self, iss: Issue) -> list[dict[str, Any]]:
        links = []
        for lk in self.site.links_of(iss.key):
            entry: dict[str, Any] = {"id": str(lk.id), "self": f"{self.api}/issueLink/{lk.id}",
                                     "type": self.link_type(lk.type)}
            if lk.inward == iss.key:
                entry["outwardIssue"] = self.issue_ref(lk.outward)
            else:
                entry["inwardIssue"] = self.issue_ref(lk.inward)
            links.append(entry)
        return links

    def _subtasks(self, iss: Issue) -> list[dict[str, Any]]:
        refs = [self.issue_ref(i.key) for i in self.site.subtasks_of(iss.key)
                if (cat.issue_type(i.issuetype) or cat.ISSUE_TYPES[1]).subtask]
        return [s for s in refs if s]

    def _custom(self, iss: Issue, cf: cat.CustomField) -> Any:
        value = iss.custom.get(cf.id)
        if cf.kind == "select" and value is not None:
            idx = cf.options.index(value) if value in cf.options else 0
            return {"self": f"{self.api}/customFieldOption/{cf.number * 10 + idx}",
                    "value": value, "id": str(cf.number * 10 + idx)}
        if cf.kind == "textarea":
            return self.text(value)
        return value

    def _makers(self, iss: Issue) -> dict[str, Callable[[], Any]]:
        """Field id -> how to render it, in the order Jira lists an issue's fields."""
        site = self.site
        out: dict[str, Callable[[], Any]] = {
            "summary": lambda: iss.summary,
            "description": lambda: (iss.description_adf if self.adf and iss.description_adf is not None
                                    else self.text(iss.description)),
            "issuetype": lambda: self.issuetype(iss.issuetype),
            "project": lambda: self.project(iss.project),
            "status": lambda: self.status(iss.status),
            "priority": lambda: self.priority(iss.priority),
            "labels": lambda: list(iss.labels),
            "components": lambda: [{"self": f"{self.api}/component/{10000 + i}", "id": str(10000 + i),
                                    "name": c} for i, c in enumerate(iss.components)],
            "assignee": lambda: self.user_by_id(iss.assignee),
            "reporter": lambda: self.user_by_id(iss.reporter),
            "creator": lambda: self.user_by_id(iss.creator or iss.reporter),
            "created": lambda: self.ts(iss.created),
            "updated": lambda: self.ts(iss.updated),
            "duedate": lambda: iss.duedate.isoformat() if iss.duedate else None,
            "resolution": lambda: ({"self": f"{self.api}/resolution/10000", "id": "10000",
                                    "name": iss.resolution, "description": "Work has been completed."}
                                   if iss.resolution else None),
            "resolutiondate": lambda: self.ts(iss.resolutiondate),
            "statuscategorychangedate": lambda: self.ts(iss.status_changed),
            "subtasks": lambda: self._subtasks(iss),
            "issuelinks": lambda: self._links(iss),
            "comment": lambda: self.comments_page(iss),
            "watches": lambda: {"self": f"{self.api}/issue/{iss.key}/watchers",
                                "watchCount": len(iss.watchers),
                                "isWatching": site.api_user.account_id in iss.watchers},
        }
        if iss.parent:
            ref = self.issue_ref(iss.parent)
            if ref:
                out["parent"] = lambda: ref
        for cf in site.custom_fields():
            out[cf.id] = partial(self._custom, iss, cf)
        return out

    def issue(self, iss: Issue, wanted: list[str] | None = None, expand: str = "",
              properties: list[str] | None = None) -> dict[str, Any]:
        """An issue bean: ``wanted`` field ids (None = all), ``expand`` comma list."""
        fields = self.fields(iss, wanted)
        out: dict[str, Any] = {
            "expand": "renderedFields,names,schema,operations,editmeta,changelog,"
                      "versionedRepresentations",
            "id": str(iss.id), "self": f"{self.api}/issue/{iss.id}", "key": iss.key,
            "fields": fields,
        }
        expands = {e.strip() for e in (expand or "").split(",") if e.strip()}
        if "changelog" in expands:
            histories = [{"id": str(h.id), "author": self.user_by_id(h.author),
                          "created": self.ts(h.created), "items": h.items}
                         for h in iss.changelog]
            out["changelog"] = {"startAt": 0, "maxResults": len(histories),
                                "total": len(histories), "histories": histories}
        if "renderedFields" in expands:
            out["renderedFields"] = {k: (f"<p>{v}</p>" if isinstance(v, str) and k in ("description",)
                                         else adf_to_html(v) if isinstance(v, dict) and k == "description"
                                         else v)
                                     for k, v in fields.items()
                                     if k in ("description", "created", "updated")}
        if "names" in expands:
            out["names"] = field_names(self.site, list(fields))
        if "transitions" in expands:
            out["transitions"] = [self.transition(t, st) for t, st in
                                  self.site.transitions_for(iss)]
        if properties:
            keys = list(iss.properties) if "*all" in properties else properties
            out["properties"] = {k: iss.properties[k] for k in keys if k in iss.properties}
        return out

    def transition(self, t: cat.Transition, st: cat.Status) -> dict[str, Any]:
        return {"id": t.id, "name": t.name, "to": self.status(st.name), "hasScreen": False,
                "isGlobal": False, "isInitial": False, "isAvailable": True,
                "isConditional": False, "isLooped": False}


def field_names(site: Site, ids: list[str]) -> dict[str, str]:
    names = {f[0]: f[1] for f in cat.SYSTEM_FIELDS}
    names.update({cf.id: cf.name for cf in site.custom_fields()})
    return {i: names[i] for i in ids if i in names}


def to_adf(text: str) -> dict[str, Any]:
    """Plain text as an Atlassian Document Format document (one paragraph per line)."""
    paragraphs = []
    for line in text.split("\n"):
        content = [{"type": "text", "text": line}] if line else []
        paragraphs.append({"type": "paragraph", "content": content})
    return {"type": "doc", "version": 1, "content": paragraphs}


def from_adf(doc: Any) -> str | None:
    """The text of an ADF document, or None when ``doc`` is not one.

    What v2 shows of a rich description: roughly Jira's wiki rendering (``h2.`` headings,
    ``||``/``|`` table rows, ``*`` bullets, ``----`` rules); a paragraph is one line.
    """
    if not isinstance(doc, dict) or doc.get("type") != "doc" or not isinstance(
            doc.get("content"), list):
        return None

    def inline(node: Any) -> str:
        if not isinstance(node, dict):
            return ""
        kind, attrs = node.get("type"), node.get("attrs") or {}
        if kind == "text":
            return str(node.get("text", ""))
        if kind == "hardBreak":
            return "\n"
        if kind in ("status", "mention"):
            return str(attrs.get("text", ""))
        if kind == "inlineCard":
            return str(attrs.get("url", ""))
        if kind == "emoji":
            return str(attrs.get("text") or attrs.get("shortName", ""))
        return "".join(inline(c) for c in node.get("content", []) or [])

    def cell(node: Any) -> str:
        return " ".join(line for b in node.get("content", []) or [] for line in block(b))

    def block(node: Any) -> list[str]:
        if not isinstance(node, dict):
            return []
        kind, children = node.get("type"), node.get("content", []) or []
        if kind == "heading":
            return [f"h{(node.get('attrs') or {}).get('level', 1)}. " + inline(node)]
        if kind == "rule":
            return ["----"]
        if kind == "table":
            rows = []
            for row in children:
                cells = [c for c in row.get("content", []) or [] if isinstance(c, dict)]
                sep = "||" if cells and all(c.get("type") == "tableHeader" for c in cells) else "|"
                rows.append(sep + sep.join(cell(c) for c in cells) + sep)
            return rows
        if kind in ("bulletList", "orderedList"):
            mark = "*" if kind == "bulletList" else "#"
            return [f"{mark} {' '.join(line for b in item.get('content', []) or [] for line in block(b))}"
                    for item in children if isinstance(item, dict)]
        if kind in ("paragraph", "codeBlock"):
            return [inline(node)]
        if any(isinstance(c, dict) and c.get("type") == "text" for c in children):
            return [inline(node)]
        return [line for c in children for line in block(c)]

    return "\n".join(line for b in doc["content"] for line in block(b))
