"""Thin Celery tasks: each takes ids (or nothing) and calls ``sync``; one decorator fixes the
name, the retry policy (transient errors only, exponential backoff with jitter, at most 5),
the time limits and late acknowledgement (sentry's ``tasks/base.py`` pattern)."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

import redis
from celery import Task

from connectors.errors import FatalError, RetriableError
from connectors.notify import NotifyEvent
from sync.app import app
from sync.liveness import read_alive
from sync.lock import LockHeld, RedisLock
from sync.runtime import Runtime
from sync.settings import ServiceSettings, Settings

log = logging.getLogger("escalation_sync.tasks")
# renewed every third of it while the task runs; a dead worker's lock frees within this (i16)
LOCK_SECONDS = ServiceSettings().cycle_lock_seconds
WATCH_OVERDUE_MIN = 60.0  # seconds without an SLA watch before a poll sends one ahead of the batches
_runtime: Runtime | None = None


def runtime() -> Runtime:
    """One runtime per worker process (clients and their caches live as long as the process)."""
    global _runtime
    if _runtime is None:
        _runtime = Runtime(Settings())  # type: ignore[call-arg]
    return _runtime


def countdown(exc: BaseException, retries: int) -> float:
    """When to retry: the service's ``Retry-After`` when it gave one, else exponential backoff
    (2, 4, 8 ... s, at most 300) with jitter."""
    after = getattr(exc, "retry_after", None)
    if after:
        return float(after)
    return min(2.0 ** (retries + 1), 300.0) * random.uniform(0.5, 1.0)


def escalation_task(name: str, lock: str | None = "cycle",
                    after: Callable[[Runtime, float], None] | None = None) -> Callable[[Callable[..., Any]], Task]:
    """Declare a task: retried on :class:`RetriableError` and Redis outages only (the one retry
    policy above the limiter's 429 pauses), under a named Redis lock.

    A task that finds its lock held returns ``"busy"``: another worker is doing the same work,
    and the next beat will come. A :class:`FatalError` is logged, recorded for ``status`` and
    raised: the task fails (it needs a person; the message says what to change). ``after`` is
    called with the seconds the task took once it has run and its lock is free.
    """
    def wrap(fn: Callable[..., Any]) -> Task:
        @app.task(name=f"escalation_sync.{name}", bind=True, acks_late=True, max_retries=5)
        @wraps(fn)
        def task(self: Task, *args: Any, **kwargs: Any) -> Any:
            rt = runtime()
            started = time.monotonic()
            try:
                if lock is None:
                    result = fn(rt, *args, **kwargs)
                else:
                    with RedisLock(rt.redis, rt.store.k.lock(lock), timeout=LOCK_SECONDS):
                        result = fn(rt, *args, **kwargs)
            except LockHeld:
                return "busy"
            except FatalError as exc:
                log.error("%s needs attention: %s", name, exc)
                rt.store.record_cycle(name, {"error": str(exc)})
                raise
            except (RetriableError, redis.ConnectionError, redis.TimeoutError) as exc:
                raise self.retry(exc=exc, countdown=countdown(exc, self.request.retries)) from exc
            if after is not None:
                try:  # the task's work is done and committed: what it sends next must not fail it
                    after(rt, time.monotonic() - started)
                except Exception as exc:  # noqa: BLE001 - the beat's next run covers it
                    log.warning("%s: follow-up not sent (%s)", name, type(exc).__name__)
            return result
        return task
    return wrap


def _budget(rt: Runtime) -> float:
    """How long a poll or watch task writes before handing the rest to flush tasks: so the next
    poll is never delayed beyond one interval by a long flush."""
    s = rt.settings
    return s.poll_flush_seconds if s.poll_flush_seconds is not None else s.poll_interval_seconds / 2


def send_batches(rt: Runtime, batches: list[list[str]]) -> int:
    """Hand batches of escalations (in priority order) to flush tasks; any worker takes them,
    and each claims its escalations. An escalation a flush is writing now (claimed) or a sent
    batch still holds (``{ns}:queued:{ext}``, until that batch starts or expires) is left
    out: every poll, watch and flush fans the outbox out, and without this each re-sent the
    whole of a burst's outbox behind the batches already waiting. Returns the batches sent."""
    expires = max(rt.settings.flush_interval_seconds * 4, 60)
    sent = 0
    for batch in batches:
        fresh = _mark_queued(rt, batch, expires)
        if fresh:
            flush_batch.apply_async(args=[fresh], expires=expires)
            sent += 1
    return sent


def _queued(rt: Runtime, ext: str) -> str:
    return f"{rt.store.k.ns}:queued:{ext}"


def _mark_queued(rt: Runtime, ids: list[str], expires: float) -> list[str]:
    """The ``ids`` no flush holds or waits with, each now marked as waiting in a batch."""
    if not ids:
        return []
    claims = rt.redis.pipeline(transaction=False)
    for ext in ids:
        claims.exists(rt.store.k.claim(ext))
    free = [ext for ext, held in zip(ids, claims.execute(), strict=True) if not held]
    marks = rt.redis.pipeline(transaction=False)
    for ext in free:
        marks.set(_queued(rt, ext), "1", nx=True, ex=int(expires) + 1)
    return [ext for ext, fresh in zip(free, marks.execute(), strict=True) if fresh]


def fan_out(rt: Runtime, ids: list[str] | None = None) -> int:
    """Send the outbox (or ``ids``) to flush tasks, one per ``FLUSH_BATCH`` escalations."""
    order = rt.writer.pending(ids)
    size = rt.settings.flush_batch
    return send_batches(rt, [order[n:n + size] for n in range(0, len(order), size)])


def after_poll(rt: Runtime, took: float) -> None:
    """What a poll sends once its lock is free.

    - A poll longer than the interval (a burst's first read and decision) is followed at once by
      the next: the beat's polls meanwhile found it busy, and the tickets that came in while it ran
      would otherwise wait for the next beat and a free slot. The follow-up reads only what is new,
      so it is short and does not chain again.
    - An overdue SLA watch (:func:`watch_overdue`) is sent at the poll's own priority, ahead of
      the queued batches.
    """
    interval = rt.settings.poll_interval_seconds
    if took > interval:
        log.info("poll took %.1f s (interval %.0f s): polling again now", took, interval)
        poll.apply_async(expires=interval, ignore_result=True)
    if watch_overdue(rt):
        log.info("the SLA watch has not run for over %.0f s: sending one ahead of the write batches",
                 max(2 * rt.settings.sla_watch_interval_seconds, WATCH_OVERDUE_MIN))
        watch.apply_async(priority=0, expires=rt.settings.sla_watch_interval_seconds, ignore_result=True)


def watch_overdue(rt: Runtime) -> bool:
    """Whether no SLA watch has succeeded for two of its intervals (and :data:`WATCH_OVERDUE_MIN`)
    and none is running: with one worker slot during a burst and 5 s intervals, the beat's watches
    (sent behind the poll, at the batches' priority) expired in the queue while the slot took a
    poll, a batch, a poll... (172 s without a watch at 250 ms a call). At most one is sent per that
    time (``{ns}:watch:sent``): a watch in the middle of a burst costs the burst's writes its slot
    (every 10 s, it made the same 10k burst 19 s slower at 100 ms). Before the first watch ever,
    the time is counted from the first poll that found none (``{ns}:watch:awaited``)."""
    hold = max(2 * rt.settings.sla_watch_interval_seconds, WATCH_OVERDUE_MIN)
    ns, now = rt.store.k.ns, time.time()
    last = read_alive(rt.redis, rt.store.k).get("watch")
    if last is None:
        rt.redis.set(f"{ns}:watch:awaited", f"{now:.3f}", nx=True, ex=int(hold) * 10 + 60)
        last = float(rt.redis.get(f"{ns}:watch:awaited") or now)
    if now - last <= hold or rt.redis.exists(rt.store.k.lock("watch")):
        return False
    return bool(rt.redis.set(f"{ns}:watch:sent", "1", nx=True, ex=max(int(hold), 1)))


@escalation_task("poll", after=after_poll)
def poll(rt: Runtime) -> dict[str, Any]:
    """One cycle: poll, decide and commit; write the severest batch of what it decided here (for
    at most half an interval) and hand the other batches, and whatever earlier cycles left in
    the outbox, to flush tasks on any worker at once."""
    summary, written = rt.cycle(flush_seconds=_budget(rt), hand_off=lambda b: send_batches(rt, b))
    if written.left:  # the busy ones are being written by the worker that holds them
        fan_out(rt, written.left)
    fan_out(rt)  # what earlier cycles left (failed, crashed, a burst's details), unless queued or held
    return {"opened": summary.opened, "updated": summary.updated, "events": summary.events,
            "written": written.written, "deferred": len(written.deferred), "handed_on": len(written.handed)}


def poll_starved(rt: Runtime) -> bool:
    """Whether this watch should give way to a poll: none is running and the last one finished
    over two poll intervals ago (one worker slot, a watch slower than the interval: the beat's
    watches kept running while its polls expired in the queue). At most every other watch gives
    way (``{ns}:watch:yielded``), so the watch is never starved in turn."""
    s = rt.settings
    finished = (rt.store.last_cycles().get("poll") or {}).get("finished")
    if not finished or rt.redis.exists(rt.store.k.lock("cycle")):
        return False
    if (rt.clock() - datetime.fromisoformat(finished)).total_seconds() < 2 * s.poll_interval_seconds:
        return False
    hold = max(int(2 * s.sla_watch_interval_seconds) + 1, 2)
    return bool(rt.redis.set(f"{rt.store.k.ns}:watch:yielded", "1", nx=True, ex=hold))


@escalation_task("watch", lock="watch")
def watch(rt: Runtime) -> dict[str, Any]:
    """The lifecycle: acknowledgements, updates, epic status, SLA breaches; then write. Gives
    way once to a starved poll (:func:`poll_starved`): the next watch runs."""
    if poll_starved(rt):
        return {"yielded": "a poll is overdue"}
    summary, written = rt.watch(flush_seconds=_budget(rt), hand_off=lambda b: send_batches(rt, b))
    if written.left:  # the busy ones are being written by the worker that holds them
        fan_out(rt, written.left)
    return {"activity": summary.activity, "decisions": len(summary.decisions), "breaches": summary.breaches,
            "written": written.written}


@escalation_task("learn", lock="learn")
def learn(rt: Runtime) -> dict[str, Any]:
    """The learning loop: one action item per systemic root cause per quarter."""
    return {"opened": [key for _, key in rt.learn()]}


@escalation_task("notify", lock=None)
def notify(rt: Runtime, escalation_id: str, kind: str, reasons: list[str], roles: list[str],
           key: str) -> dict[str, Any]:
    """Send one notification (ids and strings in; the webhook URLs never enter a message).
    The write path sends its Notify intents itself; this task serves manual sends."""
    esc = rt.store.escalations([escalation_id]).get(escalation_id)
    if esc is None:
        return {"sent": 0}
    epic = rt.store.index(escalation_id).get("epic")
    outcome = rt.notifier.send(NotifyEvent(kind, esc, reasons=tuple(reasons), roles=tuple(roles),  # type: ignore[arg-type]
                                           epic_key=epic, key=key))
    return {"sent": outcome.sent, "failed": len(outcome.failed)}


@escalation_task("flush", lock=None)
def flush(rt: Runtime) -> dict[str, Any]:
    """The beat's flush: write what earlier cycles decided but could not write yet (deferred,
    failed, crashed). One batch is written here; a longer outbox is fanned out to flush tasks."""
    pending = rt.writer.pending()
    if len(pending) > rt.settings.flush_batch:
        return {"written": 0, "deferred": 0, "handed_on": fan_out(rt, pending)}
    written = rt.writer.flush(pending, deadline=time.monotonic() + _budget(rt))
    if written.left:
        fan_out(rt, written.left)
    return {"written": written.written, "deferred": len(written.deferred), "busy": len(written.busy)}


@escalation_task("flush_batch", lock=None)
def flush_batch(rt: Runtime, ids: list[str]) -> dict[str, Any]:
    """Write these escalations (each claimed; ones another worker holds are skipped), for at most
    half a poll interval: what is left goes to a new flush task, so a worker is never held long
    by one batch (a poll or watch queued behind it waits at most that long)."""
    if ids:  # this batch runs now: a later fan-out may send them again
        rt.redis.delete(*(_queued(rt, ext) for ext in ids))
    written = rt.writer.flush(ids, deadline=time.monotonic() + _budget(rt))
    # again: what the deadline left, and what a poll or watch decided anew while this batch wrote
    # the older version (they found it claimed; the outbox keeps the newer decision)
    waiting = set(written.deferred) | set(written.busy)
    again = [x for x in rt.writer.pending(ids) if x not in waiting]
    if again:
        fan_out(rt, again)
    return {"written": written.written, "deferred": len(written.deferred), "busy": len(written.busy),
            "handed_on": len(again)}
