"""TLS verification is on by default, and Celery takes JSON only (a pickle is never unpickled)."""

from __future__ import annotations

import re
import ssl
import time
from pathlib import Path

import pytest

from connectors.errors import ConnectorError
from connectors.salesforce import SalesforceConnector
from connectors.salesforce_auth import TokenSource
from sync.app import app
from sync.runtime import Runtime
from tests.celery_worker import Worker
from tests.faults.support import use_broker, worker_env
from tests.paths import ROOT
from tests.sync.conftest import settings_for

CA_VARIABLES = ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE")


def causes(exc: BaseException) -> list[BaseException]:
    out = []
    while exc is not None and exc not in out:
        out.append(exc)
        exc = exc.__cause__ or exc.__context__
    return out


def is_tls_failure(exc: BaseException) -> bool:
    return any(isinstance(e, ssl.SSLError) or "CERTIFICATE_VERIFY_FAILED" in str(e) for e in causes(exc))


@pytest.fixture
def no_ca_from_the_environment(monkeypatch):
    for name in CA_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_the_token_request_without_the_sandbox_ca_fails_on_tls(sandbox, redis_url, no_ca_from_the_environment):
    rt = Runtime(settings_for(sandbox, redis_url, requests_ca_bundle=None))
    with pytest.raises(ConnectorError) as caught:
        rt.salesforce.users()
    assert is_tls_failure(caught.value), causes(caught.value)
    assert not [r for r in sandbox.requests("salesforce", bodies=False)]  # nothing was sent in the clear


def test_api_calls_without_the_sandbox_ca_fail_on_tls(sandbox, no_ca_from_the_environment):
    """The token comes over a trusted channel; the API session has no CA of its own: the
    simple-salesforce calls verify against the system roots and refuse the sandbox."""
    tokens = TokenSource(sandbox.salesforce_url, sandbox.creds["client_id"],
                         client_secret=sandbox.creds["client_secret"],
                         verify=ssl.create_default_context(cafile=sandbox.ca_path))
    connector = SalesforceConnector(tokens, timeout=10)
    with pytest.raises(ConnectorError) as caught:
        connector.users()
    assert is_tls_failure(caught.value), causes(caught.value)


def test_with_the_ca_bundle_the_same_calls_work(sandbox, redis_url, no_ca_from_the_environment):
    rt = Runtime(settings_for(sandbox, redis_url))
    assert rt.salesforce.users()


def test_no_code_turns_verification_off():
    pattern = re.compile(r"verify\s*=\s*False|CERT_NONE|check_hostname\s*=\s*False|_create_unverified_context"
                         r"|InsecureRequestWarning")
    hits = [f"{path.relative_to(ROOT)}:{n}" for folder in ("connectors", "sync")
            for path in (ROOT / folder).rglob("*.py")
            for n, line in enumerate(path.read_text().splitlines(), 1) if pattern.search(line)]
    assert hits == []


def test_celery_is_configured_for_json_only():
    assert app.conf.task_serializer == "json" and app.conf.result_serializer == "json"
    assert list(app.conf.accept_content) == ["json"]
    assert list(app.conf.result_accept_content or app.conf.accept_content) == ["json"]


class Canary:
    """Unpickling this creates a file: proof that a pickle was (or was not) deserialized."""

    def __init__(self, path: str):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_a_pickled_task_message_is_refused_and_never_unpickled(sandbox, redis_url, tmp_path):
    use_broker(redis_url)
    marker = tmp_path / "unpickled"
    worker = Worker(worker_env(sandbox, redis_url), name="pickle")
    try:
        worker.wait_ready()
        app.send_task("escalation_sync.notify", args=[Canary(str(marker)), "x", [], [], "k"],
                      serializer="pickle")
        app.send_task("escalation_sync.poll", serializer="pickle")
        deadline = time.monotonic() + 20
        while worker.output().count("untrusted content") < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        # a JSON task after them still runs: the worker refused the pickles and went on
        assert isinstance(app.send_task("escalation_sync.flush").get(timeout=60), dict)
    finally:
        worker.stop()
    out = worker.output()
    assert out.count("untrusted content") >= 2, out[-3000:]
    assert not Path(marker).exists()
    assert not [r for r in sandbox.requests(bodies=False)
                if "/search" in r["path"] or "/query" in r["path"]]  # the pickled poll never ran
