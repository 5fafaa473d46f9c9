"""A Redis lock as a small named class (after weblate's ``utils/lock.py``).

The token makes release safe: a worker whose lock timed out and was taken by another never
releases the other's lock.
"""

from __future__ import annotations

import secrets
from types import TracebackType

import redis


class LockHeld(Exception):
    """Another worker holds the lock; try again later."""


class RedisLock:
    def __init__(self, client: redis.Redis, key: str, timeout: float = 300.0):
        self.client, self.key, self.timeout = client, key, timeout
        self.token = secrets.token_hex(16)

    def acquire(self) -> bool:
        return bool(self.client.set(self.key, self.token, nx=True, px=int(self.timeout * 1000)))

    def release(self) -> None:
        """Delete the key only if it still holds our token (WATCH/MULTI: no Lua needed)."""
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
