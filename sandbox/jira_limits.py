"""Jira Cloud's 2026 rate limits, emulated: burst per endpoint+method, per-issue writes, the quota.

Sources (read with the ``search`` tool, docs corpus, December 2026):

- Atlassian, "Rate limiting",
  https://developer.atlassian.com/cloud/jira/platform/rate-limiting/ : three independent
  systems at once (a points-based hourly quota, per-second request rate limits per endpoint
  with a burst buffer, per-issue write limits); a 429 when any is exceeded; ``Retry-After`` in
  seconds; ``X-RateLimit-Reset`` as ``yyyy-MM-ddTHH:mmZ``; ``X-RateLimit-Limit``,
  ``X-RateLimit-Remaining``; ``X-RateLimit-NearLimit: true`` when less than 20 % of a budget
  remains (also on successful responses); ``RateLimit-Reason`` names the limit. "API
  token-based traffic is not affected by [the points quota], and will continue to be governed
  by existing burst rate limits."
- Atlassian, "Build an app that respects rate limits",
  https://developer.atlassian.com/cloud/jira/platform/build-an-app-that-respects-rate-limits/ :
  the ``RateLimit-Reason`` values and their scopes: ``jira-burst-based`` (one tenant, one
  endpoint, one HTTP method: slow that endpoint only), ``jira-per-issue-on-write`` (one issue:
  space out writes to it), and the quota (``jira-quota-global-based`` /
  ``jira-quota-tenant-based``: everything).
- The 429 body of Jira Cloud is its HTML error page (``<title>Oops - an error has
  occurred</title>`` ... ``class="error-page error429"``), as pasted from real sites in
  github.com/floralvikings/jira-connector/issues/250 and github.com/apache/devlake/issues/2932.

The numbers: Atlassian publishes the scopes, not the thresholds ("REST API rate limits are not
published because the computation logic is evolving"), so the defaults of the ``cloud-2026``
profile (burst 10 calls/s per endpoint+method with a bucket of 20; per issue 20 writes in 2 s
and 100 in 30 s) are this sandbox's choice, configurable, picked so that a concurrent writer at
100 ms latency meets them and a careful one need not. All limits are off unless configured
(``PUT /jira-limits``, ``PUT /faults`` ``{"jira_limits": {...}}``, ``Sandbox(jira_limits=...)``,
``escalation-sync sandbox --jira-limits cloud-2026``): they have no published numbers, and the
fault suite's timing must not depend on invented ones. The HTML 429 body, by contrast, is on by
default for every Jira 429 (``"body": "json"`` for the old shape), since that is what Jira sends.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

BURST = "jira-burst-based"
PER_ISSUE = "jira-per-issue-on-write"
QUOTA_REASONS = ("jira-quota-global-based", "jira-quota-tenant-based")
PROFILE_2026 = {"burst": {"per_second": 10, "capacity": 20},
                "per_issue_write": [{"limit": 20, "window_seconds": 2}, {"limit": 100, "window_seconds": 30}]}

_KEY = re.compile(r"^[A-Z][A-Z0-9_]*-\d+$")
_ISSUE_PATH = re.compile(r"/rest/api/(?:2|3|latest)/issue/([^/]+)(?:/|$)")
_NOT_AN_ISSUE = {"bulk", "createmeta", "picker", "properties", "archive", "unarchive", "watching", "limit"}

# Abridged from the page Jira Cloud serves with a 429 (sources above); the head and the
# ``error429`` body class are verbatim, the rest is trimmed.
TOO_MANY_REQUESTS_HTML = (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="X-UA-Compatible" '
    'content="IE=edge"><title>Oops - an error has occurred</title><link type=\'text/css\' rel=\'stylesheet\' '
    "href='/static-assets/metal-all.css' media='all'><script src='/static-assets/metal-all.js'></script>"
    '<meta name="decorator" content="none" /></head><body class=" error-page error429"><div id="page">'
    '<section id="content" role="main"><div class="aui-page-panel"><div id="error-state">'
    '<span class="error-type"></span><h1>Something went wrong</h1><p>Try reloading the page, then check our '
    '<a href="https://status.atlassian.com">Statuspage</a> for any current outages.</p></div></div></section>'
    "</div></body></html>")


def endpoint(path: str) -> str:
    """The endpoint a path belongs to: issue keys and numeric ids become placeholders."""
    parts: list[str] = []
    for part in path.rstrip("/").split("/"):
        if _KEY.match(part):
            parts.append("{issueIdOrKey}")
        elif part.isdigit() and parts[-1:] != ["api"]:  # /rest/api/2 is a version, not an id
            parts.append("{id}")
        else:
            parts.append(part)
    return "/".join(parts)


def issues_written(method: str, path: str, body: Any) -> list[str]:
    """The existing issues a write changes: the one in the path, both ends of a link, and the
    issues a create links to (``update.issuelinks``: Jira moves their ``updated`` too)."""
    if method.upper() in ("GET", "HEAD", "OPTIONS"):
        return []
    found: list[str] = []
    match = _ISSUE_PATH.search(path)
    if match and match.group(1) not in _NOT_AN_ISSUE:
        found.append(match.group(1))
    if path.rstrip("/").endswith("/issueLink") and isinstance(body, dict):
        found += [_ref(body.get(side)) for side in ("inwardIssue", "outwardIssue")]
    updates = []
    if isinstance(body, dict):
        updates = [u.get("update") for u in body.get("issueUpdates") or [] if isinstance(u, dict)]
        updates.append(body.get("update"))
    for update in updates:
        for op in (update or {}).get("issuelinks") or [] if isinstance(update, dict) else []:
            add = op.get("add") if isinstance(op, dict) else None
            if isinstance(add, dict):
                found += [_ref(add.get("inwardIssue")), _ref(add.get("outwardIssue"))]
    return list(dict.fromkeys(k for k in found if k))


def _ref(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("key") or value.get("id") or "")
    return ""


@dataclass
class Verdict:
    """A limit's answer for one call: refused (a 429) or allowed, maybe near the limit."""

    refused: bool = False
    reason: str = ""
    retry_after: int = 1
    limit: int = 0
    remaining: int = 0
    near: bool = False

    def reset(self) -> str:
        return (datetime.now(UTC) + timedelta(seconds=self.retry_after)).strftime("%Y-%m-%dT%H:%MZ")


