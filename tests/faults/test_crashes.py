"""A Celery worker killed with SIGKILL at each step of the poll-and-write path, in turn.

For every crash point of :mod:`sync.crashpoints`: a real worker (prefork) runs with
``ESCALATION_SYNC_CRASH_AT=<point>`` (once), ``escalation_sync.poll`` is sent, the pool child
dies at that point, Celery requeues the late-acknowledged task (``task_reject_on_worker_lost``),
and the following polls recover. The end state is exactly the backtest's escalations, each with
one record, one epic and one task per plan step.

The dead child still holds the cycle lock, which expires after ``task_time_limit`` (900 s by
default): the redelivered task finds it held and returns ``"busy"``. The test then makes the lock
expire at once (``PEXPIRE``) instead of waiting 15 minutes. Jira search here trails writes by one
second and the writer waits two (``JIRA_SEARCH_SETTLE_SECONDS``) before re-creating what an
intent says may exist, so the lookups after a crash are exercised against a lagging search.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import redis

from sync.app import app
from sync.crashpoints import CRASH_AT, CRASH_ONCE, POINTS
from sync.keys import Keys
from sync.state import Store
from tests.celery_worker import Worker
from tests.faults.support import use_broker, worker_env
from tests.sync.outcome import assert_matches_backtest, expected

SETTLE = 2.0


def poll_until_done(client: redis.Redis, timeout: float = 60.0) -> list[object]:
    """Send polls until one writes everything (nothing deferred, the outbox empty)."""
    store = Store(client)
    results: list[object] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = app.send_task("escalation_sync.poll").get(timeout=60)
        results.append(result)
        if isinstance(result, dict) and not result.get("deferred") and not store.outbox():
            return results
        if result == "busy":
            expire_cycle_lock(client)
        time.sleep(0.5)
    raise AssertionError(f"not done: {results[-5:]}")


def expire_cycle_lock(client: redis.Redis) -> bool:
    """What ``task_time_limit`` seconds would do to a dead worker's lock."""
    return bool(client.pexpire(Keys().lock("cycle"), 1))


def wait_for(path: Path, worker: Worker, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise AssertionError(f"{path.name} never reached:\n{worker.output()[-3000:]}")
        time.sleep(0.05)


@pytest.mark.parametrize("point", POINTS)
def test_a_worker_killed_at_each_step_recovers_without_loss_or_duplicate(sandbox, redis_url, tmp_path, point):
    sandbox.configure(search_lag_seconds=1)
    use_broker(redis_url)
    client = redis.Redis.from_url(redis_url)
    worker = Worker(worker_env(sandbox, redis_url, **{CRASH_AT: point, CRASH_ONCE: str(tmp_path)}),
                    name=f"crash-{point}")
    try:
        worker.wait_ready()
        first = app.send_task("escalation_sync.poll")
        wait_for(tmp_path / point, worker)
        # the pool child is gone; the task comes back (late ack) and finds the dead child's lock
        assert first.get(timeout=60) == "busy", worker.output()[-3000:]
        assert "WorkerLostError" in worker.output() or "signal 9" in worker.output()
        assert expire_cycle_lock(client)
        results = poll_until_done(client)
        assert all(isinstance(r, dict) or r == "busy" for r in results), results
        assert_matches_backtest(sandbox, expected(sandbox))
        sandbox.clear_requests()
        idle = app.send_task("escalation_sync.poll").get(timeout=60)
        assert (idle["opened"], idle["written"]) == (0, 0)
    finally:
        worker.stop()
