"""Fixtures of the go-live tests: a real redis-server and the sandbox (Cloud and Data Center)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.server import Sandbox
from tests.paths import EXAMPLES
from tests.sync.conftest import redis_server, redis_url  # noqa: F401 - shared fixtures


@pytest.fixture(params=["cloud", "datacenter"])
def any_sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    with Sandbox(EXAMPLES / "small_book.yaml", flavour=request.param) as sb:
        yield sb


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(EXAMPLES / "small_book.yaml") as sb:
        yield sb
