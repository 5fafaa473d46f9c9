from __future__ import annotations

import pytest

from sync.runtime import Runtime
from tests.faults.support import forget_broker, skip_slow_unless_asked
from tests.sync.conftest import redis_server, redis_url, sandbox, settings_for  # noqa: F401


def pytest_collection_modifyitems(config, items):
    skip_slow_unless_asked(config, items, __file__.rsplit("/", 1)[0])


@pytest.fixture(autouse=True)
def _fresh_celery_connections():
    """Leave the Celery app without cached connections to this directory's Redis."""
    yield
    forget_broker()


@pytest.fixture
def runtime(sandbox, redis_url) -> Runtime:  # noqa: F811
    return Runtime(settings_for(sandbox, redis_url))
