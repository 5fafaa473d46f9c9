"""A beat scheduler that only sends while it holds a Redis lock, so two beats (a second one
started by mistake, a rolling deploy) never double-schedule. The holder renews the lock on
every tick; a beat that dies loses it after ``BEAT_LOCK_SECONDS`` and another takes over."""

from __future__ import annotations

import logging
import os
import secrets
from typing import Any

import redis
from celery.beat import PersistentScheduler

from sync.keys import Keys

log = logging.getLogger("escalation_sync.beat")
LOCK_KEY = Keys().lock("beat")


class BeatLock:
    def __init__(self, client: redis.Redis, key: str = LOCK_KEY, seconds: float = 30.0):
        self.client, self.key, self.ms = client, key, int(seconds * 1000)
        self.token = secrets.token_hex(8).encode()

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


class LockedScheduler(PersistentScheduler):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        seconds = float(os.environ.get("BEAT_LOCK_SECONDS", "30"))
        self.lock = BeatLock(redis.Redis.from_url(self.app.conf.broker_url), seconds=seconds)
        self._held = False

    def tick(self, *args: Any, **kwargs: Any) -> float:
        held = self.lock.hold()
        if held != self._held:
            log.info("beat lock %s", "taken: this beat schedules" if held else "held elsewhere: standing by")
            self._held = held
        if not held:
            return 5.0
        return float(min(super().tick(*args, **kwargs), self.lock.ms / 3000))
