"""One rate limiter for every worker, through Redis: pace calls, and obey a 429 where it applies.

Every request to Salesforce or Jira passes :meth:`Limiter.before` first:

- **pauses** set by earlier 429s (any worker's) are waited out: ``{ns}:backoff:{system}:{scope}``
  keys that expire when the pause ends. Jira says which limit it hit in ``RateLimit-Reason``,
  and the pause covers only that limit's scope (Atlassian, "Build an app that respects rate
  limits"): ``jira-burst-based`` -> that endpoint (method and path shape),
  ``jira-per-issue-on-write`` -> that one issue, anything else (a quota, or no reason) -> the
  whole system. The pause is ``Retry-After`` seconds, or :data:`DEFAULT_BACKOFF` when a 429
  carries none.
- **the shared rate**: at most ``rate`` calls per second start across all workers (one counter
  per system and second, ``{ns}:rate:{system}:{second}``, INCR then EXPIRE). A worker past the
  budget sleeps to the next second.

:meth:`Limiter.wrap` installs this on a requests session and is the **one retry policy** for
429s: a throttled call is retried after its pause while the pauses it has waited add up to at
most ``max_wait`` (and at most ``retries`` times): every thread of a worker that hit an endpoint's
burst limit waits the same pause and starts again at once, so a burst of 20 calls in flight
against Cloud's 10 a second on one endpoint takes several rounds, each of which lets some
through. A longer pause surfaces as :class:`connectors.errors.RetriableError` with its
``retry_after``, which the task layer honours as the retry countdown. Other failures are not
retried here (the executor keeps the work, the next flush does it).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from typing import Any

import redis
import requests

log = logging.getLogger("escalation_sync.limiter")

DEFAULT_BACKOFF = 5.0  # seconds, a 429 without Retry-After (Jira's own guidance starts at a few seconds)
_ISSUE = re.compile(r"/issue/([A-Z][A-Z0-9_]*-\d+)")
_SHAPE = re.compile(r"(?<!/api)/([A-Z][A-Z0-9_]*-\d+|\d+)(?=/|$)")  # keys and ids, not the API version


def endpoint(method: str, url: str) -> str:
    """``POST /rest/api/3/issue/{id}/comment``: the method and the path's shape (no keys, no query)."""
    path = re.sub(r"^https?://[^/]+", "", url).split("?", 1)[0]
    return f"{method.upper()} {_SHAPE.sub('/{id}', path)}"


def issue_of(url: str) -> str | None:
    found = _ISSUE.search(url)
    return found.group(1) if found else None


def scope_of(reason: str | None, method: str, url: str) -> str:
    """Which calls a 429 slows down, from Jira's ``RateLimit-Reason``."""
    reason = (reason or "").lower()
    if reason == "jira-burst-based":
        return f"endpoint:{endpoint(method, url)}"
    if reason == "jira-per-issue-on-write":
        issue = issue_of(url)
        return f"issue:{issue}" if issue else f"endpoint:{endpoint(method, url)}"
    return "all"


def retry_after(headers: Any) -> float | None:
    raw = str((headers or {}).get("Retry-After", "")).strip()
    try:
        return max(float(raw), 0.0) if raw else None
    except ValueError:
        return None  # an HTTP date: rare from Jira; the default applies


