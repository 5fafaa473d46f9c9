"""Fault injection and Jira's request budget: which call fails, how, and with what headers.

Faults are plans (``{"system", "status", "rate", "count", "retry_after", "delay_ms",
"path_contains", "method", "drop", "hold_ms", "body"}``); ``count`` fails exactly the next *n*
matching calls (deterministic tests), ``rate`` fails a seeded random share. The Jira budget is a
fixed window of *limit* calls per *window* seconds, answered with 429 and the headers Atlassian
sends (``Retry-After`` in integer seconds, ``X-RateLimit-*``, ``RateLimit-Reason``).

``drop`` is the lost answer (issue 16): the write is applied, then its response never arrives:
``"close"`` closes the connection instead of answering (the client sees the connection reset),
``"timeout"`` holds the answer for ``hold_ms`` (default 35 s, past the connector's 30 s HTTP
timeout) or until the client gives up, then closes. Without ``method`` it matches writes only.

Jira 429s carry Jira Cloud's HTML error page by default (``sandbox/jira_limits.py`` cites the
recorded pages); ``"body": "json"`` on a fault, or ``jira_429_body = "json"`` on the board,
sends the old ``errorMessages`` shape. A 429 fault without ``retry_after`` has no Retry-After
header, as real Jira sometimes answers. The 2026 limits themselves live in
``sandbox/jira_limits.py``; the network delay in ``sandbox/latency.py``.
"""

from __future__ import annotations

import math
import random
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.jira_limits import TOO_MANY_REQUESTS_HTML, JiraLimits
from sandbox.latency import Latency

SYSTEMS = ("salesforce", "jira")
DROPS = ("close", "timeout")
WRITES = ("POST", "PUT", "PATCH", "DELETE")


@dataclass
class Fault:
    system: str
    status: int | None = None
    rate: float = 1.0
    count: int | None = None
    retry_after: int | None = None
    delay_ms: int = 0
    path_contains: str | None = None
    method: str | None = None
    drop: str | None = None
    hold_ms: int | None = None
    body: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fault:
        system = data.get("system")
        if system not in SYSTEMS:
            raise ValueError(f"system: must be one of {', '.join(SYSTEMS)}")
        status = data.get("status")
        if status is not None and int(status) not in (429, 500, 502, 503, 504):
            raise ValueError("status: must be 429, 500, 502, 503 or 504")
        rate = float(data.get("rate", 1.0))
        if not 0 <= rate <= 1:
            raise ValueError("rate: must be between 0 and 1")
        count = data.get("count")
        retry_after = data.get("retry_after")
        drop = data.get("drop")
        if drop is not None and drop not in DROPS:
            raise ValueError("drop: must be close or timeout")
        if drop is not None and status is not None:
            raise ValueError("drop: a dropped answer has no status; give one or the other")
        body = data.get("body")
        if body not in (None, "html", "json"):
            raise ValueError("body: must be html or json")
        hold_ms = data.get("hold_ms")
        return cls(system=system, status=int(status) if status is not None else None, rate=rate,
                   count=int(count) if count is not None else None,
                   retry_after=int(retry_after) if retry_after is not None else None,
                   delay_ms=int(data.get("delay_ms", 0)),
                   path_contains=data.get("path_contains"), method=data.get("method"), drop=drop,
                   hold_ms=int(hold_ms) if hold_ms is not None else None, body=body)

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class Decision:
    """What to do with one call: delay it, and maybe answer with an error instead."""

    delay_ms: int = 0
    status: int | None = None
    retry_after: int | None = None
    reason: str = "injected"
    limit: int | None = None
    remaining: int | None = None
    reset: datetime | None = None
    drop: str | None = None
    hold_ms: int = 35_000
    body: str = "html"
    near: bool = False


class RateWindow:
    """A fixed-window request budget: ``limit`` calls every ``window`` seconds."""

    def __init__(self, limit: int, window: float, retry_after: int | None = None) -> None:
        self.limit, self.window, self.retry_after = limit, window, retry_after
        self.started = time.monotonic()
        self.used = 0

    def take(self) -> tuple[bool, int, float]:
        """Spend one call: (allowed, remaining, seconds until the window resets)."""
        now = time.monotonic()
        if now - self.started >= self.window:
            self.started, self.used = now, 0
        left = self.window - (now - self.started)
        if self.used >= self.limit:
            return False, 0, left
        self.used += 1
        return True, self.limit - self.used, left


