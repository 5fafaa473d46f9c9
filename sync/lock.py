"""A Redis lock as a small named class (after weblate's ``utils/lock.py``).

The token makes release safe: a worker whose lock timed out and was taken by another never
releases the other's lock.
"""

from __future__ import annotations

import contextlib
import threading
from types import TracebackType

import redis

from sync.supervise import holder_token

_LIVE: set[str] = set()  # tokens this process's lock objects hold right now


class LockHeld(Exception):
    """Another worker holds the lock; try again later."""


class RedisLock:
    """Held while the work runs: a short TTL renewed by a background thread, so a worker that
    dies (SIGKILL, OOM) frees the lock within ``timeout`` seconds instead of a task's time limit."""

    def __init__(self, client: redis.Redis, key: str, timeout: float = 60.0, renew: bool = True):
        self.client, self.key, self.timeout = client, key, timeout
        self.token = holder_token()  # names its holder: a restarted service clears its dead processes' locks
        self.renew = renew
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self) -> bool:
        taken = bool(self.client.set(self.key, self.token, nx=True, px=int(self.timeout * 1000)))
        if not taken:
            taken = self._take_orphan()
        if taken:
            _LIVE.add(self.token)
        if taken and self.renew:
            self._stop.clear()
            self._thread = threading.Thread(target=self._keep, name=f"lock-{self.key}", daemon=True)
            self._thread.start()
        return taken

    def _take_orphan(self) -> bool:
        """Take over a lock this very process left behind (i16): its release failed because Redis
        was down, and no lock object of this process holds it now. Without this, the process's
        next task would find it "busy" until the lock expired."""
        def take(pipe: redis.client.Pipeline) -> None:
            nonlocal taken
            raw = pipe.get(self.key)
            value = raw.decode(errors="replace") if raw else ""
            if value and value not in _LIVE and value.rsplit(":", 1)[0] == self.token.rsplit(":", 1)[0]:
                pipe.multi()
                pipe.set(self.key, self.token, px=int(self.timeout * 1000))
                taken = True

        taken = False
        self.client.transaction(take, self.key)
        return taken

    def _keep(self) -> None:
        while not self._stop.wait(self.timeout / 3):
            def extend(pipe: redis.client.Pipeline) -> None:
                if pipe.get(self.key) == self.token.encode():
                    pipe.multi()
                    pipe.pexpire(self.key, int(self.timeout * 1000))

            with contextlib.suppress(redis.RedisError):  # the next renewal tries again
                self.client.transaction(extend, self.key)

    def release(self) -> None:
        """Delete the key only if it still holds our token (WATCH/MULTI: no Lua needed)."""
        self._stop.set()
        _LIVE.discard(self.token)
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        def drop(pipe: redis.client.Pipeline) -> None:
            if pipe.get(self.key) == self.token.encode():
                pipe.multi()
                pipe.delete(self.key)

        self.client.transaction(drop, self.key)

    def __enter__(self) -> RedisLock:
        if not self.acquire():
            raise LockHeld(f"{self.key} is held by another worker")
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()
