"""Fixtures of the fidelity tests: the pipeline tests' real redis-server."""

from tests.sync.conftest import redis_server, redis_url  # noqa: F401 - shared fixtures
