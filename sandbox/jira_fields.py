"""Reading the ``fields`` and ``update`` of Jira create/edit requests, with Jira's refusals.

Create and edit share one reader: it returns plain values for :class:`sandbox.site.Issue` and
collects per-field messages into ``errors`` (400 ``{"errorMessages": [], "errors": {...}}``),
including the issue-type hierarchy rules (a sub-task needs a standard parent; on Cloud a standard
issue's ``parent`` must be an Epic; on Data Center epics are joined through "Epic Link").
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sandbox import jira_catalog as cat
from sandbox.jira_render import from_adf
from sandbox.site import Issue, JiraError, Site

SETTABLE = {"summary", "description", "issuetype", "project", "priority", "labels",
            "components", "assignee", "reporter", "duedate", "parent"}
TEXT_LIMIT = 32_767
HIERARCHY = "Given parent work item does not belong to appropriate hierarchy."


class FieldReader:
    def __init__(self, site: Site, version: str) -> None:
        self.site, self.v3 = site, version == "3"
        self.errors: dict[str, str] = {}
        self.custom = {cf.id: cf for cf in site.custom_fields()}

    def fail(self) -> None:
        if self.errors:
            raise JiraError(400, [], dict(self.errors))

    def user(self, name: str, raw: Any) -> str | None:
        if raw is None:
            return None
        ident = None
        if isinstance(raw, dict):
            ident = raw.get("accountId") or raw.get("name") or raw.get("id") or raw.get("key")
        elif isinstance(raw, str):
            ident = raw
        user = self.site.find_user(str(ident)) if ident else None
        if user is None:
            self.errors[name] = ("Specified user does not exist or you do not have required "
                                 "permissions")
            return None
        return user.account_id

    def issue_ref(self, name: str, raw: Any) -> Issue | None:
        ident = raw.get("key") or raw.get("id") if isinstance(raw, dict) else raw
        try:
            return self.site.issue(str(ident))
        except JiraError:
            self.errors[name] = "Could not find issue by id or key."
            return None

    def text(self, name: str, raw: Any) -> str | None:
        if raw is None:
            return None
        if self.v3 and name in ("description",):
            text = from_adf(raw)
            if text is None:
                self.errors[name] = "Operation value must be an Atlassian Document (see the " \
                                    "Atlassian Document Format)"
            # a document is measured as its JSON (the stricter reading of the 32,767 limit)
            return self.within_limit(name, text, len(json.dumps(raw, ensure_ascii=False)))
        if not isinstance(raw, str):
            self.errors[name] = "Operation value must be a string"
            return None
        return self.within_limit(name, raw, len(raw))

    def within_limit(self, name: str, text: str | None, length: int) -> str | None:
        """Jira's text-field limit (JRACLOUD-68949): 400 on the field beyond 32,767 characters."""
        if text is not None and length > TEXT_LIMIT:
            self.errors[name] = "The entered text is too long. It exceeds the allowed limit of 32,767 characters."
            return None
        return text

    def read(self, fields: dict[str, Any], current: Issue | None = None) -> dict[str, Any]:
        """Validate ``fields``; returns ``{attr: value}`` for Issue (custom under ``custom``)."""
        out: dict[str, Any] = {}
        custom: dict[str, Any] = {}
        for name, raw in fields.items():
            if name in self.custom:
                custom[name] = self.custom_value(name, raw)
                continue
            if name not in SETTABLE:
                self.errors[name] = (f"Field '{name}' cannot be set. It is not on the appropriate "
                                     "screen, or unknown.")
                continue
            if name == "summary":
                if not isinstance(raw, str) or not raw.strip():
                    self.errors["summary"] = "You must specify a summary of the issue."
                else:
                    out["summary"] = raw
            elif name == "description":
                out["description"] = self.text(name, raw)
                # Jira keeps the document: v3 returns what was sent, v2 its text rendering
                out["description_adf"] = raw if self.v3 and out["description"] is not None else None
            elif name == "project":
                ident = (raw.get("key") or raw.get("id")) if isinstance(raw, dict) else raw
                proj = next((p for p in self.site.projects.values()
                             if str(ident).upper() in (p.key, p.id)), None)
                if proj is None:
                    self.errors["project"] = "Specify a valid project ID or key"
                else:
                    out["project"] = proj.key
            elif name == "issuetype":
                ident = (raw.get("name") or raw.get("id")) if isinstance(raw, dict) else raw
                t = cat.issue_type(str(ident)) if ident else None
                if t is None:
                    self.errors["issuetype"] = "The issue type selected is invalid."
                else:
                    out["issuetype"] = t.name
            elif name == "priority":
                ident = (raw.get("name") or raw.get("id")) if isinstance(raw, dict) else raw
                p = cat.priority(str(ident)) if ident else None
                if p is None and raw is not None:
                    self.errors["priority"] = "The priority selected is invalid."
                else:
                    out["priority"] = p[1] if p else None
            elif name == "labels":
                out["labels"] = self.labels(raw)
            elif name == "components":
                items = raw if isinstance(raw, list) else []
                out["components"] = [str(c.get("name") if isinstance(c, dict) else c)
                                     for c in items]
            elif name in ("assignee", "reporter"):
                out[name] = self.user(name, raw)
            elif name == "duedate":
                try:
                    out["duedate"] = date.fromisoformat(raw) if raw else None
                except (TypeError, ValueError):
                    self.errors["duedate"] = f"Error parsing date string: {raw}"
            elif name == "parent":
                parent = self.issue_ref("parent", raw) if raw else None
                out["parent"] = parent.key if parent else None
        if custom:
            out["custom"] = custom
        return out

    def labels(self, raw: Any) -> list[str]:
        if not isinstance(raw, list):
            self.errors["labels"] = "Operation value must be an array"
            return []
        for label in raw:
            if not isinstance(label, str) or " " in label:
                self.errors["labels"] = f"The label '{label}' contains spaces which is invalid."
        return [str(x) for x in raw]

    def custom_value(self, fid: str, raw: Any) -> Any:
        cf = self.custom[fid]
        if raw is None:
            return None
        if cf.kind == "select":
            value = raw.get("value") if isinstance(raw, dict) else raw
            if isinstance(raw, dict) and "id" in raw and "value" not in raw:
                idx = int(raw["id"]) - cf.number * 10
                value = cf.options[idx] if 0 <= idx < len(cf.options) else None
            if value not in cf.options:
                self.errors[fid] = f"Option value '{value}' is not valid"
            return value
        if cf.kind == "epiclink":
            target = self.issue_ref(fid, raw)
            if target is not None and target.issuetype != "Epic":
                self.errors[fid] = "Issue is not an epic."
            return target.key if target else None
        if cf.kind == "textarea" and self.v3:
            text = from_adf(raw)
            if text is None:
                self.errors[fid] = ("Operation value must be an Atlassian Document (see the "
                                    "Atlassian Document Format)")
            return text
        if not isinstance(raw, str):
            self.errors[fid] = "Operation value must be a string"
            return None
        return raw

    def check_hierarchy(self, project: str, issuetype: str, parent: str | None,
                        epic_link: str | None) -> None:
        t = cat.issue_type(issuetype)
        proj = self.site.projects.get(project)
        if t is None or proj is None:
            return
        if issuetype not in proj.issue_types:
            self.errors["issuetype"] = "The issue type selected is invalid."
            return
        parent_issue = self.site.issues.get(parent) if parent else None
        if t.subtask:
            if parent_issue is None:
                self.errors["parent"] = ("Issue type is a sub-task but parent issue key or id not "
                                         "specified.")
                return
            pt = cat.issue_type(parent_issue.issuetype)
            if pt is None or pt.hierarchy != 0:
                self.errors["parent"] = HIERARCHY
            elif parent_issue.project != project:
                raise JiraError(400, ["Sub-tasks must be created in the same project as the "
                                      "parent."])
        elif parent_issue is not None:
            pt = cat.issue_type(parent_issue.issuetype)
            if not self.site.cloud:
                self.errors["parent"] = ("Could not set parent: only sub-tasks have a parent; "
                                         "use the Epic Link field.")
            elif pt is None or pt.hierarchy != t.hierarchy + 1:
                self.errors["parent"] = HIERARCHY
        if epic_link and t.hierarchy != 0:
            self.errors["customfield_10014"] = "Only standard issues can be linked to an epic."


