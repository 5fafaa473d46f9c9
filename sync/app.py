"""The Celery app. ``celery -A sync.app worker`` and ``celery -A sync.app beat`` run it."""

from __future__ import annotations

from celery import Celery

app = Celery("escalation_sync")
app.config_from_object("celeryconfig")
app.autodiscover_tasks(["sync"], related_name="tasks", force=True)
