"""The cycle lock: kept while its holder works, freed soon after its holder dies."""

from __future__ import annotations

import time

from sync.lock import RedisLock


def test_a_working_holder_keeps_the_lock_past_its_ttl(redis_server, redis_url):
    lock = RedisLock(redis_server.client, "esc:lock:test", timeout=0.6)
    assert lock.acquire()
    time.sleep(1.5)  # two and a half TTLs
    assert not RedisLock(redis_server.client, "esc:lock:test", timeout=0.6).acquire()
    lock.release()
    assert RedisLock(redis_server.client, "esc:lock:test", timeout=0.6, renew=False).acquire()


def test_a_dead_holders_lock_frees_within_its_ttl(redis_server, redis_url):
    dead = RedisLock(redis_server.client, "esc:lock:test2", timeout=0.5, renew=False)  # no one renews it
    assert dead.acquire()
    other = RedisLock(redis_server.client, "esc:lock:test2", timeout=0.5, renew=False)
    assert not other.acquire()
    time.sleep(0.7)
    assert other.acquire()
