"""Helpers of the fault tests: drive a runtime to completion through faults, a Redis that can
be stopped and restarted on the same port and directory, Celery plumbing."""

from __future__ import annotations

import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import redis

from connectors.errors import RetriableError
from sync.broker import free_port
from sync.runtime import Runtime


@dataclass
class Drive:
    """What driving a runtime to completion took."""

    cycles: int = 0
    errors: list[Exception] = field(default_factory=list)
    opened: int = 0
    deferrals: int = 0


def drive(rt: Runtime, *, timeout: float = 60.0, pause: float = 0.25,
          allowed: tuple[type[BaseException], ...] = (RetriableError,),
          between: Callable[[int], None] | None = None) -> Drive:
    """Run ``rt.cycle()`` until a cycle completes with nothing deferred and the outbox is empty.

    A cycle may raise: that is the contract for transient trouble. Every error must be one of
    ``allowed`` (else it propagates and fails the test). ``between(n)`` runs after cycle ``n``.
    """
    out = Drive()
    deadline = time.monotonic() + timeout
    while True:
        out.cycles += 1
        try:
            poll, flush = rt.cycle()
        except allowed as exc:
            out.errors.append(exc)
        else:
            out.opened += poll.opened
            out.deferrals += len(flush.deferred)
            if not flush.deferred and not rt.store.outbox():
                return out
        if between is not None:
            between(out.cycles)
        if time.monotonic() > deadline:
            raise AssertionError(f"not done after {out.cycles} cycles; errors: {out.errors[-5:]}")
        time.sleep(pause)


def flush_until_done(rt: Runtime, *, timeout: float = 60.0, pause: float = 0.25,
                     allowed: tuple[type[BaseException], ...] = (RetriableError,)) -> Drive:
    """Like :func:`drive`, with ``writer.flush()`` only (the poll already committed)."""
    out = Drive()
    deadline = time.monotonic() + timeout
    while True:
        out.cycles += 1
        try:
            flush = rt.writer.flush()
        except allowed as exc:
            out.errors.append(exc)
        else:
            out.deferrals += len(flush.deferred)
            if not flush.deferred and not rt.store.outbox():
                return out
        if time.monotonic() > deadline:
            raise AssertionError(f"outbox not drained after {out.cycles} flushes; errors: {out.errors[-5:]}")
        time.sleep(pause)


def quick_jira_retries(rt: Runtime, max_delay: float = 0.05) -> None:
    """The jira client's own 429/503 retries sleep ``2 x Retry-After`` (>= 1 s); cap the sleep so
    a storm costs the test milliseconds while the client still retries exactly as it would."""
    rt.jira.client._session.max_retry_delay = max_delay


class DurableRedis:
    """A ``redis-server`` with an append-only file that can be stopped (gracefully or with
    SIGKILL) and started again on the same port and directory, so its data survives."""

    def __init__(self, fsync: str = "always") -> None:
        self.binary = shutil.which("redis-server")
        assert self.binary, "redis-server is not installed"
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="esc-durable-redis-")
        self.fsync = fsync
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir,
                "--save", "", "--appendonly", "yes", "--appendfsync", self.fsync, "--daemonize", "no"]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        deadline = time.monotonic() + 10
        while True:
            try:
                if client.ping():
                    break
            except (redis.ConnectionError, redis.BusyLoadingError):
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise
                time.sleep(0.05)
        client.close()

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """SIGTERM: a clean shutdown (AOF flushed); SIGKILL: a crash (only fsynced data survives)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(10)
        self.proc = None

    def restart(self, sig: int = signal.SIGTERM) -> None:
        self.stop(sig)
        self.start()

    def close(self) -> None:
        self.stop(signal.SIGKILL)
        shutil.rmtree(self.dir, ignore_errors=True)


def worker_env(sandbox: Any, redis_url: str, **extra: str) -> dict[str, str]:
    """The environment of a Celery worker pointed at the sandbox and Redis."""
    env = {**sandbox.env(), "REDIS_URL": redis_url, "JIRA_SEARCH_SETTLE_SECONDS": "2"}
    env.update(extra)
    return env


def skip_slow_unless_asked(config: Any, items: list[Any], here: str) -> None:
    """Soak tests (``@pytest.mark.slow``) under ``here`` run only with ``-m slow`` (or any
    ``-m`` naming it) or ``RUN_SLOW=1``: the default run stays short."""
    import os
    from pathlib import Path

    import pytest

    if "slow" in (config.getoption("markexpr", "") or "") or os.environ.get("RUN_SLOW"):
        return
    root = Path(here).resolve()
    skip = pytest.mark.skip(reason="a soak test: run with -m slow or RUN_SLOW=1")
    for item in items:
        if "slow" in item.keywords and root in Path(str(item.fspath)).resolve().parents:
            item.add_marker(skip)


def use_broker(url: str) -> None:
    """Point this process's Celery app (producer and result backend) at ``url``.

    Setting ``broker_url`` alone is not enough once the app has sent a task: its connection
    pool, producer pool and result backend are cached, and would keep talking to the Redis of
    an earlier test (each test directory's session fixture starts its own redis-server)."""
    from sync.app import app

    app.conf.broker_url = app.conf.result_backend = url
    forget_broker()


def forget_broker() -> None:
    """Drop the app's cached connections, so the next task goes wherever the config says
    (the autouse fixtures call this after every test, for the tests that only set the config)."""
    from sync.app import app

    app._pool = None  # kombu keeps one pool per broker URL; only the app's reference goes
    amqp = app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None
    app._backend_cache = None
    app._local.__dict__.pop("backend", None)
