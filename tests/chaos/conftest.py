from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.faults.support import DurableRedis
from tests.sync.conftest import redis_server, redis_url, sandbox  # noqa: F401


@pytest.fixture
def durable() -> Iterator[DurableRedis]:
    """A redis-server with an append-only file, killable and restartable on the same port and dir."""
    server = DurableRedis(fsync="always")
    yield server
    server.close()
