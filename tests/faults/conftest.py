from __future__ import annotations

import pytest

from sync.runtime import Runtime
from tests.sync.conftest import redis_server, redis_url, sandbox, settings_for  # noqa: F401


@pytest.fixture
def runtime(sandbox, redis_url) -> Runtime:  # noqa: F811
    return Runtime(settings_for(sandbox, redis_url))