@dataclass
class _Bucket:
    capacity: float
    rate: float
    tokens: float
    at: float

    def take(self, now: float) -> tuple[bool, float]:
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True, 0.0
        return False, (1 - self.tokens) / self.rate


@dataclass
class LimitConfig:
    burst_per_second: float | None = None
    burst_capacity: int = 20
    per_issue: list[tuple[int, float]] = field(default_factory=list)
    quota_points: int | None = None
    quota_window_seconds: float = 3600.0
    quota_reason: str = "jira-quota-tenant-based"
    retry_after: bool = True

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LimitConfig:
        """``{"profile"?: "cloud-2026", "burst"?: {"per_second", "capacity"}, "per_issue_write"?:
        [{"limit", "window_seconds"}], "quota"?: {"points", "window_seconds", "reason"},
        "retry_after"?: bool}``; errors name the field."""
        if not isinstance(data, dict):
            raise ValueError("jira_limits: must be an object")
        unknown = set(data) - {"profile", "burst", "per_issue_write", "quota", "retry_after", "body"}
        if unknown:
            raise ValueError(f"jira_limits: unknown fields {', '.join(sorted(unknown))}")
        profile = data.get("profile")
        if profile not in (None, "cloud-2026", "off"):
            raise ValueError("jira_limits.profile: cloud-2026 or off")
        merged = {**(PROFILE_2026 if profile == "cloud-2026" else {}), **data}
        cfg = cls(retry_after=bool(merged.get("retry_after", True)))
        burst = merged.get("burst")
        if burst:
            cfg.burst_per_second = _positive(burst, "per_second", "jira_limits.burst.per_second")
            cfg.burst_capacity = int(_positive(burst, "capacity", "jira_limits.burst.capacity",
                                               default=max(1.0, 2 * cfg.burst_per_second)))
        for n, item in enumerate(merged.get("per_issue_write") or []):
            where = f"jira_limits.per_issue_write[{n}]"
            cfg.per_issue.append((int(_positive(item, "limit", where + ".limit")),
                                  _positive(item, "window_seconds", where + ".window_seconds")))
        quota = merged.get("quota")
        if quota:
            cfg.quota_points = int(_positive(quota, "points", "jira_limits.quota.points"))
            cfg.quota_window_seconds = _positive(quota, "window_seconds", "jira_limits.quota.window_seconds",
                                                 default=3600.0)
            cfg.quota_reason = str(quota.get("reason", cfg.quota_reason))
            if cfg.quota_reason not in QUOTA_REASONS:
                raise ValueError(f"jira_limits.quota.reason: one of {', '.join(QUOTA_REASONS)}")
        return cfg

    def to_json(self) -> dict[str, Any]:
        return {
            "burst": None if self.burst_per_second is None else
            {"per_second": self.burst_per_second, "capacity": self.burst_capacity},
            "per_issue_write": [{"limit": n, "window_seconds": w} for n, w in self.per_issue] or None,
            "quota": None if self.quota_points is None else
            {"points": self.quota_points, "window_seconds": self.quota_window_seconds, "reason": self.quota_reason},
            "retry_after": self.retry_after,
        }