class Limiter:
    """Shared pacing for one system (``jira`` or ``salesforce``); see the module docstring."""

    def __init__(self, client: redis.Redis, ns: str, system: str, *, rate: float, endpoint_rate: float = 0,
                 retries: int = 12, max_wait: float = 10.0, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.time):
        self.r, self.ns, self.system = client, ns, system
        self.rate, self.endpoint_rate = rate, endpoint_rate
        self.retries, self.max_wait = retries, max_wait
        self.sleep, self.clock = sleep, clock
        self.throttled = 0  # 429s seen by this process (benchmarks, logs)
        self._lock = threading.Lock()
        self._local: dict[str, float] = {}  # scope -> until (clock): pauses also kept in process
        self._warned = False

    def _key(self, scope: str) -> str:
        return f"{self.ns}:backoff:{self.system}:{scope}"

    def _scopes(self, method: str, url: str) -> list[str]:
        scopes = ["all", f"endpoint:{endpoint(method, url)}"]
        issue = issue_of(url)
        if issue:
            scopes.append(f"issue:{issue}")
        return scopes

    def _unshared(self, exc: redis.RedisError) -> None:
        """Without Redis (export-book runs without it, an outage) the limiter fails open: this
        process still obeys its own 429s, it only stops sharing them and the pacing."""
        if not self._warned:
            self._warned = True
            log.warning("rate limiter: Redis unreachable (%s); pacing this process alone", type(exc).__name__)

    def pause_left(self, method: str, url: str) -> float:
        """Seconds until every pause covering this call has ended (0: none)."""
        scopes = self._scopes(method, url)
        now = self.clock()
        local = max([self._local.get(s, 0) - now for s in scopes] + [0])
        try:
            p = self.r.pipeline(transaction=False)
            for scope in scopes:
                p.pttl(self._key(scope))
            shared = max([ms for ms in p.execute() if ms and ms > 0] or [0]) / 1000
        except redis.RedisError as exc:
            self._unshared(exc)
            shared = 0
        return max(local, shared)

    def before(self, method: str, url: str) -> None:
        """Block until this call may start: pauses over, and within the shared rate."""
        while True:
            left = self.pause_left(method, url)
            if left > 0:
                self.sleep(left)
                continue
            if self.rate <= 0 and self.endpoint_rate <= 0:
                return
            now = self.clock()
            second = int(now)
            budgets = [(f"{self.ns}:rate:{self.system}:{second}", self.rate),
                       (f"{self.ns}:rate:{self.system}:{endpoint(method, url)}:{second}", self.endpoint_rate)]
            budgets = [(k, limit) for k, limit in budgets if limit > 0]
            try:
                p = self.r.pipeline(transaction=True)
                for key, _ in budgets:
                    p.incr(key)
                    p.expire(key, 2)
                used = p.execute()[::2]
            except redis.RedisError as exc:
                self._unshared(exc)
                return
            if all(n <= limit for n, (_, limit) in zip(used, budgets, strict=True)):
                return
            self.sleep(max(second + 1 - now, 0.001))

    def on_429(self, method: str, url: str, headers: Any) -> float:
        """Record a 429's pause for everyone it concerns; returns its length in seconds."""
        wait = retry_after(headers)
        wait = DEFAULT_BACKOFF if wait is None else wait
        scope = scope_of((headers or {}).get("RateLimit-Reason"), method, url)
        with self._lock:
            self.throttled += 1
        if wait > 0:
            self._local[scope] = max(self._local.get(scope, 0), self.clock() + wait)
            key = self._key(scope)
            try:  # never shorten a longer pause another worker already set
                current = self.r.pttl(key)
                if current is None or current < wait * 1000:
                    self.r.set(key, "1", px=max(int(wait * 1000), 1))
            except redis.RedisError as exc:
                self._unshared(exc)
        log.info("%s answered 429 (%s): pausing %s for %.1f s", self.system,
                 (headers or {}).get("RateLimit-Reason") or "no reason", scope, wait)
        return wait

    def wrap(self, session: requests.Session) -> None:
        """Route every request of ``session`` through this limiter (see the module docstring)."""
        send = session.request

        def request(method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:
            waited = 0.0  # the pauses this call has waited out so far
            for attempt in range(self.retries + 1):
                self.before(method, url)
                try:
                    response = send(method, url, *args, **kwargs)
                except Exception as exc:  # the jira session raises JIRAError on a 429
                    answer = getattr(exc, "response", None)
                    if getattr(answer, "status_code", None) != 429:
                        raise
                    wait = self.on_429(method, url, answer.headers)
                    waited += wait
                    if attempt == self.retries or waited > self.max_wait:
                        raise
                    continue
                if response.status_code != 429:
                    return response
                wait = self.on_429(method, url, response.headers)
                waited += wait
                if attempt == self.retries or waited > self.max_wait:
                    return response
            raise AssertionError("unreachable")

        session.request = request  # type: ignore[method-assign]
