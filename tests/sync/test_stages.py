"""Nothing starves: a long flush never holds up the next poll or the SLA watch (separate
locks per stage, claims per escalation); the beat's state stays out of the working directory."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

from rules.intents import AddWatcher
from sandbox.faults import Fault
from sync.runtime import Runtime
from tests.paths import ROOT
from tests.sync.conftest import settings_for
from tests.sync.outcome import assert_matches_backtest, expected, landed


def test_a_poll_and_a_watch_run_while_another_worker_is_still_flushing(sandbox, redis_url):
    writer, other = (Runtime(settings_for(sandbox, redis_url)) for _ in range(2))
    writer.poller.cycle()
    sandbox.faults.add(Fault("jira", delay_ms=400, rate=1, path_contains="/watchers"))  # a slow flush
    flushed: list[float] = []
    started = time.monotonic()
    thread = threading.Thread(target=lambda: (writer.writer.flush(), flushed.append(time.monotonic() - started)))
    thread.start()
    time.sleep(0.5)  # the flush holds its claims and is adding watchers
    poll_started = time.monotonic()
    other.poller.cycle()
    summary, written = other.watch()
    took = time.monotonic() - poll_started
    thread.join(120)
    assert flushed and took < flushed[0] - 0.5, (took, flushed)  # both done long before the flush
    assert written.busy  # the watch left the escalations the flush holds to it
    sandbox.faults.clear()
    other.writer.flush()
    assert sorted(landed(sandbox)) == sorted(expected(sandbox))  # one record and one epic each


def test_the_beat_schedule_lives_in_the_state_dir_not_the_working_directory(tmp_path):
    state = tmp_path / "state"
    work = tmp_path / "cwd"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "STATE_DIR": str(state)}
    out = subprocess.run([sys.executable, "-c", "import celeryconfig; print(celeryconfig.beat_schedule_filename)"],
                         cwd=work, env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert out == str(state / "celerybeat-schedule") and state.is_dir()
    assert list(work.iterdir()) == []


def test_a_flush_past_its_deadline_leaves_the_details_to_the_next_and_repeats_nothing(sandbox, runtime):
    runtime.poller.cycle()
    first = runtime.writer.flush(deadline=time.monotonic() - 1)  # already late: visible first, the rest waits
    assert first.left and first.written == 0
    assert sorted(landed(sandbox)) == sorted(expected(sandbox))  # every epic and record exists already
    assert sorted(runtime.store.outbox()) == sorted(first.left)
    second = runtime.writer.flush()
    assert second.written == len(first.left) and not second.left
    assert_matches_backtest(sandbox, expected(sandbox))


def test_a_flush_whose_details_are_slow_stops_within_a_call_of_its_deadline_and_repeats_nothing(sandbox, runtime):
    """The deadline is looked at before every call of an escalation's details, not only before its
    first: a batch whose watcher calls wait (paced, or slow) gives its worker back in time."""
    runtime.poller.cycle()
    watchers = {x: sum(isinstance(i, AddWatcher) for i in e.intents) for x, e in runtime.store.outbox().items()}
    assert max(watchers.values()) >= 5  # one escalation's watchers alone take over 3 s below
    sandbox.faults.add(Fault("jira", delay_ms=700, rate=1, path_contains="/watchers"))
    started = time.monotonic()
    first = runtime.writer.flush(deadline=started + 1.0)
    took = time.monotonic() - started
    assert took < 1.0 + 0.7 + 0.8, took  # the deadline, the call in flight, the rest of the batch's own work
    assert first.left and first.written < len(watchers)
    assert sorted(landed(sandbox)) == sorted(expected(sandbox))  # every epic and record exists already
    sandbox.faults.clear()
    second = runtime.writer.flush()
    assert second.written == len(first.left) and not runtime.store.outbox()
    assert_matches_backtest(sandbox, expected(sandbox))  # each watcher once: the sandbox refuses none twice
    state = sandbox.state("ESC")["jira"]["epics"]
    assert sum(len(e.get("watchers") or []) for e in state) == sum(watchers.values())


def test_a_flush_of_several_batches_makes_every_escalation_visible_before_any_batch_details(sandbox, redis_url):
    runtime = Runtime(settings_for(sandbox, redis_url, flush_batch=1))
    runtime.poller.cycle()
    want = expected(sandbox)
    assert len(want) >= 3
    handed: list[list[str]] = []
    first = runtime.writer.flush(hand_off=handed.extend)  # the other batches go to other workers, not run here
    got = landed(sandbox)
    assert sorted(got) == sorted(want)  # every epic and record exists, not only the first batch's
    with_plan = [a for a, g in got.items() if g["steps"]]
    assert len(with_plan) == 1 and first.written == 1  # only the first batch got its plan issues
    assert len(handed) == len(want) - 1
    for batch in handed:  # the batches the other workers take finish the rest, repeating nothing
        runtime.writer.flush(batch)
    assert not runtime.store.outbox()
    assert_matches_backtest(sandbox, want)


def test_a_watch_gives_way_once_to_a_starved_poll_and_never_to_a_running_or_recent_one(runtime):
    from datetime import timedelta

    from sync.tasks import poll_starved

    now = runtime.clock()
    runtime.store.record_cycle("poll", {"finished": now.isoformat()})
    assert not poll_starved(runtime)  # the poll ran just now
    late = now - timedelta(seconds=3 * runtime.settings.poll_interval_seconds)
    runtime.store.record_cycle("poll", {"finished": late.isoformat()})
    runtime.redis.set(runtime.store.k.lock("cycle"), "someone")
    assert not poll_starved(runtime)  # a poll is running: nothing to give way to
    runtime.redis.delete(runtime.store.k.lock("cycle"))
    assert poll_starved(runtime)  # overdue and not running: this watch gives way
    assert not poll_starved(runtime)  # but the next watch runs
