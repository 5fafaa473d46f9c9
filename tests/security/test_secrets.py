"""Secrets (the Salesforce client secret and access tokens, the Jira API token, webhook URLs)
never appear in logs, errors, Celery task arguments, Redis, metrics or ``sync-once --json``.

Every test uses distinctive secrets and scans everything the connector produced for them, in
the plain and in the forms they travel in (URL-encoded, Basic-auth base64)."""

from __future__ import annotations

import base64
import json
import logging
import os
import subprocess
import sys
import traceback
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
import redis
import respx
from prometheus_client import CollectorRegistry, generate_latest

from connectors.errors import ConnectorError, FatalError
from sandbox.server import Sandbox
from sync.app import app
from sync.metrics import StoreCollector
from sync.runtime import Runtime
from tests.celery_worker import Worker
from tests.faults.support import use_broker, worker_env
from tests.paths import EXAMPLES, ROOT
from tests.sync.conftest import settings_for

CLIENT_SECRET = "cs-T0PSECRET-client-4f1c"
JIRA_TOKEN = "jt-T0PSECRET-jira-9b2e"
HOOK = "https://hooks.example/services/T0/B0/wh-T0PSECRET-hook-77aa"
ROUTES = {"default": [HOOK]}


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(EXAMPLES / "small_book.yaml", client_secret=CLIENT_SECRET, jira_api_token=JIRA_TOKEN) as sb:
        yield sb


def secrets_of(sb: Sandbox) -> list[str]:
    """Every secret in play, in the forms it could leak in."""
    with sb.lock:
        tokens = list(sb.org.tokens)
    plain = [CLIENT_SECRET, JIRA_TOKEN, HOOK, HOOK.split("/services/")[1], *tokens]
    basic = [base64.b64encode(f"{who}:{secret}".encode()).decode()
             for who, secret in ((sb.creds["client_id"], CLIENT_SECRET), (sb.creds["jira_email"], JIRA_TOKEN))]
    return plain + [quote(s, safe="") for s in plain] + basic + [t.split("!", 1)[-1] for t in tokens]


def assert_clean(haystack: str, sb: Sandbox, where: str) -> None:
    leaked = [s for s in secrets_of(sb) if s and s in haystack]
    assert not leaked, f"{where} leaks {leaked}"


def redis_dump(client: redis.Redis) -> str:
    """Every key and value in Redis, as text."""
    out = []
    for key in client.scan_iter(count=1000):
        kind = client.type(key).decode()
        value: object = {"string": client.get, "hash": client.hgetall, "list": lambda k: client.lrange(k, 0, -1),
                         "set": client.smembers, "zset": lambda k: client.zrange(k, 0, -1)}.get(
                             kind, lambda k: None)(key)
        out.append(f"{key!r} {value!r}")
    return "\n".join(out)


def test_a_cycle_leaks_no_secret_into_logs_redis_or_metrics(sandbox, redis_url, caplog):
    caplog.set_level(logging.DEBUG)
    rt = Runtime(settings_for(sandbox, redis_url, notify_webhooks=ROUTES))
    with respx.mock(assert_all_called=False) as router:
        router.route(host="hooks.example").mock(return_value=httpx.Response(200, text="ok"))
        router.route().pass_through()
        rt.cycle()
        with sandbox.lock:
            first_tokens = list(sandbox.org.tokens)
        sandbox.expire_tokens()  # a refresh: a second token, and the refresh's log lines
        sandbox.add_ticket({"key": "SUP-7001", "summary": "Legal action", "components": ["Reporting"],
                            "description": "lawsuit", "reporter": {"email": "kim@acme.example", "customer": True}})
        rt.cycle()
        rt.watch()
        assert any(c.request.url.host == "hooks.example" for c in router.calls)  # the webhook was used
    with sandbox.lock:
        assert first_tokens and sandbox.org.tokens  # a token before the expiry and one after
        sandbox.org.tokens.update(dict.fromkeys(first_tokens, None))  # so both are scanned for
    logs = caplog.text + "\n".join(f"{r.getMessage()} {r.args!r} {r.__dict__!r}" for r in caplog.records)
    assert_clean(logs, sandbox, "the logs")
    assert_clean(redis_dump(rt.redis), sandbox, "Redis")
    registry = CollectorRegistry()
    registry.register(StoreCollector(rt.store))
    assert_clean(generate_latest(registry).decode(), sandbox, "the metrics")
    assert_clean(repr(rt.settings) + str(rt.settings) + rt.settings.model_dump_json(), sandbox, "the settings' repr")


