"""Two beats never double-schedule: only the lock holder sends; a dead holder is replaced."""

from __future__ import annotations

import time

from sync.beat import BeatLock


def test_only_one_beat_holds_the_lock_and_renews_it(redis_server, redis_url):
    a = BeatLock(redis_server.client, seconds=1)
    b = BeatLock(redis_server.client, seconds=1)
    assert a.hold() and not b.hold()
    time.sleep(0.6)
    assert a.hold() and not b.hold()  # renewed: still a's after more than half its life
    time.sleep(0.6)
    assert not b.hold()


def test_a_dead_beats_lock_passes_to_the_other(redis_server, redis_url):
    a = BeatLock(redis_server.client, seconds=0.5)
    b = BeatLock(redis_server.client, seconds=0.5)
    assert a.hold() and not b.hold()
    time.sleep(0.7)  # a stopped renewing
    assert b.hold() and not a.hold()
