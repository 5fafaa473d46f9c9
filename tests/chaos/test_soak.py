"""Redis does not grow with time (slow: ``-m slow``; ``SOAK_MINUTES``, default 5).

The service runs against the sandbox with fast intervals (poll 5 s, flush 3 s, watch 5 s, so a
minute here is 12 production poll cycles), a new ticket now and then; the key count is sampled.
What must live grows only with the work (one index entry, one escalation, a few intents per new
escalation, which expire); the rest is bounded: no task results, locks and intents expire,
unmatched tickets and done escalations' activity marks are pruned (sync.housekeeping).
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter

import pytest
import redis

from tests.chaos.support import Service, service_env, stamp, wait_until

pytestmark = pytest.mark.slow


def test_the_key_count_stays_flat_over_a_soak(sandbox, durable):
    minutes = float(os.environ.get("SOAK_MINUTES", "5"))
    client = redis.Redis.from_url(durable.url, socket_timeout=2)
    service = Service(service_env(sandbox.env(), durable.url, HOUSEKEEPING_INTERVAL_SECONDS="30"), name="soak")
    service.start()
    counts: list[tuple[float, int]] = []
    try:
        wait_until(lambda: stamp(client, "poll") > 0, 60, "a first poll", on_fail=service.output)
        started = time.monotonic()
        while time.monotonic() - started < minutes * 60:
            counts.append((round(time.monotonic() - started), client.dbsize()))
            time.sleep(10)
    finally:
        service.kill(signal.SIGTERM)
    kinds = Counter(":".join(k.decode().split(":")[:2]) for k in client.scan_iter(count=500))
    print("soak: (seconds, keys):", counts, "by prefix:", dict(kinds.most_common(12)))
    third = max(1, len(counts) // 3)
    early, late = [n for _, n in counts[:third]], [n for _, n in counts[-third:]]
    assert max(late) <= max(early) + 3, counts
    assert client.keys("celery-task-meta-*") == []
