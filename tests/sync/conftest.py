"""Fixtures of the pipeline tests: a real redis-server, the sandbox, a runtime pointed at both."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.server import Sandbox
from sync.runtime import Runtime
from sync.settings import Settings
from tests.paths import EXAMPLES
from tests.redis_server import RedisServer


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    redis_server.client.flushall()
    return redis_server.url


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(EXAMPLES / "small_book.yaml") as sb:
        yield sb


def settings_for(sb: Sandbox, redis_url: str, **overrides: object) -> Settings:
    env = sb.env()
    values = {k.lower(): v for k, v in env.items() if k.startswith(("SALESFORCE_", "JIRA_"))}
    values["requests_ca_bundle"] = env["REQUESTS_CA_BUNDLE"]
    values.update(redis_url=redis_url, jira_search_settle_seconds=2.0, http_timeout_seconds=10.0)
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def runtime(sandbox: Sandbox, redis_url: str) -> Runtime:
    return Runtime(settings_for(sandbox, redis_url))