def apply_update_ops(site: Site, iss: Issue, update: dict[str, Any], values: dict[str, Any],
                     reader: FieldReader) -> list[tuple[str, str]]:
    """Apply ``update`` operations (``labels``/``components`` add/remove/set, ``comment``
    add) into ``values``; returns comments to add as (body, visibility)."""
    comments: list[tuple[str, str]] = []
    for name, ops in update.items():
        if not isinstance(ops, list):
            reader.errors[name] = "Operations must be a list"
            continue
        if name in ("labels", "components"):
            current = list(values.get(name, getattr(iss, name)))
            for op in ops:
                for verb, arg in op.items():
                    item = arg.get("name") if isinstance(arg, dict) else arg
                    if verb == "add" and item not in current:
                        if name == "labels":
                            reader.labels([item])
                        current.append(item)
                    elif verb == "remove" and item in current:
                        current.remove(item)
                    elif verb == "set":
                        current = [a.get("name") if isinstance(a, dict) else a for a in arg]
            values[name] = current
        elif name == "comment":
            for op in ops:
                body = (op.get("add") or {}).get("body")
                text = reader.text("comment", body) if not reader.v3 else from_adf(body)
                if text is not None:
                    comments.append((text, "public"))
        else:
            for op in ops:
                for verb, arg in op.items():
                    if verb == "set":
                        values.update(reader.read({name: arg}, iss))
    return comments
