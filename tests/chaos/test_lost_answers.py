"""A Jira create that lands but whose answer is lost never becomes two.

The writer records an intent just before a create and, when the answer is lost, looks the issue
up before creating again; it waits for the lookup as long as the write may take to show: the HTTP
timeout (a slow server applies the write at the very end of the request, just as the client gives
up) plus the search's settle time (``Settings.write_settle_seconds``). With a window of the settle
time alone, equal to the timeout, the window closed just as the client gave up: a duplicate epic.

The sandbox's lost-answer fault (``drop``: the write is applied, then the answer is closed or held
past the client's timeout) drives the tests; the sandbox's ``delay_ms`` cannot stand for a late
write: it delays before the request body is read, so a client that gave up leaves nothing applied.
"""

from __future__ import annotations

import pytest

from connectors.errors import RetriableError
from sandbox.faults import Fault
from sync.runtime import Runtime
from tests.faults.support import drive
from tests.sync.conftest import settings_for
from tests.sync.outcome import assert_matches_backtest, expected


def test_the_settle_window_outlasts_the_http_timeout(sandbox, redis_url):
    s = settings_for(sandbox, redis_url, http_timeout_seconds=30.0, jira_search_settle_seconds=30.0)
    assert s.write_settle_seconds > s.http_timeout_seconds


@pytest.mark.skipif("drop" not in Fault.__dataclass_fields__, reason="needs the sandbox's lost-answer fault")
@pytest.mark.parametrize("drop", ["close", "timeout"])
def test_a_create_whose_answer_is_dropped_is_found_not_made_again(sandbox, redis_url, drop):
    sandbox.configure(search_lag_seconds=1)
    rt = Runtime(settings_for(sandbox, redis_url, http_timeout_seconds=2.0, jira_search_settle_seconds=2.0))
    sandbox.faults.add(Fault("jira", count=2, path_contains="/issue", method="POST", drop=drop,  # type: ignore[call-arg]
                             hold_ms=2500))
    drive(rt, allowed=(RetriableError, OSError), pause=0.1)
    assert_matches_backtest(sandbox, expected(sandbox))


def test_the_client_repeats_a_post_only_when_it_never_reached_the_server():
    from http.client import RemoteDisconnected

    import requests
    from urllib3.exceptions import ProtocolError

    from connectors.jira_retries import never_sent

    with pytest.raises(requests.ConnectionError) as refused:
        requests.post("http://127.0.0.1:1/rest/api/2/issue", timeout=2)
    assert never_sent(refused.value)  # nothing can have been applied: safe to retry
    lost = requests.ConnectionError(ProtocolError("Connection aborted.", RemoteDisconnected("closed")))
    assert not never_sent(lost)  # sent, maybe applied: the writer looks before it writes again
