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
- **an endpoint's learned rate**: Atlassian publishes the scopes of the burst limits, not their
  numbers, so the limiter learns them. Every call is counted per endpoint and second; on a
  ``jira-burst-based`` 429 the endpoint's rate becomes the calls it let through in the last
  second (``{ns}:learned:{system}:{endpoint}``, shared by every worker), its calls then start
  evenly ``1/rate`` apart (the next free start in ``{ns}:next:{system}:{endpoint}``), raised by
  :data:`LEARN_RAISE` calls a second for every second without a 429 (additive increase, so a
  lifted limit is found again) and forgotten :data:`LEARN_TTL` seconds after the last 429.
  Without it, the 20 threads that waited out the pause start again together and meet the
  limit again, round after round.

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
LEARN_RAISE = 0.5  # calls a second added to a learned endpoint rate for each second without a 429
LEARN_TTL = 60  # seconds after an endpoint's last burst 429 its learned rate is forgotten
# the next free start of an endpoint under a learned rate: reserve it, answer how long to wait for it
_SPACE = """
local start = tonumber(redis.call('GET', KEYS[1]) or '0')
local now = tonumber(ARGV[1])
if start < now then start = now end
redis.call('SET', KEYS[1], tostring(start + tonumber(ARGV[2])), 'PX', ARGV[3])
return tostring(start - now)
"""
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

    def _learned_key(self, ep: str) -> str:
        return f"{self.ns}:learned:{self.system}:{ep}"

    def _learned(self, raw: list[Any], now: float) -> float:
        """The learned rate of an endpoint now (0: none), from its ``[rate, at]`` in Redis."""
        if not raw or raw[0] is None:
            return 0.0
        return float(raw[0]) + LEARN_RAISE * max(now - float(raw[1] or now), 0.0)

    def before(self, method: str, url: str) -> None:
        """Block until this call may start: pauses over, and within the shared and learned rates."""
        ep = endpoint(method, url)
        while True:
            left = self.pause_left(method, url)
            if left > 0:
                self.sleep(left)
                continue
            now = self.clock()
            second = int(now)
            counted = f"{self.ns}:rate:{self.system}:{ep}:{second}"
            try:
                p = self.r.pipeline(transaction=True)
                p.incr(f"{self.ns}:rate:{self.system}:{second}")
                p.expire(f"{self.ns}:rate:{self.system}:{second}", 2)
                p.incr(counted)
                p.expire(counted, 3)
                p.hmget(self._learned_key(ep), "rate", "at")
                total, _, calls, _, learned = p.execute()
            except redis.RedisError as exc:
                self._unshared(exc)
                return
            if (self.rate <= 0 or total <= self.rate) and (self.endpoint_rate <= 0 or calls <= self.endpoint_rate):
                self._space(ep, self._learned(learned, now), now)
                return
            self.sleep(max(second + 1 - now, 0.001))

    def _space(self, ep: str, rate: float, now: float) -> None:
        """Under a learned rate, calls of the endpoint start evenly 1/rate apart (across workers: the
        next free start is kept in Redis), not all at the top of a second."""
        if rate <= 0:
            return
        try:
            wait = float(self.r.eval(_SPACE, 1, f"{self.ns}:next:{self.system}:{ep}", repr(now),
                                     repr(1 / rate), LEARN_TTL * 1000))
        except redis.RedisError as exc:
            self._unshared(exc)
            return
        if wait > 0:
            self.sleep(wait)

    def _learn(self, method: str, url: str) -> None:
        """A burst 429: the endpoint's rate becomes what it let through in the last second."""
        ep, now = endpoint(method, url), self.clock()
        second = int(now)
        base = f"{self.ns}:rate:{self.system}:{ep}"
        try:
            p = self.r.pipeline(transaction=False)
            p.incr(f"{base}:429:{second}")
            p.expire(f"{base}:429:{second}", 3)
            for s in (second - 1, second):
                p.get(f"{base}:{s}")
                p.get(f"{base}:429:{s}")
            answers = p.execute()[2:]
            # the last whole second, when there was one: the current one counts calls still in flight
            prev, cur = (int(answers[i] or 0) - int(answers[i + 1] or 0) for i in (0, 2))
            passed = prev if int(answers[0] or 0) > 0 else cur
            if passed > 0:
                key = self._learned_key(ep)
                p = self.r.pipeline(transaction=True)
                p.hset(key, mapping={"rate": passed, "at": now})
                p.expire(key, LEARN_TTL)
                p.execute()
        except redis.RedisError as exc:
            self._unshared(exc)

    def on_429(self, method: str, url: str, headers: Any) -> float:
        """Record a 429's pause for everyone it concerns; returns its length in seconds."""
        wait = retry_after(headers)
        wait = DEFAULT_BACKOFF if wait is None else wait
        scope = scope_of((headers or {}).get("RateLimit-Reason"), method, url)
        with self._lock:
            self.throttled += 1
        if scope.startswith("endpoint:"):
            self._learn(method, url)
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
