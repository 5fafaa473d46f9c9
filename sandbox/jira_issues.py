"""Jira issue endpoints: create (single and bulk), edit, assign, transitions, comments,
watchers, properties, links, and the agile "add issues to epic" call.

Each function takes the site, a :class:`Renderer` and the decoded request, and returns
``(status, body)``; :mod:`sandbox.jira_api` does routing and authentication.
"""

from __future__ import annotations

import json
from typing import Any

from sandbox import jira_catalog as cat
from sandbox.jira_fields import FieldReader, apply_update_ops
from sandbox.jira_render import Renderer, from_adf
from sandbox.site import Issue, JiraError, Site

Reply = tuple[int, Any]
BULK_LIMIT = 50


def _properties(iss: Issue, props: Any) -> None:
    for p in props or []:
        if isinstance(p, dict) and "key" in p:
            iss.properties[str(p["key"])] = p.get("value")


def create(site: Site, r: Renderer, body: Any) -> Issue:
    """Validate and store one issue from an ``IssueUpdateDetails`` body."""
    if not isinstance(body, dict) or not isinstance(body.get("fields"), dict):
        raise JiraError(400, ["Issue must have fields."])
    fields = body["fields"]
    reader = FieldReader(site, r.version)
    values = reader.read(fields)
    for required, message in (("project", "Specify a valid project ID or key"),
                              ("issuetype", "Specify an issue type"),
                              ("summary", "You must specify a summary of the issue.")):
        if required not in values and required not in reader.errors:
            reader.errors[required] = message
    custom = values.get("custom", {})
    if "project" in values and "issuetype" in values:
        reader.check_hierarchy(values["project"], values["issuetype"], values.get("parent"),
                               custom.get("customfield_10014"))
        if not site.cloud and values["issuetype"] == "Epic" and not custom.get(
                "customfield_10015"):
            reader.errors["customfield_10015"] = "Epic Name is required."
    update = dict(body.get("update") or {})
    links = _link_ops(site, update.pop("issuelinks", None), reader)
    comments = apply_update_ops(site, _blank(site), update, values, reader)
    reader.fail()
    project, issuetype, summary = values.pop("project"), values.pop("issuetype"), \
        values.pop("summary")
    values.setdefault("reporter", site.api_user.account_id)
    iss = site.add_issue(project, issuetype, summary, creator=site.api_user.account_id,
                         **values)
    for type_name, other, new_is_inward in links:  # IssueUpdateDetails.update.issuelinks
        site.link(type_name, iss if new_is_inward else other, other if new_is_inward else iss)
    _properties(iss, body.get("properties"))
    for text, _ in comments:
        site.add_comment(iss, site.api_user.account_id, text)
    return iss


def _link_ops(site: Site, ops: Any, reader: Any) -> list[tuple[str, Issue, bool]]:
    """``update.issuelinks`` of a create: ``[{"add": {"type", "inwardIssue"|"outwardIssue"}}]``.

    The named issue is the other end; the new issue takes the opposite side. An unknown link
    type or issue fails the create (400), as Jira does."""
    out: list[tuple[str, Issue, bool]] = []
    if ops is None:
        return out
    if not isinstance(ops, list):
        reader.errors["issuelinks"] = "Operations must be a list"
        return out
    for op in ops:
        add = op.get("add") if isinstance(op, dict) else None
        if not isinstance(add, dict):
            reader.errors["issuelinks"] = "Only the add operation is supported on create"
            continue
        t = add.get("type") or {}
        wanted = str(t.get("name") or t.get("id") or "")
        found = next((lt for lt in cat.LINK_TYPES if wanted.lower() in (lt[1].lower(), lt[0])), None)
        if found is None:
            reader.errors["issuelinks"] = f"No issue link type with name '{wanted}' found."
            continue
        ref = add.get("inwardIssue") or add.get("outwardIssue") or {}
        try:
            other = site.issue(str(ref.get("key") or ref.get("id")))
        except JiraError:
            reader.errors["issuelinks"] = f"Issue {ref.get('key') or ref.get('id')} does not exist."
            continue
        out.append((found[1], other, "inwardIssue" not in add))
    return out


def _blank(site: Site) -> Issue:
    now = site.clock.now()
    return Issue(0, "X-0", "", "Task", "", now, now, "To Do")


