"""``escalation-sync demo`` on a machine with nothing configured: start-up, output, shutdown."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.paths import ROOT


def start_demo(*args: str, path: str | None = None) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS_URL", "SALESFORCE_", "JIRA_"))}
    if path is not None:
        env["PATH"] = path
    return subprocess.Popen([sys.executable, "-m", "sync.cli", "demo", "--plain", "--interval", "2", *args],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)


def read_until(proc: subprocess.Popen[str], needle: str, timeout: float) -> list[str]:
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if needle in line:
            return lines
    raise AssertionError(f"{needle!r} not seen in {timeout} s:\n{''.join(lines)}")


def no_worker_left(proc: subprocess.Popen[str]) -> bool:
    try:
        os.killpg(proc.pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.parametrize("path", [None, os.path.dirname(sys.executable)], ids=["redis-server", "embedded"])
def test_demo_shows_escalations_within_60_seconds_and_stops_cleanly_on_ctrl_c(path):
    proc = start_demo(path=path)
    try:
        started = time.monotonic()
        lines = read_until(proc, "opened:", timeout=60)
        assert time.monotonic() - started < 60
        if path is not None:
            assert any("embedded in-process Redis" in line for line in lines)
        read_until(proc, "epic ESC-", timeout=30)  # written to Jira, not only decided
        proc.send_signal(signal.SIGINT)
        rest = proc.communicate(timeout=60)[0]
        assert proc.returncode == 0, rest
        assert "demo stopped" in rest and "Traceback" not in rest
        time.sleep(0.5)
        assert no_worker_left(proc)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
