"""``escalation-sync status``: is it healthy? Last cycles, cursor lag, open escalations, quota,
queue depth and pending writes, read from Redis (no API call)."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from sync.commands.sync_once import settings_or_exit
from sync.golive import go_live_status, print_go_live  # i12: the go-live lines
from sync.keys import QUEUES, queue_lists
from sync.liveness import assess, read_alive


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the status as JSON")


def collect(store: Any, queues: tuple[str, ...] = QUEUES) -> dict[str, Any]:
    now = datetime.now(UTC)
    metrics = {k.decode(): v.decode() for k, v in store.r.hgetall(store.k.metrics).items()}
    open_escalations = store.escalations(store.open_ids()).values()
    by_tier = Counter(e.tier for e in open_escalations)
    quota = None
    depths = {name: sum(store.r.llen(key) for key in queue_lists(name)) for name in queues}
    if "quota|total" in metrics:
        used, total = int(metrics["quota|used"]), int(metrics["quota|total"])
        quota = {"used": used, "total": total, "remaining": total - used}
    return {
        "last_cycles": store.last_cycles(),
        "cursor_lag_seconds": {s: round((now - at).total_seconds()) for s, at in store.cursors().items()},
        "open_escalations": sum(by_tier.values()),
        "open_by_tier": {str(t): n for t, n in sorted(by_tier.items())},
        "pending_writes": store.r.hlen(store.k.outbox),
        "queue_depth": sum(depths.values()),  # tasks waiting, both queues
        "queue_depths": depths,
        "salesforce_quota": quota,
        "counters": store.stats(),
        "liveness": {c.part: c.as_dict() for c in assess(read_alive(store.r, store.k), now.timestamp())},
        **go_live_status(store),  # i12
    }


def run(args: argparse.Namespace) -> int:
    settings = settings_or_exit()
    if isinstance(settings, int):
        return settings
    import redis

    from sync.state import Store

    try:
        status = collect(Store(redis.Redis.from_url(settings.redis_url, socket_timeout=5)))
    except redis.RedisError as exc:
        print(f"error: Redis at {settings.redis_url.split('@')[-1]} is not reachable: {exc}", file=sys.stderr)
        return 1
    if args.json:
        json.dump(status, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
        return 0
    for source, info in sorted(status["last_cycles"].items()):
        detail = info.get("error") or f"{info.get('opened', 0)} opened, {info.get('updated', 0)} updated, " \
                                      f"{info.get('duration_s', '?')} s"
        print(f"last {source:<6} {info.get('finished', '?')}  {detail}")
    for check in status["liveness"].values():
        age = "never" if check["age_seconds"] is None else f"{check['age_seconds']:.0f} s ago"
        print(f"alive  {check['part']:<6} last success {age}{'' if check['ok'] else '  (STALE)'}")
    for source, lag in sorted(status["cursor_lag_seconds"].items()):
        print(f"cursor {source:<20} {lag} s behind")
    tiers = ", ".join(f"tier {t}: {n}" for t, n in status["open_by_tier"].items()) or "none"
    print(f"open escalations: {status['open_escalations']} ({tiers})")
    q = status["salesforce_quota"]
    print(f"salesforce quota: {q['used']} of {q['total']} used" if q else "salesforce quota: not known yet")
    depths = ", ".join(f"{name} {n}" for name, n in status["queue_depths"].items())
    print(f"queue depth: {status['queue_depth']} ({depths}), pending writes: {status['pending_writes']}")
    print_go_live(status)  # i12
    return 0
