"""Housekeeping: prune what ``sync/keys.py`` says is pruned, so Redis does not grow with time.

- ``{ns}:unmatched``: tickets that matched no account, kept ``UNMATCHED_KEEP_DAYS`` (30) after
  they were last seen (a ticket still unmatched is seen again, and kept, while it changes).
- ``{ns}:activity``: the marks of epic and plan-issue statuses and comments already seen, dropped
  once their escalation is neither open nor waiting for its month-3 health check. Seeing such an
  issue again is harmless: the rules ignore a status the record already has and comments after
  the resolution (rules/lifecycle/status.py, activity.py).

What must live (never pruned, it would lose or duplicate work): cursors, account states, the
outbox, the index and issue map, the escalations and the open set, the recovering set, the
learning-loop action items. The rest expires on its own (intents, locks, users, results).
"""

from __future__ import annotations

import time
from typing import Any

from sync.settings import ServiceSettings
from sync.state import Store
from sync.tasks import escalation_task

UNMATCHED_KEEP_DAYS = ServiceSettings().unmatched_keep_days


def prune_unmatched(store: Store, now: float | None = None, keep_days: float = UNMATCHED_KEEP_DAYS) -> int:
    before = (time.time() if now is None else now) - keep_days * 86400
    return int(store.r.zremrangebyscore(store.k.unmatched, "-inf", before))


def prune_activity(store: Store) -> int:
    """Drop the activity marks of escalations that are done (closed or resolved, not recovering)."""
    marks = [m.decode() for m in store.r.hkeys(store.k.activity)]
    if not marks:
        return 0
    issue_keys = sorted({m.split(":", 1)[0] for m in marks})
    refs = store.issue_refs(issue_keys)
    live = store.open_ids() | {m.decode() for m in store.r.smembers(store.k.recovering)}
    done = {key for key, ref in refs.items() if ref.get("ext") not in live}
    drop = [m for m in marks if m.split(":", 1)[0] in done]
    for i in range(0, len(drop), 500):
        store.r.hdel(store.k.activity, *drop[i:i + 500])
    return len(drop)


def housekeep(store: Store, now: float | None = None) -> dict[str, int]:
    """Prune both; returns how many members and fields went."""
    return {"unmatched": prune_unmatched(store, now), "activity": prune_activity(store)}


@escalation_task("housekeeping", lock="housekeeping")
def housekeeping(rt: Any) -> dict[str, Any]:
    """Prune the keys sync/keys.py documents as pruned."""
    return housekeep(rt.store)
