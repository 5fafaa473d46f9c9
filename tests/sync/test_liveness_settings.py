"""Health limits follow the intervals the beat really uses: those of the settings, so a
``.env`` file counts as much as the environment (a poll every 10 minutes is not stale at 3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync.liveness import assess
from sync.settings import ServiceSettings

NAMES = ("POLL_INTERVAL_SECONDS", "FLUSH_INTERVAL_SECONDS", "SLA_WATCH_INTERVAL_SECONDS", "METRICS_PORT", "LOG_LEVEL")


@pytest.fixture
def in_dir_with_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_health_limits_come_from_the_env_file(in_dir_with_env: Path) -> None:
    (in_dir_with_env / ".env").write_text("POLL_INTERVAL_SECONDS=600\nSLA_WATCH_INTERVAL_SECONDS=120\n", "utf-8")
    now = 10_000.0
    parts = {p.part: p for p in assess({"poll": now - 900, "watch": now - 900, "flush": now - 10}, now, role="worker")}
    assert parts["poll"].ok, "a 600 s poll last seen 900 s ago is on time"
    assert not parts["watch"].ok, "a 120 s watch last seen 900 s ago is stale"
    assert parts["poll"].limit > parts["watch"].limit > parts["flush"].limit


def test_metrics_port_and_log_level_are_settings(in_dir_with_env: Path) -> None:
    (in_dir_with_env / ".env").write_text("METRICS_PORT=9200\nLOG_LEVEL=debug\n", "utf-8")
    s = ServiceSettings()
    assert (s.metrics_port, s.log_level.upper()) == (9200, "DEBUG")


def test_a_bad_log_level_is_refused_naming_the_field(in_dir_with_env: Path) -> None:
    (in_dir_with_env / ".env").write_text("LOG_LEVEL=loud\n", "utf-8")
    with pytest.raises(ValueError, match="log_level"):
        ServiceSettings()