def _positive(data: Any, name: str, where: str, default: float | None = None) -> float:
    value = data.get(name, default) if isinstance(data, dict) else None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{where}: a positive number is required") from None
    if number <= 0:
        raise ValueError(f"{where}: must be positive")
    return number


class JiraLimits:
    """The three limits' state; thread-safe. ``check`` before a call, ``charge`` after it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.config = LimitConfig()
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._writes: dict[str, deque[float]] = {}
        self._quota_used = 0
        self._quota_started = time.monotonic()

    def configure(self, config: LimitConfig | None) -> None:
        with self._lock:
            self.config = config or LimitConfig()
            self._buckets.clear()
            self._writes.clear()
            self._quota_used, self._quota_started = 0, time.monotonic()

    @property
    def active(self) -> bool:
        c = self.config
        return c.burst_per_second is not None or bool(c.per_issue) or c.quota_points is not None

    def check(self, method: str, path: str, body: Any) -> Verdict:
        """Quota first (it stops everything), then the endpoint's bucket, then each issue."""
        with self._lock:
            now, c, verdict = time.monotonic(), self.config, Verdict()
            if c.quota_points is not None:
                if now - self._quota_started >= c.quota_window_seconds:
                    self._quota_used, self._quota_started = 0, now
                left = c.quota_points - self._quota_used
                if left <= 0:
                    wait = c.quota_window_seconds - (now - self._quota_started)
                    return Verdict(True, c.quota_reason, max(1, math.ceil(wait)), c.quota_points, 0, True)
                verdict.near = left < 0.2 * c.quota_points
            if c.burst_per_second is not None:
                key = (method.upper(), endpoint(path))
                bucket = self._buckets.get(key)
                if bucket is None:
                    bucket = self._buckets[key] = _Bucket(c.burst_capacity, c.burst_per_second, c.burst_capacity, now)
                ok, wait = bucket.take(now)
                if not ok:
                    return Verdict(True, BURST, max(1, math.ceil(wait)), c.burst_capacity, 0, True)
                verdict.near = verdict.near or bucket.tokens < 0.2 * c.burst_capacity
            keys = issues_written(method, path, body) if c.per_issue else []
            horizon = max((w for _, w in c.per_issue), default=0)
            for issue in keys:
                stamps = self._writes.setdefault(issue, deque())
                while stamps and now - stamps[0] >= horizon:
                    stamps.popleft()
                for limit, window in c.per_issue:
                    inside = [t for t in stamps if now - t < window]
                    if len(inside) >= limit:
                        wait = inside[-limit] + window - now
                        return Verdict(True, PER_ISSUE, max(1, math.ceil(wait)), limit, 0, True)
                    verdict.near = verdict.near or limit - len(inside) - 1 < 0.2 * limit
            for issue in keys:
                self._writes[issue].append(now)
            return verdict

    def charge(self, method: str, body: Any) -> None:
        """Spend quota points after a call: 1 for a write; 1 + the objects returned for a read."""
        with self._lock:
            if self.config.quota_points is None:
                return
            points = 1
            if method.upper() == "GET":
                points += _objects(body)
            self._quota_used += points

    def to_json(self) -> dict[str, Any]:
        with self._lock:
            out = self.config.to_json()
            if self.config.quota_points is not None:
                out["quota_used"] = self._quota_used
            return out


def _objects(body: Any) -> int:
    if isinstance(body, list):
        return len(body)
    if isinstance(body, dict):
        for name in ("issues", "values", "comments", "users"):
            if isinstance(body.get(name), list):
                return len(body[name])
    return 0
