"""Against Jira's burst and per-issue write limits (the sandbox's, made strict): every 429 is
waited out in the scope its RateLimit-Reason names, and the end state is still exact."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectors.errors import RetriableError
from sandbox.server import Sandbox
from sync.runtime import Runtime
from tests.faults.support import drive
from tests.paths import EXAMPLES
from tests.sync.conftest import settings_for
from tests.sync.outcome import assert_matches_backtest, expected

STRICT = {"burst": {"per_second": 4, "capacity": 6},
          "per_issue_write": [{"limit": 3, "window_seconds": 2}], "body": "json"}


@pytest.fixture
def limited() -> Iterator[Sandbox]:
    with Sandbox(EXAMPLES / "small_book.yaml", jira_limits=STRICT) as sb:
        yield sb


def test_burst_and_per_issue_429s_are_waited_out_and_nothing_is_written_twice(limited, redis_url):
    rt = Runtime(settings_for(limited, redis_url))
    result = drive(rt, timeout=120)
    answers = [r for r in limited.requests("jira", bodies=False)]
    reasons = {r.get("rate_limit_reason") for r in answers if r["status"] == 429}
    assert reasons & {"jira-burst-based", "jira-per-issue-on-write"}, reasons  # the limits did bind
    assert all(isinstance(e, RetriableError) for e in result.errors)  # no other error escaped
    assert rt.limiters["jira"].throttled >= len([r for r in answers if r["status"] == 429]) - len(result.errors)
    assert_matches_backtest(limited, expected(limited))
