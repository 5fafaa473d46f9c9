"""Cycle and flush wall time with 1, 2 and 4 Celery workers on one generated book.

    python benchmarks/scaling.py --tickets 5000 --accounts 1000 --workers 1 2 4

For each worker count: a fresh sandbox with the book (every ticket changed in the last week), a
fresh redis-server, N real Celery workers (prefork, one process each), then at once N
``escalation_sync.poll`` and N ``escalation_sync.flush`` tasks; then polls one at a time until
everything is written. Reports the wall time to "all written", how many tasks found the cycle
lock held ("busy"), and the API calls.

What to expect: one installation's cycle runs under one Redis lock (decisions for an account
must be made in event order, and Jira's create-then-search is only safe without a concurrent
writer), so more workers add availability (a dead worker's beat is taken over), not
throughput: the wall time should stay flat.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.cycle_calls import kind  # noqa: E402
from benchmarks.generate import generate  # noqa: E402
from rules.book import parse_book  # noqa: E402
from sandbox.server import Sandbox  # noqa: E402
from sync.broker import RedisServer  # noqa: E402
from sync.state import Store  # noqa: E402
from tests.celery_worker import Worker  # noqa: E402
from tests.faults.support import use_broker  # noqa: E402


def run(book: object, workers: int, days: int) -> dict[str, object]:
    from sync.app import app

    redis_server = RedisServer()
    started_workers: list[Worker] = []
    try:
        with Sandbox(book, daily_api_limit=10_000_000) as sb:
            use_broker(redis_server.url)
            env = {**sb.env(), "REDIS_URL": redis_server.url, "JIRA_SEARCH_SETTLE_SECONDS": "2",
                   "BACKFILL_DAYS": str(days + 1)}
            started_workers = [Worker(env, name=f"scale{n}") for n in range(workers)]
            for w in started_workers:
                w.wait_ready(60)
            store = Store(redis_server.client)
            sb.clear_requests()
            t0 = time.perf_counter()
            sent = [app.send_task(name) for _ in range(workers)
                    for name in ("escalation_sync.poll", "escalation_sync.flush")]
            results = [r.get(timeout=900) for r in sent]
            first = time.perf_counter() - t0
            while True:
                result = app.send_task("escalation_sync.poll").get(timeout=900)
                results.append(result)
                if isinstance(result, dict) and not result.get("deferred") and not store.outbox():
                    break
                time.sleep(0.2)
            wall = time.perf_counter() - t0
            calls = Counter(kind(r) for r in sb.requests(bodies=False))
            opened = sum(r.get("opened", 0) for r in results if isinstance(r, dict))
            return {"workers": workers, "wall_s": round(wall, 2), "first_batch_s": round(first, 2),
                    "tasks": len(results), "busy": sum(r == "busy" for r in results), "opened": opened,
                    "records": len(sb.escalations()), "api_calls": sum(calls.values())}
    finally:
        for w in started_workers:
            w.stop()
        redis_server.stop()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tickets", type=int, default=5000)
    p.add_argument("--accounts", type=int, default=1000)
    p.add_argument("--days", type=int, default=7)
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    a = p.parse_args()
    book = parse_book(generate(a.tickets, a.accounts, days=a.days, seed=11))
    rows = [run(book, n, a.days) for n in a.workers]
    print(json.dumps({"tickets": a.tickets, "accounts": a.accounts, "runs": rows, "cpus": os.cpu_count(),
                      "python": platform.python_version()}, indent=2))


if __name__ == "__main__":
    main()
