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
        if taken and self.renew:
            self._stop.clear()
            self._thread = threading.Thread(target=self._keep, name=f"lock-{self.key}", daemon=True)
            self._thread.start()
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
