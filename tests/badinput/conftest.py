from __future__ import annotations

from tests.sync.conftest import redis_server, redis_url  # noqa: F401

