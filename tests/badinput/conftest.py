from __future__ import annotations

import pytest

from tests.faults.support import forget_broker, skip_slow_unless_asked
from tests.sync.conftest import redis_server, redis_url  # noqa: F401


def pytest_collection_modifyitems(config, items):
    skip_slow_unless_asked(config, items, __file__.rsplit("/", 1)[0])


@pytest.fixture(autouse=True)
def _fresh_celery_connections():
    """Leave the Celery app without cached connections to this directory's Redis."""
    yield
    forget_broker()
