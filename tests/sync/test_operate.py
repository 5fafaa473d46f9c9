"""Operating it: doctor's failure messages, status, Prometheus metrics."""

from __future__ import annotations

import os
import subprocess
import sys

from prometheus_client import CollectorRegistry, generate_latest

from connectors.calls import drain
from sandbox.server import Sandbox
from sync.commands.status import collect
from sync.doctor import run_checks
from sync.metrics import StoreCollector
from sync.runtime import Runtime
from tests.paths import EXAMPLES, ROOT
from tests.sync.conftest import settings_for
from tests.sync.outcome import expected


def cli_env(sb: Sandbox, redis_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SALESFORCE_", "JIRA_", "REDIS_URL"))}
    return {**env, **sb.env(), "REDIS_URL": redis_url, **extra}


def cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sync.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_doctor_names_a_missing_escalation_field_and_fails(redis_url):
    with Sandbox(EXAMPLES / "small_book.yaml", remove_fields=("Escalation__c.Severity__c",)) as sb:
        out = cli(["doctor"], cli_env(sb, redis_url))
    assert out.returncode == 1
    line = next(line for line in out.stdout.splitlines() if "Severity__c" in line)
    assert line.startswith("FAIL") and "Escalation__c has no field Severity__c" in line
    assert "deploy salesforce/" in out.stdout


def test_doctor_passes_on_a_complete_sandbox(sandbox, redis_url):
    checks = run_checks(Runtime(settings_for(sandbox, redis_url)))
    assert [c.what for c in checks if not c.ok and not c.warning] == []
    assert any("Escalation__c has every field" in c.what for c in checks)


def test_doctor_says_which_credential_is_wrong(sandbox, redis_url):
    out = cli(["doctor"], cli_env(sandbox, redis_url, SALESFORCE_CLIENT_SECRET="wrong", JIRA_API_TOKEN="bad"))
    assert out.returncode == 1
    assert "SALESFORCE_CLIENT_SECRET" in out.stdout and "JIRA_EMAIL/JIRA_API_TOKEN" in out.stdout
    assert "wrong" not in out.stdout.replace("wrong?", "")  # the secret itself is never printed


def test_doctor_names_missing_settings(redis_url):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SALESFORCE_", "JIRA_"))}
    out = cli(["doctor"], env)
    assert out.returncode == 2 and "SALESFORCE_INSTANCE_URL" in out.stderr and "JIRA_URL" in out.stderr


def test_doctor_names_a_missing_jira_issue_type(redis_url):
    with Sandbox(EXAMPLES / "small_book.yaml") as sb:
        checks = run_checks(Runtime(settings_for(sb, redis_url, jira_plan_issue_type="Story")))
    bad = [c for c in checks if not c.ok and not c.warning]
    assert len(bad) == 1 and "no issue type 'Story'" in bad[0].what and "scheme" in bad[0].fix


def test_status_reports_cycles_lag_open_escalations_and_quota(sandbox, redis_url):
    rt = Runtime(settings_for(sandbox, redis_url))
    rt.cycle()
    status = collect(rt.store)
    assert status["open_escalations"] == len(expected(sandbox))
    assert sum(status["open_by_tier"].values()) == status["open_escalations"]
    assert set(status["cursor_lag_seconds"]) >= {"jira.tickets", "salesforce.accounts"}
    assert status["salesforce_quota"]["remaining"] > 0 and status["pending_writes"] == 0
    out = cli(["status"], cli_env(sandbox, rt.settings.redis_url))
    assert out.returncode == 0 and f"open escalations: {len(expected(sandbox))}" in out.stdout


def test_metrics_count_api_calls_decisions_and_lag(sandbox, redis_url):
    rt = Runtime(settings_for(sandbox, redis_url))
    sandbox.clear_requests()
    drain()  # the counts are per process: an earlier test's (a doctor run's) are not this cycle's
    rt.cycle()
    served = [r for r in sandbox.requests(bodies=False) if "oauth2/token" not in r["path"]]
    registry = CollectorRegistry()
    registry.register(StoreCollector(rt.store))
    text = generate_latest(registry).decode()
    samples = {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line and not line.startswith("#")}
    calls = {k: v for k, v in samples.items() if k.startswith("escalation_sync_api_calls_total")}
    assert sum(v for k, v in calls.items() if 'system="jira"' in k) == sum(r["system"] == "jira" for r in served)
    assert sum(v for k, v in calls.items() if 'system="salesforce"' in k) == \
        sum(r["system"] == "salesforce" for r in served)
    opened = sum(v for k, v in samples.items() if k.startswith("escalation_sync_escalations_opened_total"))
    assert opened == len(expected(sandbox))
    assert any(k.startswith('escalation_sync_triggers_total{kind="keyword"}') for k in samples)
    assert 'escalation_sync_cursor_lag_seconds{source="jira.tickets"}' in samples
    assert samples["escalation_sync_salesforce_quota_remaining"] > 0
