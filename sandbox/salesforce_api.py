"""The Salesforce REST API over HTTP: OAuth token endpoint, query, sObjects, collections.

Paths are ``/services/data/vXX.X/...`` for any version from 42.0 to 62.0 (v59.0 semantics;
``created`` on upserts from v46.0). Every data call needs ``Authorization: Bearer <token>``,
counts against the daily budget and carries ``Sforce-Limit-Info``. Errors are JSON lists of
``{"message", "errorCode", "fields"?}``; the 401 for an expired session is always a list, which
is what simple-salesforce needs to refresh a session it obtained itself.
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, unquote

import jwt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox import soql
from sandbox.org import Org
from sandbox.sf_schema import describe_object, sobject_summary
from sandbox.sf_values import SfError
from sandbox.soql_eval import attributes, to_json

MIN_VERSION, MAX_VERSION = 42, 62
JSON_TYPE = "application/json;charset=UTF-8"
_SEASONS = ("Spring", "Summer", "Winter")


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status_code=status, media_type=JSON_TYPE, headers=headers)


def _errors(err: SfError, headers: dict[str, str] | None = None) -> Response:
    return _json([err.body()], err.status, headers)


def versions() -> list[dict[str, str]]:
    out = []
    for v in range(MIN_VERSION, MAX_VERSION + 1):
        i = v - MIN_VERSION
        out.append({"label": f"{_SEASONS[i % 3]} '{18 + (i + 1) // 3}", "url":
                    f"/services/data/v{v}.0", "version": f"{v}.0"})
    return out


class SalesforceApi:
    """Request handlers bound to one :class:`Org`."""

    def __init__(self, org: Org, base_url: Callable[[], str],
                 before: Callable[[], object] = lambda: None) -> None:
        self.org = org
        self.base_url = base_url
        self.before = before  # runs first on every data call (releases scheduled book events)

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/services/data", self.list_versions),
            Route("/services/data/", self.list_versions),
            Route("/services/oauth2/token", self.token, methods=["POST"]),
            Route("/services/data/v{version}", self.data, methods=["GET", "POST", "PATCH",
                                                                    "DELETE", "PUT"]),
            Route("/services/data/v{version}/{rest:path}", self.data,
                  methods=["GET", "POST", "PATCH", "DELETE", "PUT"]),
        ])

    async def list_versions(self, request: Request) -> Response:
        return _json(versions())

    # --- OAuth --------------------------------------------------------------------------------

    async def token(self, request: Request) -> Response:
        form = parse_qs((await request.body()).decode("utf-8"))
        grant = (form.get("grant_type") or [""])[0]
        org = self.org
        with org.lock:
            if grant == "client_credentials":
                cid, secret = self._client(request, form)
                if cid != org.client_id or secret != org.client_secret:
                    return _json({"error": "invalid_client",
                                  "error_description": "invalid client credentials"}, 400)
                user_id = org.integration_user_id
            elif grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
                jwt_user = self._jwt_user((form.get("assertion") or [""])[0])
                if jwt_user is None:
                    return _json({"error": "invalid_grant",
                                  "error_description": "authentication failure"}, 400)
                user_id = jwt_user
            elif not grant:
                return _json({"error": "unsupported_grant_type",
                              "error_description": "grant type not supported"}, 400)
            else:
                return _json({"error": "unsupported_grant_type",
                              "error_description": "grant type not supported"}, 400)
            token = org.issue_token()
            issued = str(int(time.time() * 1000))
            base = self.base_url()
            ident = f"{base}/id/{org.org_id}/{user_id}"
            return _json({"access_token": token, "signature": org.signature(ident, issued),
                          "scope": "api", "instance_url": base, "id": ident,
                          "token_type": "Bearer", "issued_at": issued,
                          "api_instance_url": "https://api.salesforce.com"})  # i15: newer orgs send it

    @staticmethod
    def _client(request: Request, form: dict[str, list[str]]) -> tuple[str, str]:
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("basic "):
            try:
                raw = base64.b64decode(auth[6:]).decode("utf-8")
                cid, _, secret = raw.partition(":")
                return unquote(cid), unquote(secret)
            except ValueError:
                return "", ""
        return (form.get("client_id") or [""])[0], (form.get("client_secret") or [""])[0]

    def _jwt_user(self, assertion: str) -> str | None:
        org = self.org
        try:
            header = jwt.get_unverified_header(assertion)
            if header.get("alg") != "RS256":
                return None
            if org.jwt_public_key:
                claims = jwt.decode(assertion, org.jwt_public_key, algorithms=["RS256"],
                                    options={"verify_aud": False})
            else:
                claims = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError:
            return None
        if claims.get("iss") != org.client_id:
            return None
        exp = claims.get("exp")
        if exp is not None and float(exp) < time.time():
            return None
        sub = str(claims.get("sub", "")).lower()
        for user in org.records["User"].values():
            if str(user.get("Username", "")).lower() == sub and user.get("IsActive"):
                return str(user["Id"])
        return None

    # --- data ---------------------------------------------------------------------------------

    async def data(self, request: Request) -> Response:
        version = request.path_params["version"]
        m = re.fullmatch(r"(\d+)\.0", version)
        if not m or not MIN_VERSION <= int(m.group(1)) <= MAX_VERSION:
            return _json([{"errorCode": "NOT_FOUND",
                           "message": "The requested resource does not exist"}], 404)
        raw_path = request.scope.get("raw_path") or request.url.path.encode()
        raw = raw_path.decode("latin-1").split("?")[0]
        tail = raw.split(f"/v{version}", 1)[1]
        segments = [unquote(s) for s in tail.strip("/").split("/") if s != ""]
        auth = request.headers.get("authorization", "")
        token = auth.split(" ", 1)[1].strip() if " " in auth else ""
        body_bytes = await request.body()
        org = self.org
        with org.lock:
            self.before()
            if not token or not org.token_valid(token):
                return _json([{"message": "Session expired or invalid",
                               "errorCode": "INVALID_SESSION_ID"}], 401)
            if not org.charge_call():
                return _json([{"message": "TotalRequests Limit exceeded.",
                               "errorCode": "REQUEST_LIMIT_EXCEEDED"}], 403,
                             {"Sforce-Limit-Info": org.limit_header()})
            headers = {"Sforce-Limit-Info": org.limit_header()}
            try:
                body = json.loads(body_bytes) if body_bytes.strip() else None
            except ValueError:
                return _errors(SfError(400, "JSON_PARSER_ERROR", "Unexpected character: was "
                                       "expecting a JSON value"), headers)
            try:
                response = self.dispatch(request, version, segments, body)
            except SfError as err:
                if err.status == 300:
                    urls = [f"/services/data/v{version}/sobjects/{segments[1]}/{i}"
                            for i in getattr(err, "matches", [])]
                    return _json(urls, 300, headers)
                return _errors(err, headers)
            except soql.SoqlError as err:
                return _json([{"message": err.render(), "errorCode": err.code}], 400, headers)
            response.headers.update(headers)
            return response

    def dispatch(self, request: Request, version: str, seg: list[str], body: Any) -> Response:
        method = request.method
        from sandbox import salesforce_ops as ops

        if not seg:
            return _json(ops.resources(version))
        head = seg[0]
        if head == "limits" and len(seg) == 1:
            return _json(ops.limits(self.org))
        if head in ("query", "queryAll") and method == "GET":
            if len(seg) == 1:
                q = request.query_params.get("q")
                if q is None:
                    raise SfError(400, "MALFORMED_QUERY", "A query string has to be specified")
                batch = _batch_size(request.headers.get("sforce-query-options", ""))
                return _json(ops.query(self.org, q, version, head == "queryAll", batch))
            if len(seg) == 2:
                return _json(ops.query_more(self.org, seg[1], version))
        if head == "sobjects":
            return self.sobjects(request, version, seg[1:], body)
        if head == "composite" and len(seg) >= 2 and seg[1] == "sobjects":
            return ops.collections(self.org, method, version, seg[2:], body, request.query_params)
        raise SfError(404, "NOT_FOUND", "The requested resource does not exist")

    def sobjects(self, request: Request, version: str, seg: list[str], body: Any) -> Response:
        from sandbox import salesforce_ops as ops

        org, method = self.org, request.method
        if not seg:
            return _json({"encoding": "UTF-8", "maxBatchSize": 200,
                          "sobjects": [sobject_summary(o, version) for o in org.schema]})
        obj = org.object_name(seg[0])
        if obj is None:
            raise SfError(404, "NOT_FOUND", "The requested resource does not exist")
        rest = seg[1:]
        if not rest:
            if method == "GET":
                return _json({"objectDescribe": sobject_summary(obj, version), "recentItems": []})
            if method == "POST":
                row = org.create(obj, _record_body(body))
                return _json({"id": row["Id"], "success": True, "errors": []}, 201)
        elif rest == ["describe"] and method == "GET":
            return _json(describe_object(obj, org.schema[obj], version))
        elif len(rest) == 1:
            rid = rest[0]
            if method == "GET":
                found = org.get(obj, rid)
                if found is None:
                    raise SfError(404, "NOT_FOUND", "The requested resource does not exist")
                row = found
                if row.get("IsDeleted"):
                    raise SfError(404, "ENTITY_IS_DELETED", "entity is deleted")
                return _json(ops.render_row(org, obj, row, version,
                                            request.query_params.get("fields")))
            if method == "PATCH":
                org.update(obj, rid, _record_body(body))
                return Response(status_code=204)
            if method == "DELETE":
                org.delete(obj, rid)
                return Response(status_code=204)
        elif len(rest) == 2:
            field_name, value = rest
            if method == "GET":
                rows = org.find_by_external(obj, field_name, value)
                if not rows:
                    raise SfError(404, "NOT_FOUND", "The requested resource does not exist")
                if len(rows) > 1:
                    err = SfError(300, "MULTIPLE_CHOICES", "multiple records")
                    err.matches = [r["Id"] for r in rows]  # type: ignore[attr-defined]
                    raise err
                return _json(ops.render_row(org, obj, rows[0], version,
                                            request.query_params.get("fields")))
            if method == "PATCH":
                row, created = org.upsert(obj, field_name, value, _record_body(body))
                return ops.upsert_response(org, row, created, version)
            if method == "DELETE":
                rows = org.find_by_external(obj, field_name, value)
                if not rows:
                    raise SfError(404, "NOT_FOUND", "The requested resource does not exist")
                org.delete(obj, rows[0]["Id"])
                return Response(status_code=204)
        raise SfError(404, "NOT_FOUND", "The requested resource does not exist")


def _record_body(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise SfError(400, "JSON_PARSER_ERROR", "Cannot deserialize instance of sobject from "
                      "the request body")
    return body


def _batch_size(header: str) -> int:
    m = re.search(r"batchSize\s*=\s*(\d+)", header)
    if not m:
        return 2000
    return max(200, min(2000, int(m.group(1))))


__all__ = ["SalesforceApi", "versions", "attributes", "to_json"]