@pytest.mark.parametrize("wrong", ["client_secret", "jira_api_token"])
def test_refused_credentials_raise_errors_that_name_the_setting_not_the_secret(sandbox, redis_url, caplog, wrong):
    caplog.set_level(logging.DEBUG)
    bad = "WR0NG-" + ("cs" if wrong == "client_secret" else "jt") + "-5ecret-value"
    setting = "salesforce_client_secret" if wrong == "client_secret" else "jira_api_token"
    rt = Runtime(settings_for(sandbox, redis_url, **{setting: bad}))
    with pytest.raises(FatalError) as caught:
        rt.cycle()
    text = "".join(traceback.format_exception(caught.value)) + caplog.text
    assert ("SALESFORCE_CLIENT_SECRET" if wrong == "client_secret" else "JIRA_API_TOKEN") in str(caught.value)
    for secret in (bad, quote(bad), CLIENT_SECRET, JIRA_TOKEN):
        assert secret not in text


def test_transient_errors_carry_no_secret(sandbox, redis_url):
    from sandbox.faults import Fault

    rt = Runtime(settings_for(sandbox, redis_url))
    rt.jira.client._session.max_retry_delay = 0.01
    # a 429 asking for longer than the limiter waits (10 s) surfaces at once
    for system, status, wait in (("salesforce", 500, 1), ("jira", 500, 1), ("jira", 429, 11)):
        sandbox.faults.add(Fault(system, status=status, count=10, retry_after=wait))
        with pytest.raises(ConnectorError) as caught:
            rt.cycle()
        sandbox.faults.clear()
        assert_clean("".join(traceback.format_exception(caught.value)), sandbox, f"a {system} {status} error")


def test_celery_task_messages_results_and_worker_logs_carry_no_secret(sandbox, redis_url):
    use_broker(redis_url)
    env = worker_env(sandbox, redis_url, NOTIFY_WEBHOOKS=json.dumps(ROUTES))
    client = redis.Redis.from_url(redis_url)
    # a message as it waits in the broker (no worker yet): what the task carries
    app.send_task("escalation_sync.poll")
    app.send_task("escalation_sync.notify", args=["ESC-x", "new_escalation", ["a reason"], ["csm"], "ESC-x|k"])
    queued = redis_dump(client)
    assert "escalation_sync.poll" in queued
    assert_clean(queued, sandbox, "the queued task messages")
    worker = Worker(env, name="secrets")
    try:
        worker.wait_ready()
        result = app.send_task("escalation_sync.poll").get(timeout=90)
        assert isinstance(result, dict) or result == "busy"
        assert_clean(redis_dump(client), sandbox, "Redis after the worker ran (results, queues, state)")
    finally:
        worker.stop()
    assert "escalation_sync.notify" in worker.output()  # notifications went through the broker
    assert_clean(worker.output(), sandbox, "the worker's log (task arguments, results)")


def test_sync_once_json_output_carries_no_secret(sandbox, redis_url):
    env = {**os.environ, **sandbox.env(), "REDIS_URL": redis_url, "NOTIFY_WEBHOOKS": json.dumps(ROUTES),
           "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "sync.cli", "sync-once", "--json"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout)["poll"]["opened"] > 0
    assert_clean(done.stdout + done.stderr, sandbox, "sync-once --json")
