"""The command line contract: backtest JSON, check-config exit codes, the published schema."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.paths import EXAMPLES, ROOT


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sync.cli", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)


def test_backtest_prints_the_contract_json():
    out = cli("backtest", str(EXAMPLES / "small_book.yaml"))
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert set(data) == {"escalations", "unmatched_tickets"}
    esc = data["escalations"][0]
    assert set(esc) == {"account", "account_name", "opened", "severity", "tier", "owner", "stakeholders",
                        "triggers", "exec_sponsor", "plan"}
    assert set(esc["triggers"][0]) == {"kind", "at", "tickets"}
    assert set(esc["exec_sponsor"]) == {"required", "due"}
    assert set(esc["plan"][0]) == {"step", "owner", "due"}


def test_backtest_now_limits_the_replay():
    out = cli("backtest", str(EXAMPLES / "small_book.yaml"), "--now", "2026-11-17T12:00:00Z")
    names = [e["account_name"] for e in json.loads(out.stdout)["escalations"]]
    assert names == ["Globex", "Initech"]


def test_backtest_with_a_rules_file(tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text("triggers:\n  keyword:\n    enabled: false\n")
    out = cli("backtest", str(EXAMPLES / "small_book.yaml"), "--config", str(rules))
    kinds = {t["kind"] for e in json.loads(out.stdout)["escalations"] for t in e["triggers"]}
    assert "keyword" not in kinds and "ticket_burst" in kinds


def test_backtest_refuses_a_bad_book_naming_the_key(tmp_path):
    book = tmp_path / "book.yaml"
    book.write_text("now: '2026-11-20T12:00:00Z'\n"
                    "tickets:\n  - {key: T-1, created: '2026-11-19T10:00:00Z', prio: High}\n")
    out = cli("backtest", str(book))
    assert out.returncode == 2 and "tickets[0].prio: unknown key" in out.stderr


def test_check_config_accepts_a_good_file_and_refuses_a_bad_one(tmp_path):
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text("owner: {fatigue_threshold: 7}\n")
    bad.write_text("triggers: {ticket_burst: {window: fortnight}}\n")
    assert cli("check-config", str(good)).returncode == 0
    out = cli("check-config", str(bad))
    assert out.returncode == 2 and "triggers.ticket_burst.window" in out.stderr


def test_check_config_on_a_missing_file_exits_2():
    out = cli("check-config", "/nonexistent/rules.yaml")
    assert out.returncode == 2 and "cannot read" in out.stderr


def test_config_schema_prints_json_schema():
    out = cli("config-schema")
    assert json.loads(out.stdout)["title"] == "escalation-sync rules"