class FaultBoard:
    """The faults and budgets in force, per system; thread-safe."""

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._random = random.Random(seed)
        self.windows: dict[str, RateWindow] = {}
        self.latency = Latency(seed)
        self.jira_limits = JiraLimits()
        self.jira_429_body = "html"

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self, system: str | None = None) -> None:
        with self._lock:
            self._faults = [f for f in self._faults if system and f.system != system]

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.to_json() for f in self._faults]

    def set_budget(self, system: str, limit: int | None, window: float = 60.0,
                   retry_after: int | None = None) -> None:
        with self._lock:
            if limit is None:
                self.windows.pop(system, None)
            else:
                self.windows[system] = RateWindow(limit, window, retry_after)

    def decide(self, system: str, method: str, path: str) -> Decision:
        """Pick the outcome for one call (consumes a ``count`` and a budget slot)."""
        with self._lock:
            decision = Decision()
            for fault in list(self._faults):
                if fault.system != system:
                    continue
                if fault.path_contains and fault.path_contains not in path:
                    continue
                if fault.method and fault.method.upper() != method.upper():
                    continue
                if fault.drop is not None:
                    if decision.drop is not None or (not fault.method and method.upper() not in WRITES):
                        continue
                    if fault.rate < 1 and self._random.random() >= fault.rate:
                        continue
                    decision.drop = fault.drop
                    decision.hold_ms = fault.hold_ms if fault.hold_ms is not None else 35_000
                    self._spend(fault)
                    continue
                if fault.status is None and (fault.rate < 1 or fault.count is not None):
                    # a slow answer only: ``rate`` and ``count`` pick the calls it slows
                    if fault.rate < 1 and self._random.random() >= fault.rate:
                        continue
                    self._spend(fault)
                decision.delay_ms = max(decision.delay_ms, fault.delay_ms)
                if fault.status is None or decision.status is not None:
                    continue
                if fault.rate < 1 and self._random.random() >= fault.rate:
                    continue
                decision.status = fault.status
                decision.retry_after = fault.retry_after
                decision.body = fault.body or self.jira_429_body
                self._spend(fault)
            window = self.windows.get(system)
            if window is not None and decision.status is None:
                ok, remaining, left = window.take()
                decision.limit, decision.remaining = window.limit, remaining
                decision.reset = datetime.now(UTC) + timedelta(seconds=left)
                if not ok:
                    decision.status = 429
                    decision.reason = "jira-quota-tenant-based"
                    decision.retry_after = window.retry_after or max(1, math.ceil(left))
                    decision.body = self.jira_429_body
            if decision.status is not None:
                decision.drop = None  # an error answer is not a lost one
            return decision

    def _spend(self, fault: Fault) -> None:
        if fault.count is not None:
            fault.count -= 1
            if fault.count <= 0:
                self._faults.remove(fault)

    def limit(self, decision: Decision, method: str, path: str, body: Any) -> None:
        """Apply Jira's 2026 limits to a call no fault already answered (``sandbox/jira_limits``)."""
        if decision.status is not None or not self.jira_limits.active:
            return
        verdict = self.jira_limits.check(method, path, body)
        decision.near = verdict.near
        if verdict.refused:
            decision.status, decision.reason = 429, verdict.reason
            decision.retry_after = verdict.retry_after if self.jira_limits.config.retry_after else None
            decision.limit, decision.remaining = verdict.limit, 0
            decision.reset = datetime.now(UTC) + timedelta(seconds=verdict.retry_after)
            decision.body, decision.drop = self.jira_429_body, None


def rate_limit_headers(d: Decision) -> dict[str, str]:
    """Atlassian's rate-limit headers for a 429 (or a 503 with ``Retry-After``)."""
    headers: dict[str, str] = {}
    if d.retry_after is not None:
        headers["Retry-After"] = str(int(d.retry_after))
    if d.status == 429:
        reset = d.reset or datetime.now(UTC) + timedelta(seconds=d.retry_after or 1)
        headers.update({
            "X-RateLimit-Limit": str(d.limit if d.limit is not None else 100),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%MZ"),
            "X-RateLimit-NearLimit": "true",
            "RateLimit-Reason": "jira-burst-based" if d.reason == "injected" else d.reason,
        })
    return headers


def error_body(system: str, status: int, style: str = "html") -> Any:
    """The body each vendor sends with an injected status (a str is sent as HTML)."""
    if system == "salesforce":
        code, message = {
            429: ("REQUEST_LIMIT_EXCEEDED", "ConcurrentPerOrgLongTxn Limit exceeded."),
            500: ("UNKNOWN_EXCEPTION", "An unexpected error occurred. Please include this ErrorId "
                  "if you contact support: 1234567890-12345 (-1234567890)"),
            503: ("SERVER_UNAVAILABLE", "Service temporarily unavailable, please retry later."),
        }.get(status, ("SERVER_UNAVAILABLE", "Service unavailable"))
        return [{"message": message, "errorCode": code}]
    if status == 429 and style == "html":
        return TOO_MANY_REQUESTS_HTML
    message = {
        429: "Rate limit exceeded.",
        500: "Internal server error.",
        503: "Service unavailable. Please try again later.",
    }.get(status, "Service unavailable.")
    return {"errorMessages": [message], "errors": {}}
