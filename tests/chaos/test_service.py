"""``escalation-sync run`` against the sandbox and a real redis-server: it survives Redis going
away, restarts a part that dies, gives its locks up on a clean stop, and says when it is stale."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import redis

from sync.keys import Keys
from sync.liveness import mark_alive
from sync.supervise import Supervisor
from tests.chaos.outcome import clean, compare
from tests.chaos.support import Service, service_env, stamp, wait_until
from tests.paths import ROOT
from tests.sync.outcome import expected

POLL = 5.0  # tests.chaos.support.FAST


def pids(service: Service, part: str) -> list[int]:
    return [int(p) for p in re.findall(rf"started {part} \(pid (\d+)\)", service.output())]


def test_the_service_polls_again_within_one_poll_interval_of_redis_coming_back(sandbox, durable):
    client = redis.Redis.from_url(durable.url, socket_timeout=2)
    service = Service(service_env(sandbox.env(), durable.url)).start()
    try:
        wait_until(lambda: stamp(client, "poll") > 0, 60, "a first poll", on_fail=service.output)
        durable.stop(signal.SIGKILL)  # mid-run: the beat, the worker and run all lose Redis
        time.sleep(3 * POLL)
        assert service.alive(), service.output()[-3000:]
        durable.start()  # same port, same append-only file
        back = time.time()
        took = wait_until(lambda: stamp(client, "poll") > back, 3 * POLL, "a poll after Redis came back",
                          on_fail=service.output)
        assert took <= POLL + 2, f"polled {took:.1f} s after Redis came back"
        assert "Redis unreachable" in service.output()  # the beat said so, once, and stayed up
        assert len(pids(service, "beat")) == 1  # not restarted: it rode the outage out
        wait_until(lambda: client.hlen(Keys().outbox) == 0, 30, "the outbox drained")
        numbers = compare(sandbox, expected(sandbox))
        assert clean(numbers), numbers
    finally:
        service.kill(signal.SIGTERM)


def test_run_starts_a_killed_beat_or_worker_again(sandbox, redis_server, redis_url):
    client = redis_server.client
    service = Service(service_env(sandbox.env(), redis_url)).start()
    try:
        wait_until(lambda: stamp(client, "poll") > 0, 60, "a first poll", on_fail=service.output)
        for part in ("beat", "worker"):
            os.kill(pids(service, part)[-1], signal.SIGKILL)
            wait_until(lambda part=part: len(pids(service, part)) == 2, 20, f"{part} restarted",
                       on_fail=service.output)
        killed = time.time()
        wait_until(lambda: stamp(client, "poll") > killed, 4 * POLL, "polling again", on_fail=service.output)
        assert service.alive()
    finally:
        service.kill(signal.SIGTERM)


def test_a_clean_stop_gives_every_lock_up_and_exits_zero(sandbox, redis_server, redis_url):
    client = redis_server.client
    service = Service(service_env(sandbox.env(), redis_url)).start()
    wait_until(lambda: stamp(client, "poll") > 0, 60, "a first poll", on_fail=service.output)
    wait_until(lambda: stamp(client, "flush") > 0 and stamp(client, "watch") > 0, 30, "a watch and a flush")
    assert client.get(Keys().lock("beat"))
    assert service.kill(signal.SIGTERM) == 0, service.output()[-3000:]
    assert client.keys(Keys().lock("*")) == []  # a successor schedules and polls at once
    assert client.keys("celery-task-meta-*") == []  # no result stored for tasks nobody reads


def test_run_exits_non_zero_when_a_part_keeps_dying(redis_server, redis_url):
    dying = [sys.executable, "-c", "import sys; sys.exit(3)"]
    steady = [sys.executable, "-c", "import time; time.sleep(60)"]
    sup = Supervisor({"worker": dying, "beat": steady}, redis_server.client, max_restarts=2, window=60)
    started = time.monotonic()
    assert sup.run(every=0.1, grace=5) == 1  # so docker/systemd restarts the whole service
    assert time.monotonic() - started < 20
    assert all(p.proc is not None and p.proc.poll() is not None for p in sup.parts.values())  # nothing left


def test_run_kills_and_restarts_a_beat_that_runs_but_no_longer_ticks(redis_server, redis_url):
    wedged = [sys.executable, "-c", "import time; time.sleep(60)"]  # up, never stamps
    sup = Supervisor({"beat": wedged}, redis_server.client, beat_stale=0.5, max_restarts=3)
    sup.start()
    try:
        first = sup.parts["beat"].proc
        deadline = time.monotonic() + 10
        while sup.parts["beat"].proc is first and time.monotonic() < deadline:
            assert sup.step() is None
            time.sleep(0.1)
        assert sup.parts["beat"].proc is not first and first.poll() is not None
    finally:
        sup.stop(grace=5)


def health(redis_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "REDIS_URL": redis_url, "POLL_INTERVAL_SECONDS": "60", "FLUSH_INTERVAL_SECONDS": "30",
           "SLA_WATCH_INTERVAL_SECONDS": "60"}
    return subprocess.run([sys.executable, "-m", "sync.cli", "health", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def test_the_health_check_fails_on_a_stale_part_and_on_an_unreachable_redis(redis_server, redis_url):
    client = redis_server.client
    out = health(redis_url)
    assert out.returncode == 1 and "STALE beat" in out.stdout and "never" in out.stdout
    now = time.time()
    for part in ("beat", "poll", "watch", "flush"):
        mark_alive(client, part, now)
    assert health(redis_url).returncode == 0
    mark_alive(client, "poll", now - 400)  # limit: 3 x 60 s + 30 s
    out = health(redis_url, "--role", "worker")
    assert out.returncode == 1 and re.search(r"STALE poll +last success 40\d s ago", out.stdout), out.stdout
    assert health(redis_url, "--role", "beat").returncode == 0  # the beat's own check is fine
    out = health("redis://127.0.0.1:1/0")
    assert out.returncode == 1 and "not reachable" in out.stderr


def test_run_kills_and_restarts_a_worker_that_leaves_its_queue_waiting(redis_server, redis_url):
    wedged = [sys.executable, "-c", "import time; time.sleep(60)"]  # up, never consumes
    redis_server.client.lpush("escalation-sync", "{}")
    sup = Supervisor({"worker": wedged}, redis_server.client, worker_stale=0.5, max_restarts=3)
    sup.start()
    try:
        first = sup.parts["worker"].proc
        deadline = time.monotonic() + 10
        while sup.parts["worker"].proc is first and time.monotonic() < deadline:
            assert sup.step() is None
            time.sleep(0.1)
        assert sup.parts["worker"].proc is not first and first.poll() is not None
    finally:
        sup.stop(grace=5)
