"""A real Celery worker process for the tests, pointed at the sandbox and a real Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping

from tests.paths import ROOT


class Worker:
    def __init__(self, env: Mapping[str, str], concurrency: int = 1, name: str = "w1"):
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - the worker writes to it for its lifetime
            prefix=f"celery-{name}-", suffix=".log", delete=False)
        full = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "sync.app", "worker", f"--concurrency={concurrency}",
             "--pool=prefork", "--loglevel=INFO", "--without-gossip", "--without-mingle",
             "--without-heartbeat", f"--hostname={name}@%h"],
            cwd=ROOT, env=full, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited: {self.output()[-2000:]}")
            if "ready." in self.output():
                return
            time.sleep(0.1)
        raise TimeoutError(f"worker not ready: {self.output()[-2000:]}")

    def output(self) -> str:
        with open(self.log.name, encoding="utf-8", errors="replace") as f:
            return f.read()

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
