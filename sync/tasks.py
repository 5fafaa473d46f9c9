"""Thin Celery tasks: each takes ids (or nothing) and calls ``sync``; one decorator fixes the
name, the retry policy (transient errors only, exponential backoff with jitter, at most 5),
the time limits and late acknowledgement (sentry's ``tasks/base.py`` pattern)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from functools import wraps
from typing import Any

import redis
from celery import Task

from connectors.errors import FatalError, RetriableError
from connectors.notify import NotifyEvent
from sync.app import app
from sync.lock import LockHeld, RedisLock
from sync.runtime import Runtime
from sync.settings import Settings

log = logging.getLogger("escalation_sync.tasks")
# renewed every third of it while the task runs; a dead worker's lock frees within this (i16)
LOCK_SECONDS = float(os.environ.get("CYCLE_LOCK_SECONDS", "20"))
_runtime: Runtime | None = None


def runtime() -> Runtime:
    """One runtime per worker process (clients and their caches live as long as the process)."""
    global _runtime
    if _runtime is None:
        _runtime = Runtime(Settings())  # type: ignore[call-arg]
    return _runtime


def escalation_task(name: str, lock: str | None = "cycle") -> Callable[[Callable[..., Any]], Task]:
    """Declare a task: retried on :class:`RetriableError` only, under a named Redis lock.

    A task that finds its lock held returns ``"busy"``: another worker is doing the same work,
    and the next beat will come. A :class:`FatalError` is logged and recorded, not retried: it
    needs a person (the message says what to change).
    """
    def wrap(fn: Callable[..., Any]) -> Task:
        @app.task(name=f"escalation_sync.{name}", bind=True, acks_late=True, max_retries=5,
                  autoretry_for=(RetriableError, redis.ConnectionError, redis.TimeoutError),
                  retry_backoff=2, retry_backoff_max=300,
                  retry_jitter=True)
        @wraps(fn)
        def task(self: Task, *args: Any, **kwargs: Any) -> Any:
            rt = runtime()
            try:
                if lock is None:
                    return fn(rt, *args, **kwargs)
                with RedisLock(rt.redis, rt.store.k.lock(lock), timeout=LOCK_SECONDS):
                    return fn(rt, *args, **kwargs)
            except LockHeld:
                return "busy"
            except FatalError as exc:
                log.error("%s needs attention: %s", name, exc)
                rt.store.record_cycle(name, {"error": str(exc)})
                return {"error": str(exc)}
        return task
    return wrap


def _enqueue(event: NotifyEvent) -> None:
    """Notifications go out from their own task: a slow webhook never holds up a cycle."""
    notify.delay(event.escalation.id, event.kind, list(event.reasons), list(event.roles), event.key)


@escalation_task("poll")
def poll(rt: Runtime) -> dict[str, Any]:
    """One cycle: poll and decide, then write."""
    summary, written = rt.cycle(notify=_enqueue)
    return {"opened": summary.opened, "updated": summary.updated, "events": summary.events,
            "written": written.written, "deferred": len(written.deferred)}


@escalation_task("watch")
def watch(rt: Runtime) -> dict[str, Any]:
    """The lifecycle: acknowledgements, updates, epic status, SLA breaches; then write."""
    summary, written = rt.watch(notify=_enqueue)
    return {"activity": summary.activity, "decisions": len(summary.decisions), "breaches": summary.breaches,
            "written": written.written}


@escalation_task("learn")
def learn(rt: Runtime) -> dict[str, Any]:
    """The learning loop: one action item per systemic root cause per quarter."""
    return {"opened": [key for _, key in rt.learn()]}


@escalation_task("notify", lock=None)
def notify(rt: Runtime, escalation_id: str, kind: str, reasons: list[str], roles: list[str],
           key: str) -> dict[str, Any]:
    """Send one notification (ids and strings in; the webhook URLs never enter a message)."""
    esc = rt.store.escalations([escalation_id]).get(escalation_id)
    if esc is None:
        return {"sent": 0}
    epic = rt.store.index(escalation_id).get("epic")
    outcome = rt.notifier.send(NotifyEvent(kind, esc, reasons=tuple(reasons), roles=tuple(roles),  # type: ignore[arg-type]
                                           epic_key=epic, key=key))
    return {"sent": outcome.sent, "failed": len(outcome.failed)}


@escalation_task("flush")
def flush(rt: Runtime) -> dict[str, Any]:
    """Write what earlier cycles decided but could not write yet (deferred, failed, crashed)."""
    written = rt.writer.flush()
    return {"written": written.written, "deferred": len(written.deferred)}
