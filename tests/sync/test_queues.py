"""Nothing starves (issue 11): the beat's tasks never wait behind a burst's write batches, and a
poll waiting to decide goes before the next watch. Real Redis, real Celery worker processes, the
real clients against the sandbox."""

from __future__ import annotations

import threading
import time

import celeryconfig
from sandbox.faults import Fault
from sync.app import app
from sync.keys import BATCH_QUEUE, CONTROL_QUEUE, QUEUES, queue_lists
from sync.runtime import Runtime
from tests.celery_worker import Worker
from tests.sync.conftest import settings_for
from tests.sync.outcome import assert_matches_backtest, expected, landed
from tests.sync.test_shown_in_create import wait_idle


def test_batches_go_to_their_own_queue_and_every_worker_takes_both_queues_in_turn():
    routes = celeryconfig.task_routes
    assert routes["escalation_sync.flush_batch"]["queue"] == BATCH_QUEUE
    assert celeryconfig.task_default_queue == CONTROL_QUEUE  # poll, watch, flush, learn, housekeeping
    assert {q.name for q in celeryconfig.task_queues} == {CONTROL_QUEUE, BATCH_QUEUE}  # a worker consumes both
    # in turn: neither a burst's batches nor long post-burst watches hold the other queue back
    assert celeryconfig.broker_transport_options["queue_order_strategy"] == "round_robin"


def test_a_poll_is_not_starved_by_queued_batches_with_two_workers(sandbox, redis_url):
    app.conf.broker_url = app.conf.result_backend = redis_url
    rt = Runtime(settings_for(sandbox, redis_url))
    rt.poller.cycle()  # decided and committed: the outbox holds every escalation, nothing written yet
    ids = rt.writer.pending()
    assert len(ids) >= 3
    sandbox.faults.add(Fault("jira", delay_ms=1500, rate=1, method="POST"))  # every write batch takes seconds
    env = {**sandbox.env(), "REDIS_URL": redis_url, "JIRA_SEARCH_SETTLE_SECONDS": "2", "FLUSH_BATCH": "1"}
    workers = [Worker(env, concurrency=1, name=f"w{n}") for n in (1, 2)]
    try:
        for w in workers:
            w.wait_ready()
        # a burst's batches first (queued before the poll, as a long flush fans them out), each
        # escalation twice over so there are more batches than workers for several rounds
        batches = [app.send_task("escalation_sync.flush_batch", args=[[x]]) for x in ids + ids]
        waiting = sum(rt.redis.llen(key) for q in QUEUES for key in queue_lists(q))
        assert waiting >= len(batches) - 2  # at most one running on each worker
        poll = app.send_task("escalation_sync.poll")
        poll.get(timeout=120)
        done = sum(b.ready() for b in batches)
        # it ran as soon as a worker was free, while most batches still waited (on one FIFO queue it
        # ran after them all: 17 of these 18 were done when it finished)
        assert done <= len(batches) // 2, (done, [w.output()[-2000:] for w in workers])
        for b in batches:
            b.get(timeout=120)
        sandbox.faults.clear()
        wait_idle(rt)
    finally:
        for w in workers:
            w.stop()
    assert sorted(landed(sandbox)) == sorted(expected(sandbox))  # one epic and one record each
    assert_matches_backtest(sandbox, expected(sandbox))


def test_a_waiting_poll_decides_before_a_watch_that_just_freed_the_lock(runtime):
    order: list[str] = []
    hold = threading.Event()
    poll_waiting = threading.Event()

    def watch(name: str) -> None:
        with runtime.deciding():
            order.append(name)
            if name == "watch 1":
                hold.wait(10)

    def poll() -> None:
        poll_waiting.set()
        with runtime.deciding(first=True):
            order.append("poll")

    first = threading.Thread(target=watch, args=("watch 1",))
    first.start()
    while not order:
        time.sleep(0.01)
    waiter = threading.Thread(target=poll)
    waiter.start()
    poll_waiting.wait(5)
    deadline = time.monotonic() + 5
    while not runtime.redis.exists(f"{runtime.store.k.ns}:decide:waiting") and time.monotonic() < deadline:
        time.sleep(0.01)
    hold.set()
    first.join(10)
    watch("watch 2")  # the next watch right after: it lets the waiting poll decide first
    waiter.join(10)
    assert order == ["watch 1", "poll", "watch 2"]
    assert not runtime.redis.exists(f"{runtime.store.k.ns}:decide:waiting")  # nothing left behind


def test_a_poll_decides_while_a_watch_is_still_reading_activity(sandbox, redis_url, monkeypatch):
    import sync.runtime

    watcher, poller = (Runtime(settings_for(sandbox, redis_url)) for _ in range(2))
    poller.cycle()  # every escalation decided and written: the watch has epics to read
    monkeypatch.setattr(sync.runtime, "DECIDE_WAIT_SECONDS", 3.0)  # a poll kept waiting fails fast
    polled: list[object] = []
    read = watcher.jira.activity_since

    def reading(*args: object, **kwargs: object):
        polled.append(poller.poller.cycle())  # mid-read: the decide lock must be free
        return read(*args, **kwargs)

    monkeypatch.setattr(watcher.jira, "activity_since", reading)
    summary, _ = watcher.watch()
    assert len(polled) == 1  # the poll decided and committed while the watch read
    assert summary.made  # and the watch still decided (the epics' births) under the lock afterwards
    assert not watcher.redis.exists(watcher.store.k.lock("decide"))


