"""The Celery app. ``celery -A sync.app worker`` and ``celery -A sync.app beat`` run it."""

from __future__ import annotations

from celery import Celery
from celery.signals import setup_logging, worker_ready

from sync import liveness
from sync.settings import ServiceSettings

app = Celery("escalation_sync")
app.config_from_object("celeryconfig")
app.autodiscover_tasks(["sync"], related_name="tasks", force=True)
liveness.connect()  # {ns}:alive stamps: a worker that stops doing its job is seen (status, health, run)


@worker_ready.connect
def _serve_metrics(**_: object) -> None:
    """``METRICS_PORT`` set: this worker serves Prometheus metrics (read from Redis)."""
    port = ServiceSettings().metrics_port
    if port:
        import redis

        from sync.metrics import serve
        from sync.state import Store

        serve(Store(redis.Redis.from_url(app.conf.broker_url)), port)


@setup_logging.connect
def _logging(**_: object) -> None:
    """Celery keeps our log format (JSON with LOG_JSON=1 or in a container)."""
    from sync.observe import setup_logging as configure

    configure(ServiceSettings().log_level.upper())
