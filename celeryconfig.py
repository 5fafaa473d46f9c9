"""Celery configuration: Redis broker, reliability settings, and the one beat table.

Read by ``sync.app``. Every value comes from the environment (the same settings as the rest of
the connector); the beat table is built here, once, with an ``expires`` on every entry so a
backlog never piles up duplicate runs (paperless-ngx's pattern).
"""

from __future__ import annotations

import os

broker_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
result_backend = broker_url
result_expires = 3600

# JSON only: a task message can never carry a pickled object, and task arguments are ids.
task_serializer = "json"
result_serializer = "json"
accept_content = ["json"]
event_serializer = "json"

# At-least-once delivery: a task is acknowledged after it ran, re-queued if its worker dies,
# and workers take one task at a time. Every task is idempotent, so a redelivery is harmless.
task_acks_late = True
task_reject_on_worker_lost = True
worker_prefetch_multiplier = 1
broker_transport_options = {"visibility_timeout": 3600}
broker_connection_retry_on_startup = True

task_time_limit = int(os.environ.get("TASK_TIME_LIMIT_SECONDS", "900"))
task_soft_time_limit = task_time_limit - 60
task_default_queue = "escalation-sync"
worker_hijack_root_logger = False
timezone = "UTC"
enable_utc = True


def _seconds(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


POLL = _seconds("POLL_INTERVAL_SECONDS", 60)
FLUSH = _seconds("FLUSH_INTERVAL_SECONDS", 30)
WATCH = _seconds("SLA_WATCH_INTERVAL_SECONDS", 60)

# Only the beat holding a Redis lock sends (sync.beat): two beats never double-schedule.
beat_scheduler = "sync.beat:LockedScheduler"

beat_schedule = {
    "poll": {"task": "escalation_sync.poll", "schedule": POLL, "options": {"expires": POLL}},
    "flush": {"task": "escalation_sync.flush", "schedule": FLUSH, "options": {"expires": FLUSH}},
    "watch": {"task": "escalation_sync.watch", "schedule": WATCH, "options": {"expires": WATCH}},
    "learn": {"task": "escalation_sync.learn", "schedule": 3600.0, "options": {"expires": 3600}},
}