def succeeded(worker: Worker) -> list[str]:
    return [line for line in worker.output().splitlines() if "succeeded in" in line and "escalation_sync." in line]


def test_a_waiting_poll_runs_before_a_watch_and_a_batch_queued_ahead_of_it(sandbox, redis_url):
    app.conf.broker_url = app.conf.result_backend = redis_url
    rt = Runtime(settings_for(sandbox, redis_url))
    sent = [app.send_task("escalation_sync.watch"), app.send_task("escalation_sync.flush_batch", args=[["none"]]),
            app.send_task("escalation_sync.flush"), app.send_task("escalation_sync.poll")]  # the poll last
    assert [rt.redis.llen(key) for q in QUEUES for key in queue_lists(q)] == [1, 2, 0, 1]  # poll | watch, flush | batch
    worker = Worker({**sandbox.env(), "REDIS_URL": redis_url, "JIRA_SEARCH_SETTLE_SECONDS": "2"}, concurrency=1)
    try:
        worker.wait_ready()
        for result in sent:
            result.get(timeout=120)
        # a task's result is stored before its "succeeded" line is logged: wait for the four lines
        deadline = time.monotonic() + 10
        while len(succeeded(worker)) < len(sent) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        worker.stop()
    ran = [line.split("[")[0].rsplit(".", 1)[1] for line in succeeded(worker)]
    ran = [name.split()[0] for name in ran]
    assert ran[0] == "poll", ran  # first, though sent last
    assert sorted(ran) == ["flush", "flush_batch", "poll", "watch"]


def test_a_poll_longer_than_the_interval_is_followed_at_once_by_the_next_and_a_short_one_is_not(sandbox, redis_url):
    """The beat's polls meanwhile found the long one busy: without the follow-up, tickets that came
    in during a burst's first read waited for the next beat and a free slot."""
    app.conf.broker_url = app.conf.result_backend = redis_url
    env = {**sandbox.env(), "REDIS_URL": redis_url, "JIRA_SEARCH_SETTLE_SECONDS": "2", "POLL_INTERVAL_SECONDS": "2"}
    sandbox.faults.add(Fault("jira", delay_ms=1200, rate=1, count=3, path_contains="/search"))  # 3 s and more
    worker = Worker(env, concurrency=1)
    try:
        worker.wait_ready()
        app.send_task("escalation_sync.poll").get(timeout=60)
        deadline = time.monotonic() + 20
        while len([s for s in succeeded(worker) if "escalation_sync.poll" in s]) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        polls = [s for s in succeeded(worker) if "escalation_sync.poll" in s]
        assert len(polls) == 2, worker.output()[-3000:]  # the long one, then the follow-up it sent
        assert "polling again now" in worker.output()
        time.sleep(3)  # the follow-up was short (the faults are used up): it sends none
        assert len([s for s in succeeded(worker) if "escalation_sync.poll" in s]) == 2
    finally:
        worker.stop()


def test_an_sla_watch_two_intervals_overdue_is_sent_once_and_not_while_one_runs(runtime):
    from sync.liveness import mark_alive
    from sync.tasks import watch_overdue

    ns, interval, k = runtime.store.k.ns, runtime.settings.sla_watch_interval_seconds, runtime.store.k
    assert not watch_overdue(runtime)  # none ever: counted from now
    runtime.redis.set(f"{ns}:watch:awaited", f"{time.time() - 3 * interval:.3f}")
    assert watch_overdue(runtime)  # none for three intervals since the first poll found none
    mark_alive(runtime.redis, "watch", at=time.time() - interval, keys=k)
    runtime.redis.delete(f"{ns}:watch:sent")
    assert not watch_overdue(runtime)  # one interval: the beat's next watch comes
    mark_alive(runtime.redis, "watch", at=time.time() - 3 * interval, keys=k)
    assert watch_overdue(runtime)
    assert not watch_overdue(runtime)  # sent: not again for two intervals
    runtime.redis.delete(f"{ns}:watch:sent")
    runtime.redis.set(k.lock("watch"), "held")
    assert not watch_overdue(runtime)  # one is running


def test_a_poll_sends_an_overdue_watch_ahead_of_queued_batches(sandbox, redis_url):
    """One worker slot, batches queued: the watch the poll sends runs before them."""
    from sync.liveness import mark_alive
    from sync.keys import Keys

    app.conf.broker_url = app.conf.result_backend = redis_url
    rt = Runtime(settings_for(sandbox, redis_url))
    mark_alive(rt.redis, "watch", at=time.time() - 3600, keys=Keys())
    env = {**sandbox.env(), "REDIS_URL": redis_url, "JIRA_SEARCH_SETTLE_SECONDS": "2"}
    worker = Worker(env, concurrency=1)
    try:
        worker.wait_ready()
        poll = app.send_task("escalation_sync.poll")
        batches = [app.send_task("escalation_sync.flush_batch", args=[["none"]]) for _ in range(3)]
        poll.get(timeout=60)
        for b in batches:
            b.get(timeout=60)
        deadline = time.monotonic() + 20  # a result is stored before its "succeeded" line is logged
        while len(succeeded(worker)) < 5 and time.monotonic() < deadline:
            time.sleep(0.2)
        order = [s.split("[")[0].rsplit(".", 1)[1] for s in succeeded(worker)]
        assert "watch" in order, worker.output()[-3000:]
        # ahead of the batches queued before it (one may be reserved already: the worker prefetches one)
        assert order[0] == "poll" and order.index("watch") <= 2 and order.count("flush_batch") == 3, order
    finally:
        worker.stop()
