"""The beat rides out a Redis outage: it stands by while Redis is gone and schedules again at
once when it is back (it used to raise out of ``tick()`` and die, leaving the worker idle)."""

from __future__ import annotations

import signal
import time

import redis
from celery import Celery

from sync.beat import BeatLock, LockedScheduler
from sync.keys import Keys, queue_lists
from sync.supervise import holder_dead, holder_token


def scheduler(url: str, tmp_path) -> LockedScheduler:
    app = Celery("beat-test")
    app.config_from_object("celeryconfig")
    app.conf.broker_url = app.conf.result_backend = url
    return LockedScheduler(app=app, schedule_filename=str(tmp_path / "schedule"), lazy=False)


def drain(beat: LockedScheduler) -> None:
    """Tick until nothing is due (a tick sends at most one task and then returns 0)."""
    for _ in range(12):
        if beat.tick() > 0.5:
            return
    raise AssertionError("the beat keeps sending")


def queued(client: redis.Redis) -> list[str]:
    import json

    # the poll's list and the later priority's (watch, flush)
    return [json.loads(m)["headers"]["task"] for key in queue_lists("escalation-sync")
            for m in client.lrange(key, 0, -1)]


def test_a_tick_during_a_redis_outage_stands_by_and_scheduling_resumes_when_it_is_back(durable, tmp_path):
    beat = scheduler(durable.url, tmp_path)
    client = redis.Redis.from_url(durable.url)
    drain(beat)
    assert client.get(Keys().lock("beat")) == beat.lock.token
    assert "escalation_sync.poll" in queued(client)
    durable.stop(signal.SIGKILL)
    waits = [beat.tick() for _ in range(4)]  # no exception: the beat stays up
    assert all(0 < w <= 5 for w in waits) and waits == sorted(waits)  # a growing, capped back-off
    durable.start()
    client.delete(*queue_lists("escalation-sync"))
    drain(beat)
    assert client.get(Keys().lock("beat")) == beat.lock.token  # taken again on the first tick back
    assert "escalation_sync.poll" in queued(client)  # and the poll is due at once, not an interval later
    beat.close()
    assert client.get(Keys().lock("beat")) is None  # a clean stop gives the lock up


def test_taking_the_lock_makes_the_frequent_tasks_due_at_once(redis_server, redis_url, tmp_path):
    beat = scheduler(redis_url, tmp_path)
    drain(beat)
    tasks = queued(redis_server.client)
    assert {"escalation_sync.poll", "escalation_sync.flush", "escalation_sync.watch"} <= set(tasks)
    assert "escalation_sync.learn" not in tasks  # hourly: not at every restart
    beat.close()


def test_a_standby_beat_takes_over_the_moment_the_holder_stops_cleanly(redis_server, redis_url):
    a, b = BeatLock(redis_server.client), BeatLock(redis_server.client)
    assert a.hold() and not b.hold()
    assert a.release()
    assert b.hold()
    assert not a.release()  # never releases another's lock


def test_lock_tokens_name_their_holder_so_a_dead_ones_lock_is_known_dead():
    import subprocess
    import sys

    mine = holder_token()
    assert not holder_dead(mine)  # this process runs
    child = subprocess.run([sys.executable, "-c", "from sync.supervise import holder_token; print(holder_token())"],
                           capture_output=True, text=True, check=True)
    time.sleep(0.1)
    assert holder_dead(child.stdout.strip())  # that process is gone
    assert not holder_dead(child.stdout.strip(), host="another-host")  # another host's: never judged
    assert not holder_dead("a3f9c2")  # an old-style random token: never judged
