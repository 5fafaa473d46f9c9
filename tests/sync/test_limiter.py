"""The shared limiter (sync/limiter.py) over a real Redis: pauses scoped by RateLimit-Reason,
shared by every worker, pacing across processes; and the task layer's one retry policy."""

from __future__ import annotations

import pytest
import requests

from connectors.errors import RetriableError
from sync.limiter import DEFAULT_BACKOFF, Limiter, endpoint, scope_of
from sync.tasks import countdown

ISSUE = "https://jira.example/rest/api/3/issue/ESC-12"
WATCH = ISSUE + "/watchers"
OTHER = "https://jira.example/rest/api/3/issue/ESC-13/watchers"


class Clock:
    """A fake clock the limiter sleeps on (Redis TTLs still run in real time: kept short)."""

    def __init__(self) -> None:
        self.now = 1_000_000.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def time(self) -> float:
        return self.now


@pytest.fixture
def client(redis_server):
    redis_server.client.flushall()
    return redis_server.client


def limiter(client, clock: Clock | None = None, **kw) -> Limiter:
    clock = clock or Clock()
    return Limiter(client, "esc", "jira", sleep=clock.sleep, clock=clock.time, **{"rate": 0, **kw})


def test_the_reason_names_what_slows_down():
    assert endpoint("POST", WATCH + "?x=1") == "POST /rest/api/3/issue/{id}/watchers"
    assert scope_of("jira-burst-based", "POST", WATCH) == "endpoint:POST /rest/api/3/issue/{id}/watchers"
    assert scope_of("jira-per-issue-on-write", "POST", WATCH) == "issue:ESC-12"
    assert scope_of("jira-quota-tenant-based", "POST", WATCH) == "all"
    assert scope_of(None, "GET", ISSUE) == "all"


def test_a_burst_429_pauses_that_endpoint_for_every_worker_and_nothing_else(client):
    one, two = limiter(client), limiter(client)  # two workers, one Redis
    assert one.on_429("POST", WATCH, {"Retry-After": "3", "RateLimit-Reason": "jira-burst-based"}) == 3
    assert 2.5 < two.pause_left("POST", OTHER) <= 3  # the same endpoint, another issue
    assert two.pause_left("GET", ISSUE) == 0  # another endpoint
    assert two.pause_left("PUT", ISSUE) == 0


def test_a_per_issue_429_pauses_only_that_issue(client):
    one, two = limiter(client), limiter(client)
    one.on_429("POST", WATCH, {"Retry-After": "2", "RateLimit-Reason": "jira-per-issue-on-write"})
    assert two.pause_left("PUT", ISSUE) > 1.5  # any write to ESC-12
    assert two.pause_left("POST", OTHER) == 0  # the same endpoint on ESC-13 goes on


def test_a_quota_429_without_retry_after_pauses_everything_for_the_default(client):
    one = limiter(client)
    assert one.on_429("GET", ISSUE, {"RateLimit-Reason": "jira-quota-global-based"}) == DEFAULT_BACKOFF
    assert limiter(client).pause_left("POST", OTHER) > DEFAULT_BACKOFF - 1


def test_a_shorter_pause_never_shortens_a_longer_one(client):
    one = limiter(client)
    one.on_429("GET", ISSUE, {"Retry-After": "4"})
    one.on_429("GET", ISSUE, {"Retry-After": "1"})
    assert one.pause_left("GET", ISSUE) > 3


def test_workers_together_stay_within_the_rate(client):
    clock = Clock()
    workers = [limiter(client, clock, rate=5) for _ in range(3)]
    for n in range(12):
        workers[n % 3].before("GET", ISSUE)
    # 12 calls at 5 a second: the 6th and 11th waited for the next second (the fake clock)
    assert len([s for s in clock.slept if s > 0]) == 2


def test_a_wrapped_session_waits_out_a_short_429_and_retries_once(client):
    clock = Clock()
    lim = limiter(client, clock, retries=2, max_wait=10)
    answers = [429, 200]
    seen: list[str] = []

    class Session(requests.Session):
        def request(self, method, url, *args, **kwargs):  # type: ignore[override]
            seen.append(method)
            response = requests.Response()
            response.status_code = answers.pop(0)
            response.headers["Retry-After"] = "0"
            return response

    session = Session()
    lim.wrap(session)
    assert session.request("GET", ISSUE).status_code == 200
    assert seen == ["GET", "GET"] and lim.throttled == 1


def test_the_task_layer_retries_after_what_the_service_said():
    assert countdown(RetriableError("429", retry_after=42), retries=0) == 42
    backoff = countdown(RetriableError("500"), retries=3)
    assert 8 <= backoff <= 16


def scripted(answers: list[int], retry_after: str) -> requests.Session:
    class Session(requests.Session):
        def request(self, method, url, *args, **kwargs):  # type: ignore[override]
            response = requests.Response()
            response.status_code = answers.pop(0)
            response.headers["Retry-After"] = retry_after
            response.headers["RateLimit-Reason"] = "jira-burst-based"
            return response

    return Session()


def test_an_endpoint_throttled_round_after_round_is_retried_while_the_pauses_stay_short(client):
    """Twenty threads in step against an endpoint's burst limit: a call may meet several 429s of
    one second before its turn; it is not given up after two (that failed a sync-once's watchers
    under --jira-limits cloud-2026)."""
    lim = limiter(client, Clock(), max_wait=1)  # pauses of 0.1 s here (Redis TTLs run in real time)
    session = scripted([429, 429, 429, 429, 429, 200], "0.1")
    lim.wrap(session)
    assert session.request("POST", WATCH).status_code == 200 and lim.throttled == 5


def test_a_call_gives_up_once_its_pauses_add_up_past_the_longest_wait(client):
    lim = limiter(client, Clock(), max_wait=1)
    session = scripted([429] * 20, "0.3")
    lim.wrap(session)
    assert session.request("POST", WATCH).status_code == 429
    assert lim.throttled == 4  # 0.3 + 0.3 + 0.3 s waited and retried; the fourth pause makes 1.2 > 1


BURST = {"RateLimit-Reason": "jira-burst-based", "Retry-After": "0"}


def test_after_a_burst_429_the_endpoint_paces_at_what_it_let_through_evenly_and_nothing_else(client):
    """Cloud publishes no burst numbers: the limiter learns them. Ten watchers went through in
    one second; the next second's 429 makes that the endpoint's rate, and its calls start 0.1 s
    apart (for every worker) instead of all at once; other endpoints are not slowed."""
    clock = Clock()
    one, two = limiter(client, clock), limiter(client, clock)
    for _ in range(10):
        one.before("POST", WATCH)
    clock.now += 1
    one.on_429("POST", WATCH, BURST)
    clock.slept.clear()
    for n in range(5):
        (one if n % 2 else two).before("POST", OTHER)  # same endpoint shape, other issue
    assert clock.slept == pytest.approx([0.1] * 4, abs=0.01)
    clock.slept.clear()
    one.before("GET", ISSUE)
    assert clock.slept == []


def test_a_learned_rate_rises_while_no_429_comes(client):
    clock = Clock()
    lim = limiter(client, clock)
    for _ in range(4):
        lim.before("POST", WATCH)
    clock.now += 1
    lim.on_429("POST", WATCH, BURST)  # learned: 4 a second
    clock.now += 12  # LEARN_RAISE 0.5 a second: 10 a second now
    clock.slept.clear()
    lim.before("POST", WATCH)
    lim.before("POST", WATCH)
    assert clock.slept == pytest.approx([0.1], abs=0.01)
