"""429 storms, 5xx bursts and timeouts on either side, through the synchronous runtime.

Each test injects faults in the sandbox, runs ``runtime.cycle()`` until a cycle completes with
nothing deferred (a cycle may raise :class:`RetriableError`: that is the contract, and nothing
else may escape), and ends with exactly the escalations ``backtest`` gives, no duplicate.
"""

from __future__ import annotations

import pytest

from connectors.errors import RetriableError
from sandbox.faults import Fault
from sync.runtime import Runtime
from tests.faults.support import drive, quick_jira_retries
from tests.sync.conftest import settings_for
from tests.sync.outcome import assert_matches_backtest, expected


def statuses(sb, system: str) -> list[int]:
    return [r["status"] for r in sb.requests(system, bodies=False)]


def test_a_jira_429_storm_is_absorbed_by_the_client_retries(sandbox, runtime: Runtime):
    quick_jira_retries(runtime)
    sandbox.faults.add(Fault("jira", status=429, rate=0.3, retry_after=1))
    result = drive(runtime)
    sandbox.faults.clear()
    assert statuses(sandbox, "jira").count(429) >= 10  # the storm did happen
    assert all(isinstance(e, RetriableError) for e in result.errors)
    assert_matches_backtest(sandbox, expected(sandbox))


def test_a_jira_5xx_burst_raises_retriable_then_catches_up(sandbox, runtime: Runtime):
    quick_jira_retries(runtime)
    sandbox.faults.add(Fault("jira", status=500, count=4))
    sandbox.faults.add(Fault("jira", status=503, count=6, retry_after=1))
    first = drive(runtime)
    assert first.errors and all(isinstance(e, RetriableError) for e in first.errors)
    assert "HTTP 500" in str(first.errors[0])
    assert statuses(sandbox, "jira").count(503) == 6
    assert_matches_backtest(sandbox, expected(sandbox))


@pytest.mark.parametrize("status", [429, 500, 503])
def test_a_salesforce_burst_raises_retriable_then_catches_up(sandbox, runtime: Runtime, status):
    sandbox.faults.add(Fault("salesforce", status=status, count=3, retry_after=1))
    result = drive(runtime)
    assert len(result.errors) == 3 and all(isinstance(e, RetriableError) for e in result.errors)
    assert statuses(sandbox, "salesforce").count(status) == 3
    assert_matches_backtest(sandbox, expected(sandbox))


def test_a_salesforce_burst_during_the_upsert_loses_nothing(sandbox, runtime: Runtime):
    sandbox.faults.add(Fault("salesforce", status=503, count=2, path_contains="/composite/"))
    result = drive(runtime)
    assert len(result.errors) == 2
    assert all(isinstance(e, RetriableError) for e in result.errors)
    assert_matches_backtest(sandbox, expected(sandbox))


def test_sustained_5xx_on_both_sides_still_converges(sandbox, runtime: Runtime):
    """20 % of Jira calls answer 500 (the client does not retry those) and 10 % of Salesforce
    calls 503, for the whole run. Each flush must keep what it did (user lookups, watchers and
    links per escalation), or no flush ever gets through ~50 calls in a row and the run never
    ends."""
    quick_jira_retries(runtime)
    sandbox.faults.add(Fault("jira", status=500, rate=0.2))
    sandbox.faults.add(Fault("salesforce", status=503, rate=0.1))
    result = drive(runtime, timeout=60, pause=0.02)
    sandbox.faults.clear()
    assert result.errors and all(isinstance(e, RetriableError) for e in result.errors)
    assert_matches_backtest(sandbox, expected(sandbox))


def test_jira_timeouts_are_retriable_and_self_clearing_delays_end(sandbox, redis_url):
    rt = Runtime(settings_for(sandbox, redis_url, http_timeout_seconds=0.5))
    sandbox.faults.add(Fault("jira", delay_ms=1500, count=2, path_contains="/search"))
    result = drive(rt)
    assert len(result.errors) == 2
    assert all(isinstance(e, RetriableError) and "Timeout" in str(e) for e in result.errors)
    assert_matches_backtest(sandbox, expected(sandbox))


def test_a_bulk_create_that_times_out_is_not_created_twice(sandbox, redis_url):
    """The epics' bulk create times out: it may or may not have happened. The retry must look
    before creating again (the intent), never duplicate."""
    rt = Runtime(settings_for(sandbox, redis_url, http_timeout_seconds=0.5))
    sandbox.faults.add(Fault("jira", delay_ms=1500, count=1, path_contains="/issue/bulk"))
    result = drive(rt)
    assert result.errors and all(isinstance(e, RetriableError) for e in result.errors)
    assert_matches_backtest(sandbox, expected(sandbox))


def test_salesforce_timeouts_are_retriable(sandbox, redis_url):
    rt = Runtime(settings_for(sandbox, redis_url, http_timeout_seconds=2.0))
    sandbox.faults.add(Fault("salesforce", delay_ms=4000, count=2, path_contains="/query"))
    result = drive(rt)
    assert len(result.errors) == 2
    assert all(isinstance(e, RetriableError) and "Timeout" in str(e) for e in result.errors)
    assert_matches_backtest(sandbox, expected(sandbox))
