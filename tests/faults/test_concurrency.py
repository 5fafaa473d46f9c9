"""The same task delivered twice, several workers and several processes on one book at once."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import uuid

import pytest
import redis

from sandbox.faults import Fault
from sync.app import app
from sync.state import Store
from tests.celery_worker import Worker
from tests.faults.support import use_broker, worker_env
from tests.paths import ROOT
from tests.sync.outcome import assert_matches_backtest, expected


def start_workers(sandbox, redis_url: str, n: int, **env: str) -> list[Worker]:
    use_broker(redis_url)
    workers = [Worker(worker_env(sandbox, redis_url, **env), name=f"w{i}") for i in range(n)]
    try:
        for w in workers:
            w.wait_ready()
    except BaseException:
        for w in workers:
            w.stop()
        raise
    return workers


def settle(redis_url: str, timeout: float = 60.0) -> list[object]:
    """Polls, one at a time, until one finds nothing left to write."""
    store = Store(redis.Redis.from_url(redis_url))
    results: list[object] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = app.send_task("escalation_sync.poll").get(timeout=60)
        results.append(result)
        if isinstance(result, dict) and not result["deferred"] and not store.outbox():
            return results
        time.sleep(0.3)
    raise AssertionError(f"not settled: {results[-5:]}")


def test_the_same_message_delivered_twice_to_two_workers_writes_once(sandbox, redis_url):
    workers = start_workers(sandbox, redis_url, 2)
    try:
        task_id = str(uuid.uuid4())
        a = app.send_task("escalation_sync.poll", task_id=task_id)
        b = app.send_task("escalation_sync.poll", task_id=task_id)  # a duplicate delivery
        a.get(timeout=90), b.get(timeout=90)
        settle(redis_url)
        assert_matches_backtest(sandbox, expected(sandbox))
        a.forget()  # the result backend keys results by task id: wait for the new run's
        sandbox.clear_requests()
        again = app.send_task("escalation_sync.poll", task_id=task_id).get(timeout=90)  # redelivered late
        assert isinstance(again, dict) and (again["opened"], again["written"]) == (0, 0), again
        assert [r for r in sandbox.requests(bodies=False) if r["method"] in ("POST", "PATCH")
                and "oauth2" not in r["path"]] == []
        assert_matches_backtest(sandbox, expected(sandbox))
    finally:
        for w in workers:
            w.stop()


def test_four_workers_polling_and_flushing_at_once_write_each_escalation_once(sandbox, redis_url):
    workers = start_workers(sandbox, redis_url, 4)
    try:
        sent = [app.send_task(name) for _ in range(4) for name in ("escalation_sync.poll", "escalation_sync.flush")]
        results = [r.get(timeout=90) for r in sent]
        assert all(isinstance(r, dict) or r == "busy" for r in results), results  # busy: the lock was held
        results += settle(redis_url)
        assert sum(r["opened"] for r in results if isinstance(r, dict) and "opened" in r) == len(expected(sandbox))
        assert_matches_backtest(sandbox, expected(sandbox))
    finally:
        for w in workers:
            w.stop()


def sync_once(sandbox, redis_url: str) -> subprocess.Popen[str]:
    env = {**os.environ, **sandbox.env(), "REDIS_URL": redis_url, "JIRA_SEARCH_SETTLE_SECONDS": "2",
           "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "sync.cli", "sync-once", "--json"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_four_sync_once_processes_at_once_write_each_escalation_once(sandbox, redis_url):
    procs = [sync_once(sandbox, redis_url) for _ in range(4)]
    outcomes = [(p.wait(120), *p.communicate()) for p in procs]
    codes = sorted(code for code, _, _ in outcomes)
    assert codes[0] == 0 and set(codes) <= {0, 1}, outcomes  # the others found the lock held
    for code, _out, err in outcomes:
        if code == 1:
            assert "another cycle is running" in err
    opened = sum(json.loads(out)["poll"]["opened"] for code, out, _ in outcomes if code == 0)
    assert opened == len(expected(sandbox))
    for _ in range(10):  # anything deferred is written by a later cycle
        if not Store(redis.Redis.from_url(redis_url)).outbox():
            break
        time.sleep(0.5)
        sync_once(sandbox, redis_url).wait(60)
    assert_matches_backtest(sandbox, expected(sandbox))


@pytest.mark.slow
def test_soak_four_workers_through_faults_and_kills(sandbox, redis_url):
    """Four workers, Jira and Salesforce failing part of the time, pool children killed now
    and then, a steady stream of polls: the end state is still exactly the backtest."""
    import signal

    sandbox.configure(search_lag_seconds=1)
    sandbox.faults.add(Fault("jira", status=500, rate=0.05))
    sandbox.faults.add(Fault("salesforce", status=503, rate=0.05))
    workers = start_workers(sandbox, redis_url, 4, TASK_TIME_LIMIT_SECONDS="120")
    client = redis.Redis.from_url(redis_url)
    try:
        deadline = time.monotonic() + 60
        rounds = 0
        while time.monotonic() < deadline:
            rounds += 1
            pending = [app.send_task("escalation_sync.poll") for _ in range(4)]
            if rounds % 3 == 0:
                children = subprocess.run(["pgrep", "-P", str(workers[rounds % 4].proc.pid)],
                                          capture_output=True, text=True).stdout.split()
                for pid in children[:1]:
                    os.kill(int(pid), signal.SIGKILL)
                client.delete("esc:lock:cycle")  # the dead child's lock, as if it had expired
            for r in pending:
                with contextlib.suppress(Exception):  # a killed task's result may never come
                    r.get(timeout=120, propagate=False)
        sandbox.faults.clear()
        client.delete("esc:lock:cycle")
        settle(redis_url, timeout=120)
        assert_matches_backtest(sandbox, expected(sandbox))
    finally:
        for w in workers:
            w.stop()
