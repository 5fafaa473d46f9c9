"""Shared test configuration. ``HYPOTHESIS_PROFILE=deep`` runs the property tests longer."""

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("default", deadline=None)
settings.register_profile("deep", max_examples=2000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def pytest_collection_modifyitems(config, items):
    """Soak tests (``@pytest.mark.slow``) run only with ``-m slow`` or ``RUN_SLOW=1``."""
    from tests.faults.support import skip_slow_unless_asked

    skip_slow_unless_asked(config, items, os.path.dirname(__file__))


@pytest.fixture(autouse=True)
def _fresh_celery_connections():
    """Leave the Celery app without cached connections to the Redis a test used."""
    yield
    from tests.faults.support import forget_broker

    forget_broker()
