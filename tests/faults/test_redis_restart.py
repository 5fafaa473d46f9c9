"""Redis restarted (cleanly or killed) mid-cycle: with the append-only file, nothing decided is
lost and nothing written is written again."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest
import redis

from connectors.errors import RetriableError
from sync import crashpoints
from sync.runtime import Runtime
from tests.faults.support import DurableRedis, drive, flush_until_done
from tests.sync.conftest import settings_for
from tests.sync.outcome import assert_matches_backtest, expected

REDIS_DOWN = (RetriableError, redis.ConnectionError, redis.TimeoutError)


@pytest.fixture
def durable() -> Iterator[DurableRedis]:
    server = DurableRedis(fsync="always")
    yield server
    server.close()


@pytest.fixture
def rt(sandbox, durable) -> Runtime:
    return Runtime(settings_for(sandbox, durable.url))


def jira_writes(sb) -> list[dict]:
    return [r for r in sb.requests("jira", bodies=False) if r["method"] in ("POST", "PUT")]


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["shutdown", "crash"])
def test_redis_restarted_between_poll_and_flush(sandbox, durable, rt: Runtime, how):
    poll = rt.poller.cycle()
    assert poll.opened == len(expected(sandbox))
    durable.restart(how)
    flush_until_done(rt, allowed=REDIS_DOWN)
    assert_matches_backtest(sandbox, expected(sandbox))


@pytest.mark.parametrize("point", ["pipeline.after_decide", "pipeline.after_commit",
                                   "writes.after_epic_create", "writes.after_epics_recorded",
                                   "writes.after_step_create", "writes.after_salesforce_upsert"])
def test_redis_killed_and_restarted_mid_cycle(sandbox, durable, rt: Runtime, point):
    """At each step the server is killed (SIGKILL) and started again on the same port and
    directory while the cycle goes on; the cycle may fail on the dead connection, the next
    ones finish the work."""
    fired = []

    def bounce() -> None:
        if not fired:
            fired.append(point)
            durable.restart(signal.SIGKILL)

    with crashpoints.hooked(point, bounce):
        drive(rt, allowed=REDIS_DOWN)
    assert fired
    assert_matches_backtest(sandbox, expected(sandbox))


def test_redis_down_during_the_commit_loses_nothing(sandbox, durable, rt: Runtime):
    """Redis is gone when the cycle commits: the commit fails, no cursor moved; once Redis is
    back the next cycle decides the same escalations again."""
    with crashpoints.hooked("pipeline.after_decide", lambda: durable.stop(signal.SIGKILL)), \
            pytest.raises(REDIS_DOWN):
        rt.cycle()
    durable.start()
    assert rt.store.cursors() == {}
    drive(rt, allowed=REDIS_DOWN)
    assert_matches_backtest(sandbox, expected(sandbox))


def test_redis_restarted_between_two_cycles_writes_nothing_again(sandbox, durable, rt: Runtime):
    drive(rt)
    durable.restart(signal.SIGKILL)
    sandbox.clear_requests()
    drive(rt, allowed=REDIS_DOWN)
    drive(rt)  # the overlap window's tickets are read once more, then the cycle is idle
    assert jira_writes(sandbox) == []
    assert [r for r in sandbox.requests("salesforce", bodies=False) if r["method"] == "PATCH"] == []
    assert_matches_backtest(sandbox, expected(sandbox))
