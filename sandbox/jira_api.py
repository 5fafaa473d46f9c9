"""The Jira REST API over HTTP (``/rest/api/2``, ``/rest/api/3``, ``/rest/api/latest`` and the
agile epic call), in the Cloud or Data Center flavour.

Authentication: Cloud takes HTTP Basic (``JIRA_EMAIL`` + ``JIRA_API_TOKEN``); Data Center takes
a bearer PAT (the same token) or Basic. ``serverInfo`` is anonymous. Every error body is
``{"errorMessages": [...], "errors": {...}}``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox import jira_catalog as cat
from sandbox import jira_issues as ops
from sandbox.jira_render import Renderer
from sandbox.jira_search import GONE, search_dc, search_jql
from sandbox.jql_parse import parse_queries
from sandbox.site import JiraError, Site

JSON_TYPE = "application/json;charset=UTF-8"
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH"]


def _reply(status: int, body: Any = None, headers: dict[str, str] | None = None) -> Response:
    if body is None:
        return Response(status_code=status, headers=headers)
    return Response(json.dumps(body), status_code=status, media_type=JSON_TYPE, headers=headers)


class JiraApi:
    def __init__(self, site: Site, base_url: Callable[[], str], text_equals: bool = False,
                 before: Callable[[], object] = lambda: None):
        self.site = site
        self.base_url = base_url
        self.text_equals = text_equals
        self.before = before  # runs first on every call (releases scheduled book events)

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/rest/api/{version}/{rest:path}", self.handle, methods=METHODS),
            Route("/rest/agile/1.0/epic/{epic}/issue", self.agile_epic, methods=["POST"]),
        ])

    def authenticated(self, request: Request) -> bool:
        site = self.site
        auth = request.headers.get("authorization", "")
        scheme, _, cred = auth.partition(" ")
        if scheme.lower() == "basic":
            try:
                user, _, secret = base64.b64decode(cred).decode("utf-8").partition(":")
            except ValueError:
                return False
            known = site.find_user(user)
            return known is site.api_user and secret == site.api_token
        if scheme.lower() == "bearer":
            return cred.strip() == site.api_token
        return False

    def unauthorized(self) -> Response:
        """i15: a Cloud 401 is plain text, or ``{"message", "status-code"}`` when
        ``site.unauthorized_shape == "json"`` (both recorded from real sites); Data Center keeps
        ``errorMessages``."""
        text = "Client must be authenticated to access this resource."
        headers = {"X-Seraph-LoginReason": "AUTHENTICATED_FAILED",
                   "WWW-Authenticate": 'Basic realm="protected-area"'}
        if self.site.cloud and getattr(self.site, "unauthorized_shape", "text") == "json":
            return _reply(401, {"message": text, "status-code": 401}, headers)
        if self.site.cloud:
            return Response(text, status_code=401, media_type="text/plain;charset=UTF-8", headers=headers)
        return _reply(401, {"errorMessages": [text], "errors": {}}, headers)

    async def agile_epic(self, request: Request) -> Response:
        if not self.authenticated(request):
            return self.unauthorized()
        body = await _body(request)
        with self.site.lock:
            self.before()
            r = Renderer(self.site, self.base_url(), "2")
            try:
                status, out = ops.add_to_epic(self.site, r, request.path_params["epic"], body)
            except JiraError as err:
                return _reply(err.status, err.body())
        return _reply(status, out)

    async def handle(self, request: Request) -> Response:
        version = request.path_params["version"]
        if version not in ("2", "3", "latest"):
            return _reply(404, {"errorMessages": ["No API version " + version], "errors": {}})
        raw = (request.scope.get("raw_path") or b"").decode("latin-1").split("?")[0]
        tail = raw.split(f"/rest/api/{version}", 1)[1]
        seg = [unquote(s) for s in tail.strip("/").split("/") if s]
        if seg != ["serverInfo"] and not self.authenticated(request):
            return self.unauthorized()
        raw_body = await request.body()
        try:
            body = json.loads(raw_body) if raw_body.strip() else None
        except ValueError:
            if seg[-2:-1] != ["properties"]:
                return _reply(400, {"errorMessages": ["Unexpected character in the request "
                                                      "body: it is not JSON."], "errors": {}})
            body = None
        with self.site.lock:
            self.before()
            if request.method != "GET" and seg[:1] != ["search"] and seg[:2] != ["jql", "parse"]:
                self.site.changed()  # a write may change what search sees; read-only POSTs keep its cache
            r = Renderer(self.site, self.base_url(), version)
            try:
                status, out = self.dispatch(request, r, seg, body, raw_body)
            except JiraError as err:
                return _reply(err.status, err.body())
        return _reply(status, out)

    def dispatch(self, request: Request, r: Renderer, seg: list[str], body: Any,
                 raw_body: bytes) -> tuple[int, Any]:
        site, m, params = self.site, request.method, request.query_params
        head = seg[0] if seg else ""
        if m == "GET" and seg == ["serverInfo"]:
            return 200, self.server_info(r)
        if m == "GET" and seg == ["myself"]:
            return 200, r.user(site.api_user, full=True)
        if m == "GET" and seg == ["field"]:
            return 200, self.fields()
        if m == "GET" and head == "user":
            return self.users(r, seg[1:], params)
        if m == "GET" and head == "project":
            if len(seg) == 1:
                return 200, [r.project(k, full=False) for k in site.projects]
            proj = next((p for p in site.projects.values() if seg[1].upper() in (p.key, p.id)),
                        None)
            if proj is None:
                raise JiraError(404, [f"No project could be found with key '{seg[1]}'."])
            if len(seg) == 2:
                return 200, r.project(proj.key, full=True)
        if m == "GET" and seg == ["issuetype"]:
            return 200, [r.issuetype(t.name) for t in cat.ISSUE_TYPES]
        if m == "GET" and seg == ["priority"]:
            return 200, [dict(r.priority(p[1]) or {}, statusColor=p[2], description=p[1])
                         for p in cat.PRIORITIES]
        if m == "GET" and seg == ["status"]:
            return 200, [r.status(s.name) for s in cat.STATUSES]
        if m == "GET" and seg == ["issueLinkType"]:
            return ops.link_types(r)
        if head == "issueLink":
            if m == "POST" and len(seg) == 1:
                return ops.create_link(site, r, body)
            if m == "GET" and len(seg) == 2:
                return ops.get_link(site, r, seg[1])
            if m == "DELETE" and len(seg) == 2:
                return ops.delete_link(site, seg[1])
        if head == "search":
            return self.search(r, m, seg, params, body)
        if seg == ["jql", "parse"] and m == "POST":  # i15: Jira's parser (sandbox/jql_parse.py)
            return 200, parse_queries(site, body, params.get("validation"), self.text_equals)
        if head == "issue":
            return self.issue_routes(request, r, seg[1:], body, raw_body)
        raise JiraError(404, [f"null for uri: {request.url}"])

    def search(self, r: Renderer, m: str, seg: list[str], params: Any, body: Any
               ) -> tuple[int, Any]:
        site = self.site
        if m == "GET":
            args: dict[str, Any] = {k: params.get(k) for k in params}
            args["fields"] = params.getlist("fields") or None
            args["properties"] = params.getlist("properties") or None
        elif m == "POST":
            args = dict(body) if isinstance(body, dict) else {}
        else:
            raise JiraError(405, ["Method not allowed."])
        if seg == ["search"]:
            if site.cloud:
                raise JiraError(410, [GONE])
            return 200, search_dc(site, r, args, self.text_equals)
        if seg == ["search", "jql"] and site.cloud:
            return 200, search_jql(site, r, args, self.text_equals)
        raise JiraError(404, ["null for uri: /rest/api/" + r.version + "/" + "/".join(seg)])

    def issue_routes(self, request: Request, r: Renderer, seg: list[str], body: Any,
                     raw_body: bytes) -> tuple[int, Any]:
        site, m, params = self.site, request.method, request.query_params
        if not seg:
            if m == "POST":
                return ops.create_one(site, r, body)
            raise JiraError(405, ["Method not allowed."])
        if seg == ["bulk"] and m == "POST":
            return ops.create_bulk(site, r, body)
        iss = site.issue(seg[0])
        rest = seg[1:]
        if not rest:
            if m == "GET":
                fields = params.getlist("fields")
                from sandbox.jira_search import field_list, select_fields

                wanted = select_fields(site, field_list(fields), "*all") if fields else None
                props = field_list(params.getlist("properties"))
                return 200, r.issue(iss, wanted, params.get("expand") or "", props)
            if m == "PUT":
                return ops.edit(site, r, iss, body)
            if m == "DELETE":
                kids = [i for i in site.subtasks_of(iss.key)
                        if (cat.issue_type(i.issuetype) or cat.ISSUE_TYPES[1]).subtask]
                if kids and (params.get("deleteSubtasks") or "false").lower() != "true":
                    raise JiraError(400, ["The issue has subtasks; set deleteSubtasks=true to "
                                          "delete them too."])
                for k in kids:
                    site.delete_issue(k)
                site.delete_issue(iss)
                return 204, None
        what = rest[0]
        if what == "assignee" and m == "PUT":
            return ops.assign(site, r, iss, body)
        if what == "transitions":
            if m == "GET":
                return ops.transitions(site, r, iss)
            if m == "POST":
                return ops.do_transition(site, r, iss, body)
        if what == "comment":
            if m == "GET" and len(rest) == 1:
                return ops.list_comments(site, r, iss, params)
            if m == "POST" and len(rest) == 1:
                return ops.add_comment(site, r, iss, body)
            if m == "GET" and len(rest) == 2:
                return ops.get_comment(site, r, iss, rest[1])
        if what == "watchers":
            if m == "GET":
                return ops.watchers(site, r, iss)
            if m == "POST":
                return ops.add_watcher(site, r, iss, body)
            if m == "DELETE":
                return ops.remove_watcher(site, r, iss, params)
        if what == "properties":
            if len(rest) == 1 and m == "GET":
                return ops.property_keys(site, r, iss)
            if len(rest) == 2:
                if m == "GET":
                    return ops.get_property(iss, rest[1])
                if m == "PUT":
                    return ops.put_property(site, iss, rest[1], raw_body)
                if m == "DELETE":
                    return ops.delete_property(iss, rest[1])
        if what == "changelog" and m == "GET":
            full = r.issue(iss, [], "changelog")["changelog"]["histories"]
            start = int(params.get("startAt") or 0)
            size = min(100, int(params.get("maxResults") or 100))  # Jira: at most 100 a page
            page = full[start : start + size]
            return 200, {"self": f"{r.api}/issue/{iss.key}/changelog", "startAt": start,
                         "maxResults": size, "total": len(full),
                         "isLast": start + size >= len(full), "values": page}
        raise JiraError(404, [f"null for uri: {request.url}"])

    def server_info(self, r: Renderer) -> dict[str, Any]:
        cloud = self.site.cloud
        now = r.ts(self.site.clock.now())
        return {
            "baseUrl": r.base, "displayUrl": r.base,
            "version": "1001.0.0-SNAPSHOT" if cloud else "9.12.0",
            "versionNumbers": [1001, 0, 0] if cloud else [9, 12, 0],
            "deploymentType": "Cloud" if cloud else "Server",
            "buildNumber": 100282 if cloud else 9120000,
            "buildDate": "2026-11-01T00:00:00.000+0000", "serverTime": now,
            "scmInfo": "5330f7d9a1b2c3d4e5f60718293a4b5c6d7e8f90",
            "serverTitle": "Jira" if cloud else "Jira Data Center",
            **({"defaultLocale": {"locale": "en_US"}} if cloud else {}),  # i15: as Cloud's serverInfo
        }

    def fields(self) -> list[dict[str, Any]]:
        out = []
        for fid, name, typ, clauses in cat.SYSTEM_FIELDS:
            schema: dict[str, Any] = {"type": typ, "system": fid}
            if typ == "array":
                schema["items"] = {"labels": "string", "components": "component",
                                   "subtasks": "issuelinks", "issuelinks": "issuelinks"}[fid]
            out.append({"id": fid, "key": fid, "name": name, "custom": False, "orderable": True,
                        "navigable": True, "searchable": True, "clauseNames": clauses,
                        "schema": schema})
        for cf in self.site.custom_fields():
            out.append({"id": cf.id, "key": cf.id, "name": cf.name, "custom": True,
                        "orderable": True, "navigable": True, "searchable": True,
                        "clauseNames": [f"cf[{cf.number}]", cf.name], "schema": cf.schema(),
                        **({"untranslatedName": cf.name} if self.site.cloud else {})})  # i15: as Cloud
        return out

    def users(self, r: Renderer, seg: list[str], params: Any) -> tuple[int, Any]:
        site = self.site
        if seg in (["search"], ["assignable", "search"], ["picker"]):
            query = params.get("query") if site.cloud else (params.get("username") or
                                                            params.get("query"))
            account = params.get("accountId")
            if not query and not account:
                raise JiraError(400, ["One of 'query' or 'accountId' query parameters must be "
                                      "provided." if site.cloud else
                                      "The username query parameter was not provided"])
            found = site.search_users(query) if query else [
                u for u in site.users.values() if u.account_id == account]
            active = (params.get("includeActive") or "true").lower() == "true"
            inactive = (params.get("includeInactive") or "false").lower() == "true"
            found = [u for u in found if (u.active and active) or (not u.active and inactive)]
            start = int(params.get("startAt") or 0)
            size = int(params.get("maxResults") or 50)
            return 200, [r.user(u, full=True) for u in found[start : start + size]]
        if not seg:
            ident = params.get("accountId") or params.get("username") or params.get("key")
            user = site.find_user(ident) if ident else None
            if user is None:
                raise JiraError(404, ["Specified user does not exist or you do not have required "
                                      "permissions" if site.cloud else
                                      f"The user named '{ident}' does not exist"])
            return 200, r.user(user, full=True)
        raise JiraError(404, ["null for uri: user/" + "/".join(seg)])


async def _body(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw) if raw.strip() else None
    except ValueError:
        return None
