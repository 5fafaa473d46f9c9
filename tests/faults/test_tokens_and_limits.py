"""Salesforce sessions expiring mid-cycle and the daily API limit, end to end."""

from __future__ import annotations

import pytest

from connectors.errors import RetriableError
from sync import crashpoints
from sync.pipeline import JIRA_TICKETS, SF_ACCOUNTS
from sync.runtime import Runtime
from tests.faults.support import drive, flush_until_done
from tests.sync.outcome import assert_matches_backtest, expected


def token_calls(sb) -> int:
    return sum(1 for r in sb.requests("salesforce", bodies=False) if r["path"].endswith("/oauth2/token"))


def test_tokens_expiring_between_the_reads_and_the_writes_are_refreshed_once(sandbox, runtime: Runtime):
    # the last point between the reads and the Salesforce write (records follow the epics)
    with crashpoints.hooked("writes.after_epics_recorded", sandbox.expire_tokens):
        poll, flush = runtime.cycle()  # no error: the upsert gets a 401, refreshes, retries
    assert not flush.deferred and flush.records_upserted == len(expected(sandbox))
    assert token_calls(sandbox) == 2
    assert [r["status"] for r in sandbox.requests("salesforce", bodies=False)].count(401) == 1
    assert_matches_backtest(sandbox, expected(sandbox))


def test_tokens_expiring_after_every_salesforce_call_still_complete_the_cycle(sandbox, runtime: Runtime):
    """A hook expires every token after each Salesforce answer: each read and write finds its
    session dead, refreshes once and succeeds; nothing is lost, nothing repeated."""
    def expire(response, *args, **kwargs):
        if response.status_code == 200:
            sandbox.expire_tokens()
        return response

    runtime.salesforce.session.hooks["response"].append(expire)
    poll, flush = runtime.cycle()
    answered = [r["status"] for r in sandbox.requests("salesforce", bodies=False)
                if not r["path"].endswith("/oauth2/token")]
    assert answered.count(401) >= 3 and answered.count(200) >= 4, answered
    assert token_calls(sandbox) == 1 + answered.count(401)
    assert_matches_backtest(sandbox, expected(sandbox))


def test_tokens_expiring_between_poll_and_flush(sandbox, runtime: Runtime):
    runtime.poller.cycle()
    sandbox.expire_tokens()
    flush = runtime.writer.flush()
    assert not flush.deferred
    assert_matches_backtest(sandbox, expected(sandbox))


def test_the_daily_limit_during_the_poll_moves_no_cursor_then_catches_up(sandbox, runtime: Runtime):
    sandbox.set_api_budget(maximum=1000, used=1000)
    with pytest.raises(RetriableError, match="daily API request limit") as caught:
        runtime.cycle()
    assert caught.value.retry_after and caught.value.retry_after >= 60
    assert runtime.store.cursors() == {} and runtime.store.outbox() == {}
    sandbox.set_api_budget(maximum=5000, used=1000)
    result = drive(runtime)
    assert not result.errors
    used, total = runtime.salesforce.api_usage
    assert total == 5000 and 1000 < used < 1100
    assert runtime.store.cursor(SF_ACCOUNTS) and runtime.store.cursor(JIRA_TICKETS)
    assert_matches_backtest(sandbox, expected(sandbox))


def test_the_daily_limit_at_the_upsert_keeps_the_outbox_and_the_quota_is_visible(sandbox, runtime: Runtime):
    poll = runtime.poller.cycle()
    used, total = runtime.salesforce.api_usage
    assert total == 15000 and used >= 3  # the quota is read from Sforce-Limit-Info
    with sandbox.lock:
        spent = sandbox.org.api_used
    sandbox.set_api_budget(maximum=spent, used=spent)  # the next Salesforce call is refused
    with pytest.raises(RetriableError, match="REQUEST_LIMIT_EXCEEDED|daily API request limit"):
        runtime.writer.flush()
    assert sorted(runtime.store.outbox()) == sorted({d.escalation.id for d in poll.made})
    assert sandbox.escalations() == []  # no record yet; the Jira side is already written
    sandbox.set_api_budget(maximum=spent + 100, used=spent)
    flush_until_done(runtime)
    assert runtime.salesforce.api_usage == (spent + 1, spent + 100)
    runtime.observe()
    metrics = {k.decode(): v.decode() for k, v in runtime.redis.hgetall(runtime.store.k.metrics).items()}
    assert metrics["quota|total"] == str(spent + 100) and metrics["quota|used"] == str(spent + 1)
    assert_matches_backtest(sandbox, expected(sandbox))