def created_ref(r: Renderer, iss: Issue) -> dict[str, str]:
    return {"id": str(iss.id), "key": iss.key, "self": f"{r.api}/issue/{iss.id}"}


def create_one(site: Site, r: Renderer, body: Any) -> Reply:
    return 201, created_ref(r, create(site, r, body))


def create_bulk(site: Site, r: Renderer, body: Any) -> Reply:
    """Up to 50 issues; always ``{"issues": [...], "errors": [...]}`` (201, or 400 if none)."""
    updates = body.get("issueUpdates") if isinstance(body, dict) else None
    if not isinstance(updates, list):
        raise JiraError(400, ["Request body must hold issueUpdates."])
    if len(updates) > BULK_LIMIT:
        message = f"You can create at most {BULK_LIMIT} issues in one request."
        errors = [{"status": 400, "elementErrors": {"errorMessages": [message], "errors": {}},
                   "failedElementNumber": i} for i in range(len(updates))]
        return 400, {"issues": [], "errors": errors}
    issues, errors = [], []
    for n, update in enumerate(updates):
        try:
            issues.append(created_ref(r, create(site, r, update)))
        except JiraError as err:
            errors.append({"status": err.status, "elementErrors": err.body(),
                           "failedElementNumber": n})
    return (201 if issues else 400), {"issues": issues, "errors": errors}


def edit(site: Site, r: Renderer, iss: Issue, body: Any) -> Reply:
    """``PUT /issue/{key}``: ``fields`` and ``update`` operations, with a changelog."""
    if not isinstance(body, dict):
        raise JiraError(400, ["Can not deserialize the request body."])
    reader = FieldReader(site, r.version)
    values = reader.read(body.get("fields") or {}, iss)
    comments = apply_update_ops(site, iss, body.get("update") or {}, values, reader)
    if "parent" in values or "issuetype" in values or "custom" in values:
        reader.check_hierarchy(values.get("project", iss.project),
                               values.get("issuetype", iss.issuetype),
                               values.get("parent", iss.parent),
                               (values.get("custom") or {}).get("customfield_10014"))
    reader.fail()
    changes = []
    for name, new in values.items():
        if name == "custom":
            for fid, v in new.items():
                old = iss.custom.get(fid)
                if old != v:
                    changes.append(_change(fid, old, v, custom=True))
                    iss.custom[fid] = v
            continue
        old = getattr(iss, name)
        if name == "description_adf":  # the changelog shows the text (description) instead
            setattr(iss, name, new)
            continue
        if old != new:
            changes.append(_change(name, old, new))
            if name == "parent":
                site.set_parent(iss, new)
            else:
                setattr(iss, name, new)
    _properties(iss, body.get("properties"))
    for text, _ in comments:
        site.add_comment(iss, site.api_user.account_id, text, bump=False)
    if changes or comments:
        site.touch(iss, changes)
    return 204, None


def _change(name: str, old: Any, new: Any, custom: bool = False) -> dict[str, Any]:
    def s(v: Any) -> str | None:
        if v is None:
            return None
        return " ".join(v) if isinstance(v, list) else str(v)

    return {"field": name, "fieldtype": "custom" if custom else "jira", "fieldId": name,
            "from": None, "fromString": s(old), "to": None, "toString": s(new)}


def assign(site: Site, r: Renderer, iss: Issue, body: Any) -> Reply:
    if not isinstance(body, dict):
        raise JiraError(400, ["Can not deserialize the request body."])
    ident = body.get("accountId") if site.cloud or "accountId" in body else body.get("name")
    if ident is None and not site.cloud:
        ident = body.get("accountId")
    if ident in (None, "-1"):
        new = None
    else:
        user = site.find_user(str(ident))
        if user is None:
            raise JiraError(400, [], {"assignee": "Specified user does not exist or you do not "
                                                  "have required permissions"})
        new = user.account_id
    if new != iss.assignee:
        site.touch(iss, [_change("assignee", iss.assignee, new)])
        iss.assignee = new
    return 204, None


def transitions(site: Site, r: Renderer, iss: Issue) -> Reply:
    return 200, {"expand": "transitions", "transitions": [
        r.transition(t, st) for t, st in site.transitions_for(iss)]}


