"""What sync/keys.py says is pruned is pruned; what must live stays."""

from __future__ import annotations

import time

import redis

from sync.housekeeping import housekeep
from sync.state import Store


def test_old_unmatched_tickets_and_the_marks_of_done_escalations_go(redis_server, redis_url):
    store = Store(redis.Redis.from_url(redis_url))
    now = time.time()
    store.r.zadd(store.k.unmatched, {"SUP-1": now - 31 * 86400, "SUP-2": now - 86400})
    store.index_put("ESC-open", {"epic": "ESC-1", "steps": {"intake": {"key": "ESC-2"}}})
    store.index_put("ESC-done", {"epic": "ESC-3"})
    store.index_put("ESC-recovering", {"epic": "ESC-4"})
    store.r.sadd(store.k.open, "ESC-open")
    store.r.sadd(store.k.recovering, "ESC-recovering")
    store.save_activity_marks({"ESC-1:status": "To Do", "ESC-1:comment:10": "1", "ESC-2:status": "Done",
                               "ESC-3:status": "Done", "ESC-3:comment:11": "1", "ESC-4:status": "Done"})
    assert housekeep(store, now) == {"unmatched": 1, "activity": 2}
    assert [m.decode() for m in store.r.zrange(store.k.unmatched, 0, -1)] == ["SUP-2"]
    assert set(store.activity_marks()) == {"ESC-1:status", "ESC-1:comment:10", "ESC-2:status", "ESC-4:status"}
    assert store.index("ESC-done") == {"epic": "ESC-3"}  # the index lives
    assert housekeep(store, now) == {"unmatched": 0, "activity": 0}
