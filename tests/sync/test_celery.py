"""The pipeline through a real Celery worker process (real Redis broker, real sandbox)."""

from __future__ import annotations

import pytest

from sync.app import app
from tests.celery_worker import Worker
from tests.sync.outcome import assert_matches_backtest, expected


@pytest.fixture
def worker(sandbox, redis_url):
    app.conf.broker_url = app.conf.result_backend = redis_url
    env = {**sandbox.env(), "REDIS_URL": redis_url, "JIRA_SEARCH_SETTLE_SECONDS": "2"}
    w = Worker(env)
    w.wait_ready()
    yield w
    w.stop()


def test_a_celery_worker_opens_the_backtest_escalations_then_writes_nothing(sandbox, worker):
    first = app.send_task("escalation_sync.poll").get(timeout=90)
    assert first["opened"] == len(expected(sandbox)), worker.output()[-3000:]
    assert_matches_backtest(sandbox, expected(sandbox))
    sandbox.clear_requests()
    second = app.send_task("escalation_sync.poll").get(timeout=90)
    assert (second["opened"], second["updated"], second["written"]) == (0, 0, 0)


def test_the_same_task_delivered_twice_at_once_runs_one_cycle(sandbox, worker):
    a = app.send_task("escalation_sync.poll")
    b = app.send_task("escalation_sync.poll")
    results = [a.get(timeout=90), b.get(timeout=90)]
    opened = sum(r["opened"] for r in results if isinstance(r, dict))
    assert opened == len(expected(sandbox))  # one cycle opened them; the other found nothing or was busy
