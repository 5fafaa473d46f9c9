"""A beat scheduler that only sends while it holds a Redis lock, so two beats (a second one
started by mistake, a rolling deploy) never double-schedule. The holder renews the lock on
every tick; a beat that dies loses it after ``BEAT_LOCK_SECONDS`` (10 s) and another takes over; a beat
that stops cleanly (SIGTERM) gives it up at once, so its successor schedules on its first tick.

A Redis outage never stops the beat: a tick that cannot reach Redis logs once, stands by and
tries again with a capped back-off (``BEAT_RETRY_MAX_SECONDS``), so scheduling resumes within
seconds of Redis coming back instead of the beat thread dying and the service going silent.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

import redis
from celery.beat import PersistentScheduler

from sync.keys import Keys
from sync.liveness import ALIVE_BEAT, mark_alive
from sync.settings import ServiceSettings
from sync.supervise import holder_token

log = logging.getLogger("escalation_sync.beat")
LOCK_KEY = Keys().lock("beat")
DUE_NOW_MAX_SECONDS = 600  # entries at most this frequent run at once when the lock is taken (not learn)


class BeatLock:
    def __init__(self, client: redis.Redis, key: str = LOCK_KEY, seconds: float = 10.0):
        self.client, self.key, self.ms = client, key, int(seconds * 1000)
        self.token = holder_token().encode()

    def hold(self) -> bool:
        """Take the lock, or renew it if ours; False while another beat holds it."""
        if self.client.set(self.key, self.token, nx=True, px=self.ms):
            return True

        def renew(pipe: redis.client.Pipeline) -> None:
            if pipe.get(self.key) == self.token:
                pipe.multi()
                pipe.pexpire(self.key, self.ms)

        self.client.transaction(renew, self.key)
        return bool(self.client.get(self.key) == self.token)

    def release(self) -> bool:
        """Give the lock up if it is still ours (a clean stop); True if it was."""
        released = False

        def drop(pipe: redis.client.Pipeline) -> None:
            nonlocal released
            if pipe.get(self.key) == self.token:
                pipe.multi()
                pipe.delete(self.key)
                released = True

        self.client.transaction(drop, self.key)
        return released


class Backoff:
    """Doubling waits from ``first`` up to ``cap`` seconds; ``reset()`` after a success."""

    def __init__(self, first: float = 0.5, cap: float = 5.0):
        self.first, self.cap, self.next = first, cap, first

    def wait(self) -> float:
        out, self.next = self.next, min(self.next * 2, self.cap)
        return out

    def reset(self) -> None:
        self.next = self.first


class LockedScheduler(PersistentScheduler):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        conf = ServiceSettings()
        seconds = conf.beat_lock_seconds
        client = redis.Redis.from_url(self.app.conf.broker_url, socket_timeout=5, socket_connect_timeout=5)
        self.lock = BeatLock(client, seconds=seconds)
        self.backoff = Backoff(cap=conf.beat_retry_max_seconds)
        self._held = False
        self._down_since: float | None = None

    def tick(self, *args: Any, **kwargs: Any) -> float:
        try:
            held = self.lock.hold()
            mark_alive(self.lock.client, ALIVE_BEAT)
        except redis.RedisError as exc:
            return self._redis_down(exc)
        if self._down_since is not None:
            log.warning("beat: Redis is back after %.1f s; scheduling resumes", time.monotonic() - self._down_since)
            self._down_since = None
            self.backoff.reset()
        if held != self._held:
            log.info("beat lock %s", "taken: this beat schedules" if held else "held elsewhere: standing by")
            self._held = held
            if held:
                self._due_now()
        if not held:
            return 5.0
        return float(min(super().tick(*args, **kwargs), self.lock.ms / 3000))

    def _due_now(self) -> None:
        """A beat that takes the lock (a start, a restart, a take-over) runs the frequent tasks at
        once instead of one interval later: a crash loop faster than the poll interval still polls."""
        past = self.app.now() - timedelta(days=1)
        for entry in self.schedule.values():
            every = getattr(entry.schedule, "run_every", None)
            if every is not None and every.total_seconds() <= DUE_NOW_MAX_SECONDS:
                entry.last_run_at = past
        self._heap = None

    def _redis_down(self, exc: redis.RedisError) -> float:
        """Stand by while Redis is unreachable: log the outage once, retry soon, never raise."""
        if self._down_since is None:
            self._down_since = time.monotonic()
            log.warning("beat: Redis unreachable (%s: %s); standing by and retrying", type(exc).__name__, exc)
        self._held = False
        return self.backoff.wait()

    def close(self) -> None:
        """A clean stop gives the lock up, so another beat (or this one restarted) takes over at once."""
        try:
            if self.lock.release():
                log.info("beat lock released")
        except redis.RedisError as exc:  # the lock expires on its own
            log.warning("beat: could not release the lock (%s); it expires in %d s", exc, self.lock.ms // 1000)
        super().close()