def do_transition(site: Site, r: Renderer, iss: Issue, body: Any) -> Reply:
    t = body.get("transition") if isinstance(body, dict) else None
    tid = str(t.get("id")) if isinstance(t, dict) and t.get("id") is not None else None
    if tid is None and isinstance(t, dict) and t.get("name"):
        tid = next((x.id for x, _ in site.transitions_for(iss)
                    if x.name.lower() == str(t["name"]).lower()), None)
    available = {x.id: st for x, st in site.transitions_for(iss)}
    if tid not in available:
        raise JiraError(400, [f"Transition id '{tid}' is not valid for this issue."])
    fields = dict(body.get("fields") or {})
    fields.pop("resolution", None)
    if fields or body.get("update"):
        edit(site, r, iss, {"fields": fields, "update": body.get("update") or {}})
    site.set_status(iss, available[tid].name)
    return 204, None


def comment_text(site: Site, r: Renderer, raw: Any) -> str:
    if r.adf:
        text = from_adf(raw)
        if text is None:
            raise JiraError(400, [], {"comment": "Comment body is not valid Atlassian Document "
                                                 "Format."})
    else:
        if not isinstance(raw, str):
            raise JiraError(400, [], {"comment": "Comment body must be a string."})
        text = raw
    if not text.strip():
        raise JiraError(400, [], {"comment": "Comment body can not be empty!"})
    return text


def add_comment(site: Site, r: Renderer, iss: Issue, body: Any) -> Reply:
    """JSM visibility: ``properties`` ``sd.public.comment`` ``{"internal": true}`` (what
    pycontribs sends), a ``visibility`` restriction, or ``jsdPublic: false`` make it internal."""
    if not isinstance(body, dict):
        raise JiraError(400, ["Can not deserialize the request body."])
    text = comment_text(site, r, body.get("body"))
    public = bool(body.get("jsdPublic", True))
    for p in body.get("properties") or []:
        if isinstance(p, dict) and p.get("key") == "sd.public.comment":
            public = not bool((p.get("value") or {}).get("internal"))
    if body.get("visibility"):
        public = False
    c = site.add_comment(iss, site.api_user.account_id, text, public)
    return 201, r.comment(iss, c)


def list_comments(site: Site, r: Renderer, iss: Issue, params: Any) -> Reply:
    start = int(params.get("startAt") or 0)
    limit = min(5000, int(params.get("maxResults") or 100))
    newest = (params.get("orderBy") or "").startswith("-")
    page = r.comments_page(iss, start, limit, newest)
    if "properties" in (params.get("expand") or ""):
        page["comments"] = [r.comment(iss, c, True) for c in
                            sorted(iss.comments, key=lambda c: (c.created, c.id),
                                   reverse=newest)[start : start + limit]]
    return 200, page


def get_comment(site: Site, r: Renderer, iss: Issue, cid: str) -> Reply:
    for c in iss.comments:
        if str(c.id) == cid:
            return 200, r.comment(iss, c)
    raise JiraError(404, [f"Can not find a comment for the id: {cid}."])


def watchers(site: Site, r: Renderer, iss: Issue) -> Reply:
    return 200, {"self": f"{r.api}/issue/{iss.key}/watchers",
                 "isWatching": site.api_user.account_id in iss.watchers,
                 "watchCount": len(iss.watchers),
                 "watchers": [r.user_by_id(a) for a in iss.watchers]}


def add_watcher(site: Site, r: Renderer, iss: Issue, body: Any) -> Reply:
    ident = body if isinstance(body, str) else site.api_user.account_id if body is None else None
    user = site.find_user(ident) if ident else None
    if user is None:
        raise JiraError(400, [f"The user \"{ident}\" does not exist."])
    if user.account_id not in iss.watchers:
        iss.watchers.append(user.account_id)
        site.changed()
    return 204, None


def remove_watcher(site: Site, r: Renderer, iss: Issue, params: Any) -> Reply:
    ident = params.get("accountId") or params.get("username")
    user = site.find_user(ident) if ident else None
    if user is None:
        raise JiraError(400, ["Specify an accountId or username."])
    if user.account_id in iss.watchers:
        iss.watchers.remove(user.account_id)
        site.changed()
    return 204, None


