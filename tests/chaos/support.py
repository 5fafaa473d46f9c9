"""The service as an operator runs it: ``escalation-sync run`` in its own process group (so one
``killpg`` is a SIGKILL of the whole service), pointed at a sandbox and a real redis-server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping

import redis

from sync.keys import Keys
from sync.liveness import read_alive
from tests.paths import ROOT

FAST = {"POLL_INTERVAL_SECONDS": "5", "FLUSH_INTERVAL_SECONDS": "3", "SLA_WATCH_INTERVAL_SECONDS": "5",
        "JIRA_SEARCH_SETTLE_SECONDS": "2", "METRICS_PORT": "0", "LOG_JSON": "0"}


def service_env(sandbox_env: Mapping[str, str], redis_url: str, **extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SALESFORCE_", "JIRA_", "REDIS_URL"))}
    return {**base, **sandbox_env, "REDIS_URL": redis_url, **FAST, "PYTHONPATH": str(ROOT), **extra}


class Service:
    """``escalation-sync run`` (worker + beat, supervised), its output in a file."""

    def __init__(self, env: Mapping[str, str], name: str = "run", args: tuple[str, ...] = ()):
        self.env = dict(env)
        self.args = ["--concurrency=1", "--metrics-port=0", *args]
        self.log = tempfile.NamedTemporaryFile(prefix=f"esc-{name}-", suffix=".log", delete=False)  # noqa: SIM115
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> Service:
        self.proc = subprocess.Popen([sys.executable, "-m", "sync.cli", "run", *self.args], cwd=ROOT, env=self.env,
                                     stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.starts += 1
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self, sig: int = signal.SIGKILL, wait: float = 150) -> int | None:
        """SIGKILL: the whole process group at once (a crash, the OOM killer, a power cut);
        SIGTERM: ``run`` alone, as ``docker stop`` does, and ``run`` stops its parts cleanly."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            with _suppress():
                if sig == signal.SIGKILL:
                    os.killpg(self.proc.pid, sig)
                else:
                    self.proc.send_signal(sig)
        try:
            code = self.proc.wait(wait)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            code = self.proc.wait(10)
        if sig == signal.SIGKILL:  # the group's stragglers (pool children) too
            with _suppress():
                os.killpg(self.proc.pid, signal.SIGKILL)
        return code

    def output(self) -> str:
        with open(self.log.name, encoding="utf-8", errors="replace") as f:
            return f.read()


class _suppress:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return exc[0] is not None and issubclass(exc[0], ProcessLookupError)  # type: ignore[arg-type]


def stamp(client: redis.Redis, part: str) -> float:
    """The part's last liveness stamp (0: never or Redis down)."""
    try:
        return read_alive(client, Keys()).get(part, 0.0)
    except redis.RedisError:
        return 0.0


def wait_until(what: Callable[[], bool], timeout: float, why: str, every: float = 0.2,
               on_fail: Callable[[], str] = lambda: "") -> float:
    """Seconds it took ``what`` to become true; AssertionError after ``timeout``."""
    started = time.monotonic()
    while True:
        if what():
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{why}: not within {timeout} s\n{on_fail()[-4000:]}")
        time.sleep(every)
