"""Celery configuration: Redis broker, reliability settings, and the one beat table.

Read by ``sync.app``. Every value comes from :class:`sync.settings.ServiceSettings` (the same
settings, environment and ``.env`` file as the rest of the connector); the beat table is built
here, once, with an ``expires`` on every entry so a backlog never piles up duplicate runs
(paperless-ngx's pattern). The beat's schedule file lives in ``STATE_DIR``, never in whatever
directory the service was started from.
"""

from __future__ import annotations

from kombu import Queue

from sync.keys import BATCH_QUEUE, CONTROL_QUEUE, LATER, QUEUES
from sync.settings import ServiceSettings

_s = ServiceSettings()

broker_url = _s.redis_url
result_backend = broker_url
# Results are stored only for tasks someone waits on (sync-once, the tests): the beat's tasks and
# the notifications are sent with ignore_result (below), and what is stored expires in 10 minutes.
result_expires = 600
task_annotations = {"escalation_sync.notify": {"ignore_result": True}}

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
broker_connection_retry_on_startup = True

task_time_limit = _s.task_time_limit_seconds
task_soft_time_limit = task_time_limit - min(60, task_time_limit // 5)  # never <= 0 for a short limit
# A task whose worker died unacknowledged is redelivered once the visibility timeout passes: one
# minute past the longest a task may run (the hard time limit), so never while it still runs and
# within minutes (16 by default), not an hour, after a crash.
#
# Two queues, every worker consuming both (no -Q needed: a worker consumes every queue of
# task_queues): the beat's tasks (poll, watch, flush, learn, housekeeping) and manual sends in
# CONTROL_QUEUE, the write batches a long flush fans out in BATCH_QUEUE. The transport takes the
# two in turn ("round_robin": after a task of one queue it asks the other first), so a poll
# waits for at most one running batch per worker slot (about half a poll interval), never for
# every queued batch (on one FIFO queue the beat's polls expired behind a 10k burst's batches),
# and the batches are not starved in turn by post-burst watches that run longer than their
# interval (a strict control-first order left one worker writing one batch every ~15 s).
broker_transport_options = {"visibility_timeout": task_time_limit + 60, "queue_order_strategy": "round_robin"}
task_default_queue = CONTROL_QUEUE
task_queues = tuple(Queue(name, routing_key=name) for name in QUEUES)
# And the poll above both: every other task is sent at priority LATER (the Redis transport keeps
# one list per priority step and asks for step 0 of both queues first), so a free worker slot
# always takes a waiting poll first. With one worker, round robin alone let the beat's flush and
# watch take the control queue's turns while its polls expired behind them.
task_routes = {
    "escalation_sync.flush_batch": {"queue": BATCH_QUEUE, "routing_key": BATCH_QUEUE, "priority": LATER},
    **{f"escalation_sync.{name}": {"priority": LATER} for name in ("watch", "flush", "learn", "housekeeping")},
}
worker_hijack_root_logger = False
timezone = "UTC"
enable_utc = True

POLL = _s.poll_interval_seconds
FLUSH = _s.flush_interval_seconds
WATCH = _s.sla_watch_interval_seconds

# Only the beat holding a Redis lock sends (sync.beat): two beats never double-schedule.
beat_scheduler = "sync.beat:LockedScheduler"
try:
    _s.state_dir.mkdir(parents=True, exist_ok=True)
    beat_schedule_filename = str(_s.state_dir / "celerybeat-schedule")
except OSError:  # a read-only home (some containers): the system's temporary directory
    import tempfile

    beat_schedule_filename = str(__import__("pathlib").Path(tempfile.gettempdir()) / "escalation-sync-beat")

# Housekeeping (sync.housekeeping): prunes what sync/keys.py says is pruned.
include = ["sync.housekeeping"]
HOUSEKEEPING = _s.housekeeping_interval_seconds

# Nobody reads a beat task's result (its summary is logged and recorded in {ns}:cycle): not stored.
beat_schedule = {
    "poll": {"task": "escalation_sync.poll", "schedule": POLL, "options": {"expires": POLL, "ignore_result": True}},
    "flush": {"task": "escalation_sync.flush", "schedule": FLUSH,
              "options": {"expires": FLUSH, "ignore_result": True}},
    "watch": {"task": "escalation_sync.watch", "schedule": WATCH,
              "options": {"expires": WATCH, "ignore_result": True}},
    "learn": {"task": "escalation_sync.learn", "schedule": 3600.0, "options": {"expires": 3600, "ignore_result": True}},
    "housekeeping": {"task": "escalation_sync.housekeeping", "schedule": HOUSEKEEPING,
                     "options": {"expires": HOUSEKEEPING, "ignore_result": True}},
}
