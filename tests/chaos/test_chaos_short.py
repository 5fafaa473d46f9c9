"""The short chaos run of the normal suite: Redis killed during a poll, and the whole service
killed between a decision's commit and its writes and notifications. Each time: nothing lost,
nothing twice, and the service polling again within one poll interval."""

from __future__ import annotations

import signal
import time

import pytest
import redis

from sandbox.faults import Fault
from sync.crashpoints import CRASH_AT, CRASH_ONCE
from sync.keys import Keys
from tests.chaos.outcome import clean, compare
from tests.chaos.sink import Sink
from tests.chaos.support import Service, service_env, stamp, wait_until
from tests.chaos.world import ChangingWorld
from tests.sync.outcome import expected

POLL = 5.0


@pytest.fixture
def sink():
    s = Sink()
    yield s
    s.close()


def test_redis_killed_during_a_poll_loses_nothing_and_polling_resumes_within_an_interval(sandbox, durable):
    client = redis.Redis.from_url(durable.url, socket_timeout=2)
    world = ChangingWorld(sandbox)
    service = Service(service_env(sandbox.env(), durable.url), name="redis-kill").start()
    try:
        wait_until(lambda: clean(compare(sandbox, world.expected())), 60, "the first escalations written",
                   on_fail=service.output)
        world.new_escalation()
        sandbox.faults.add(Fault("salesforce", delay_ms=3000, count=1, path_contains="/query"))  # a slow poll
        wait_until(lambda: not sandbox.faults.list(), 3 * POLL, "a poll under way")
        durable.stop(signal.SIGKILL)  # while the poll waits on Salesforce: it cannot commit
        time.sleep(4)
        durable.start()
        back = time.time()
        took = wait_until(lambda: stamp(client, "poll") > back, 3 * POLL, "a poll after Redis came back",
                          on_fail=service.output)
        wait_until(lambda: clean(compare(sandbox, world.expected())), 30, "the new escalation written",
                   on_fail=lambda: f"{compare(sandbox, world.expected())}\n{service.output()[-3000:]}")
        print(f"redis kill during a poll: polled {took:.1f} s after Redis came back;",
              compare(sandbox, world.expected()))
        assert took <= POLL + 2
        assert service.alive() and service.output().count("started beat") == 1
    finally:
        service.kill(signal.SIGTERM)


def killed_between_commit_and_send(sandbox, durable, sink, tmp_path) -> Service:
    """The pool child dies right after the first cycle's commit; the whole service is SIGKILLed
    with it (as a host would lose it) and started again."""
    env = service_env(sandbox.env(), durable.url, NOTIFY_WEBHOOKS=sink.config(), GO_LIVE="notify",  # tell each
                      **{CRASH_AT: "pipeline.after_commit", CRASH_ONCE: str(tmp_path)})
    service = Service(env, name="commit-kill").start()
    wait_until(lambda: (tmp_path / "pipeline.after_commit").exists(), 60, "the crash point", on_fail=service.output)
    service.kill(signal.SIGKILL)
    client = redis.Redis.from_url(durable.url)
    assert client.hlen(Keys().outbox) == len(expected(sandbox))  # decided and committed, nothing written
    assert sink.messages == []  # nor told
    return service.start()


def test_a_service_killed_between_commit_and_send_writes_every_escalation_once(sandbox, durable, sink, tmp_path):
    service = killed_between_commit_and_send(sandbox, durable, sink, tmp_path)
    try:
        wait_until(lambda: clean(compare(sandbox, expected(sandbox))), 40, "everything written",
                   on_fail=lambda: f"{compare(sandbox, expected(sandbox))}\n{service.output()[-3000:]}")
    finally:
        service.kill(signal.SIGTERM)
    assert sink.duplicates() == 0


def test_a_service_killed_between_commit_and_send_tells_every_new_escalation_once(sandbox, durable, sink, tmp_path):
    service = killed_between_commit_and_send(sandbox, durable, sink, tmp_path)
    want = [e for e in expected(sandbox).values() if e["severity"] in ("SEV-1", "SEV-2")]
    assert want
    try:
        wait_until(lambda: clean(compare(sandbox, expected(sandbox))), 40, "everything written")
        time.sleep(2 * POLL)
    finally:
        service.kill(signal.SIGTERM)
    titles = sink.titles()
    missing = [e["account_name"] for e in want
               if not any(t == f"New {e['severity']} escalation: {e['account_name']}" for t in titles)]
    assert missing == [] and sink.duplicates() == 0, (missing, titles)
