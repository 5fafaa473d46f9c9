"""The admin surface at ``SANDBOX_ADMIN_URL`` (JSON over HTTP, its own port, not logged).

Routes (ARCHITECTURE.md, "The sandbox's admin surface", plus what tests need):

- ``GET /requests`` (``?system=``, ``?bodies=true``), ``DELETE /requests``
- ``GET /faults``, ``PUT /faults`` (one plan or a list), ``DELETE /faults`` (``?system=``).
  A plan may be ``{"system", "drop": "close"|"timeout", "hold_ms"?, ...}``: the write is
  applied and its answer lost (``sandbox/faults.py``). An item with ``latency_ms`` sets the
  latency instead (``{"latency_ms", "jitter_ms"?, "system"?}``), one with ``jira_limits`` the
  Jira limits (``{"jira_limits": {...} | null}``); ``DELETE /faults`` clears neither.
- ``GET /latency``, ``PUT /latency`` ``{"latency_ms", "jitter_ms"?, "system"?}`` (0 turns it off)
- ``GET /jira-limits``, ``PUT /jira-limits`` ``{"profile"?: "cloud-2026", "burst"?: {"per_second",
  "capacity"}, "per_issue_write"?: [{"limit", "window_seconds"}], "quota"?: {"points",
  "window_seconds", "reason"}, "retry_after"?: false, "body"?: "html"|"json"}``,
  ``DELETE /jira-limits`` (all off; the 429 body back to HTML); see ``sandbox/jira_limits.py``
- ``POST /expire-tokens``; ``POST /token`` -> ``{"access_token"}`` for direct sessions
- ``POST /tickets`` (a ticket in the book format; ``key`` and ``created`` may be omitted),
  ``POST /comments`` ``{"ticket", "author", "body", "public", "at"?}``,
  ``POST /health`` ``{"account", "score", "at"?}``, ``POST /transition`` ``{"issue", "status"}``
- ``GET /state`` (``?project=ESC``), ``GET /state/salesforce``, ``GET /state/jira``
- ``GET /progress`` (``?project=ESC``): epics by escalation label, record accounts, counts of plan
  issues, watchers and links; cheap enough to poll while a burst is written
- ``GET /clock``, ``POST /clock`` ``{"advance_seconds"}`` or ``{"now"}``
- ``GET /limits``, ``POST /limits`` ``{"max"?, "used"?}`` (``{}`` resets usage to 0)
- ``PUT /config`` ``{"search_lag_seconds", "token_ttl_seconds", "upsert_update_status",
  "jira_rate_limit": {"limit", "window_seconds", "retry_after"} | null}``
- ``DELETE /salesforce/fields/{object}/{field}``: remove a field from describe and SOQL
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from rules.models import Comment, Ticket
from sandbox.faults import Fault
from sandbox.sf_values import parse_datetime
from sandbox.site import JiraError

if TYPE_CHECKING:
    from sandbox.server import Sandbox


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, default=str), status_code=status,
                    media_type="application/json")


def _problem(status: int, message: str) -> Response:
    return _json({"error": message}, status)


def build_admin_app(sb: Sandbox) -> Starlette:
    async def body_of(request: Request) -> Any:
        raw = await request.body()
        return json.loads(raw) if raw.strip() else {}

    async def requests_(request: Request) -> Response:
        if request.method == "DELETE":
            return _json({"cleared": sb.log.clear()})
        bodies = request.query_params.get("bodies", "").lower() in ("1", "true")
        return _json(sb.log.entries(request.query_params.get("system"), bodies))

    async def faults(request: Request) -> Response:
        if request.method == "DELETE":
            sb.faults.clear(request.query_params.get("system"))
            return _json({"faults": []})
        if request.method == "PUT":
            data = await body_of(request)
            try:
                for item in data if isinstance(data, list) else [data]:
                    if isinstance(item, dict) and "latency_ms" in item:
                        sb.faults.latency.set_from_json(item)
                    elif isinstance(item, dict) and "jira_limits" in item:
                        sb.set_jira_limits(item["jira_limits"])
                    else:
                        sb.faults.add(Fault.from_json(item))
            except (ValueError, TypeError) as exc:
                return _problem(400, str(exc))
        return _json({"faults": sb.faults.list()})  # latency: GET /latency; limits: GET /jira-limits

    async def latency(request: Request) -> Response:
        if request.method == "PUT":
            try:
                sb.faults.latency.set_from_json(await body_of(request))
            except (ValueError, TypeError, AttributeError) as exc:
                return _problem(400, str(exc))
        return _json(sb.faults.latency.to_json())

    async def jira_limits(request: Request) -> Response:
        try:
            if request.method == "PUT":
                return _json(sb.set_jira_limits(await body_of(request)))
            if request.method == "DELETE":
                return _json(sb.set_jira_limits({"body": "html"}))
        except (ValueError, TypeError) as exc:
            return _problem(400, str(exc))
        return _json(sb.jira_limits())

    async def expire(request: Request) -> Response:
        return _json({"expired": sb.expire_tokens()})

    async def token(request: Request) -> Response:
        return _json({"access_token": sb.issue_token(), "instance_url": sb.salesforce_url})

    async def tickets(request: Request) -> Response:
        data = await body_of(request)
        try:
            iss = sb.add_ticket(data)
        except ValidationError as exc:
            return _problem(400, str(exc))
        except JiraError as exc:
            return _json(exc.body(), exc.status)
        return _json({"key": iss.key, "id": str(iss.id)}, 201)

    async def comments(request: Request) -> Response:
        data = dict(await body_of(request))
        key = data.pop("ticket", None)
        if not key:
            return _problem(400, "ticket: required")
        data.setdefault("at", sb.clock.now().isoformat())
        try:
            sb.world.add_comment(key, Comment.model_validate(data))
        except ValidationError as exc:
            return _problem(400, str(exc))
        except JiraError as exc:
            return _json(exc.body(), exc.status)
        return _json({"ticket": key}, 201)

    async def health(request: Request) -> Response:
        data = await body_of(request)
        at = parse_datetime(data["at"]) if data.get("at") else None
        try:
            sb.world.set_health(str(data.get("account")), float(data["score"]), at)
        except (KeyError, TypeError, ValueError) as exc:
            return _problem(400 if not isinstance(exc, KeyError) else 404, str(exc))
        return _json({"account": data.get("account"), "score": float(data["score"])}, 201)

    async def transition(request: Request) -> Response:
        data = await body_of(request)
        try:
            sb.world.transition(str(data.get("issue")), str(data.get("status")))
        except JiraError as exc:
            return _json(exc.body(), exc.status)
        return _json({"issue": data.get("issue"), "status": data.get("status")})

    async def state(request: Request) -> Response:
        which = request.path_params.get("system")
        project = request.query_params.get("project")
        full = sb.state(project=project)
        return _json(full.get(which, full) if which else full)

    async def progress(request: Request) -> Response:
        return _json(sb.progress(request.query_params.get("project", "ESC")))

    async def clock(request: Request) -> Response:
        if request.method == "POST":
            data = await body_of(request)
            if "now" in data:
                when = parse_datetime(str(data["now"]))
                if when is None:
                    return _problem(400, "now: not an ISO datetime")
                sb.clock.set(when)
            else:
                sb.clock.advance(float(data.get("advance_seconds", 0)))
        return _json({"now": sb.clock.now().isoformat()})

    async def limits(request: Request) -> Response:
        if request.method == "POST":
            data = await body_of(request)
            sb.set_api_budget(data.get("max"), data.get("used", 0))
        return _json({"max": sb.org.api_max, "used": sb.org.api_used})

    async def config(request: Request) -> Response:
        data = await body_of(request)
        try:
            sb.configure(**data)
        except TypeError as exc:
            return _problem(400, str(exc))
        return _json(sb.settings())

    async def remove_field(request: Request) -> Response:
        obj, name = request.path_params["object"], request.path_params["field"]
        if not sb.remove_field(obj, name):
            return _problem(404, f"{obj}.{name} does not exist")
        return Response(status_code=204)

    async def index(request: Request) -> Response:
        return _json({"salesforce": sb.salesforce_url, "jira": sb.jira_url,
                      "routes": [getattr(r, "path", "") for r in app.routes]})

    app = Starlette(routes=[
        Route("/", index),
        Route("/requests", requests_, methods=["GET", "DELETE"]),
        Route("/faults", faults, methods=["GET", "PUT", "DELETE"]),
        Route("/latency", latency, methods=["GET", "PUT"]),
        Route("/jira-limits", jira_limits, methods=["GET", "PUT", "DELETE"]),
        Route("/expire-tokens", expire, methods=["POST"]),
        Route("/token", token, methods=["POST"]),
        Route("/tickets", tickets, methods=["POST"]),
        Route("/comments", comments, methods=["POST"]),
        Route("/health", health, methods=["POST"]),
        Route("/transition", transition, methods=["POST"]),
        Route("/state", state),
        Route("/state/{system}", state),
        Route("/progress", progress),
        Route("/clock", clock, methods=["GET", "POST"]),
        Route("/limits", limits, methods=["GET", "POST"]),
        Route("/config", config, methods=["PUT"]),
        Route("/salesforce/fields/{object}/{field}", remove_field, methods=["DELETE"]),
    ])
    return app


def ticket_from(data: dict[str, Any], next_key: str, now_iso: str) -> Ticket:
    """A book-format ticket from admin input, filling ``key`` and ``created`` when absent."""
    data = dict(data)
    data.setdefault("key", next_key)
    data.setdefault("created", now_iso)
    return Ticket.model_validate(data)