def property_keys(site: Site, r: Renderer, iss: Issue) -> Reply:
    return 200, {"keys": [{"key": k, "self": f"{r.api}/issue/{iss.id}/properties/{k}"}
                          for k in iss.properties]}


def get_property(iss: Issue, key: str) -> Reply:
    if key not in iss.properties:
        raise JiraError(404, [f"The property with key '{key}' does not exist."])
    return 200, {"key": key, "value": iss.properties[key]}


def put_property(site: Site, iss: Issue, key: str, raw: bytes) -> Reply:
    if len(raw) > 32768:
        raise JiraError(400, ["The property value is too long; the maximum is 32768 bytes."])
    try:
        value = json.loads(raw)
    except ValueError:
        raise JiraError(400, ["The property value must be valid JSON."]) from None
    existed = key in iss.properties
    iss.properties[key] = value
    return (200 if existed else 201), None


def delete_property(iss: Issue, key: str) -> Reply:
    if key not in iss.properties:
        raise JiraError(404, [f"The property with key '{key}' does not exist."])
    del iss.properties[key]
    return 204, None


def link_types(r: Renderer) -> Reply:
    return 200, {"issueLinkTypes": [r.link_type(name) for _, name, _, _ in cat.LINK_TYPES]}


def create_link(site: Site, r: Renderer, body: Any) -> Reply:
    if not isinstance(body, dict):
        raise JiraError(400, ["Can not deserialize the request body."])
    t = body.get("type") or {}
    wanted = str(t.get("name") or t.get("id") or "")
    found = next((lt for lt in cat.LINK_TYPES if wanted.lower() in (lt[1].lower(), lt[0])), None)
    if found is None:
        raise JiraError(404, [f"No issue link type with name '{wanted}' found."])

    def ref(raw: Any) -> Issue:
        ident = (raw or {}).get("key") or (raw or {}).get("id")
        return site.issue(str(ident))

    inward, outward = ref(body.get("inwardIssue")), ref(body.get("outwardIssue"))
    exists = any(lk.type == found[1] and lk.inward == inward.key and lk.outward == outward.key
                 for lk in site.links_of(inward.key))
    if not exists:
        site.link(found[1], inward, outward)
    comment = body.get("comment")
    if isinstance(comment, dict) and comment.get("body"):
        site.add_comment(inward, site.api_user.account_id, comment_text(site, r, comment["body"]))
    return 201, None


def get_link(site: Site, r: Renderer, link_id: str) -> Reply:
    lk = site.links.get(int(link_id)) if link_id.isdigit() else None
    if lk is None:
        raise JiraError(404, [f"No issue link with id '{link_id}' exists."])
    return 200, {"id": str(lk.id), "self": f"{r.api}/issueLink/{lk.id}",
                 "type": r.link_type(lk.type), "inwardIssue": r.issue_ref(lk.inward),
                 "outwardIssue": r.issue_ref(lk.outward)}


def delete_link(site: Site, link_id: str) -> Reply:
    lk = site.unlink(int(link_id)) if link_id.isdigit() else None
    if lk is None:
        raise JiraError(404, [f"No issue link with id '{link_id}' exists."])
    return 204, None


def add_to_epic(site: Site, r: Renderer, epic_key: str, body: Any) -> Reply:
    """Agile ``POST /rest/agile/1.0/epic/{epic}/issue``: parent (Cloud) or Epic Link (DC)."""
    epic = site.issue(epic_key)
    if epic.issuetype != "Epic":
        raise JiraError(400, [f"Issue {epic.key} is not an epic."])
    keys = body.get("issues") if isinstance(body, dict) else None
    if not isinstance(keys, list):
        raise JiraError(400, ["Request body must hold issues."])
    for key in keys:
        iss = site.issue(str(key))
        t = cat.issue_type(iss.issuetype)
        if t is None or t.hierarchy != 0:
            raise JiraError(400, [f"Issue {iss.key} can not be added to an epic."])
        if site.cloud:
            edit(site, r, iss, {"fields": {"parent": {"key": epic.key}}})
        else:
            edit(site, r, iss, {"fields": {"customfield_10014": epic.key}})
    return 204, None
