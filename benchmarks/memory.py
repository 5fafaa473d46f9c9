"""The worker's peak memory for a cycle as the book grows.

    python benchmarks/memory.py --sizes 1000 5000 20000

For each size: a generated book (90 days of tickets, one account per ten tickets) in the
sandbox, a fresh redis-server, and real Celery workers (prefork, one pool process). The pool
process's resident memory is read from ``/proc/<pid>/status``: ``VmRSS`` after a warm-up task
(imports, settings, clients: the baseline) and ``VmHWM`` (its high-water mark) after the cycle.

- backfill: the first cycle (``BACKFILL_DAYS``, 30 by default, of tickets: a third of the book);
  its delta is that window, so its memory follows the window.
- steady: a *fresh* worker on the same Redis after the backfill, one cycle over a fixed delta
  (50 new tickets). The connector keeps only the delta in memory (its state is in Redis), so
  this peak should barely move as the book grows: sublinear in the book.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.generate import generate  # noqa: E402
from rules.book import parse_book  # noqa: E402
from sandbox.server import Sandbox  # noqa: E402
from sync.broker import RedisServer  # noqa: E402
from tests.celery_worker import Worker  # noqa: E402
from tests.faults.support import use_broker  # noqa: E402

DELTA = 50


def pool_process(worker: Worker) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        children = subprocess.run(["pgrep", "-P", str(worker.proc.pid)], capture_output=True, text=True).stdout.split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise RuntimeError("no pool process")


def status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def measure(worker: Worker, before: object = None) -> dict[str, float]:
    """Warm the pool process up, then one poll; memory in MB."""
    from sync.app import app

    app.send_task("escalation_sync.flush").get(timeout=600)  # builds the runtime and its clients
    pid = pool_process(worker)
    baseline = status_kb(pid, "VmRSS")
    if callable(before):
        before()
    started = time.perf_counter()
    result = app.send_task("escalation_sync.poll").get(timeout=1800)
    took = time.perf_counter() - started
    peak = status_kb(pid, "VmHWM")
    return {"baseline_mb": round(baseline / 1024, 1), "peak_mb": round(peak / 1024, 1),
            "cycle_mb": round((peak - baseline) / 1024, 1), "cycle_s": round(took, 2),
            "opened": result.get("opened") if isinstance(result, dict) else result}


def run(size: int) -> dict[str, object]:
    accounts = max(10, size // 10)
    book = parse_book(generate(size, accounts, days=90, seed=21))
    redis_server = RedisServer()
    try:
        with Sandbox(book, daily_api_limit=10_000_000) as sb:
            use_broker(redis_server.url)
            env = {**sb.env(), "REDIS_URL": redis_server.url, "JIRA_SEARCH_SETTLE_SECONDS": "2"}
            first = Worker(env, name=f"mem-backfill-{size}")
            try:
                first.wait_ready(60)
                backfill = measure(first)
                from sync.app import app

                app.send_task("escalation_sync.poll").get(timeout=600)  # reads the linked tickets once more
            finally:
                first.stop()
            rnd = random.Random(size)

            def new_tickets() -> None:
                for n in range(DELTA):
                    account = rnd.randrange(accounts)
                    sb.add_ticket({"key": f"SUP-{10_000_000 + n}", "summary": "dashboard widget empty",
                                   "components": [f"Component {rnd.randrange(40)}"], "priority": "Medium",
                                   "reporter": {"email": f"user@customer{account}.example", "customer": True}})

            second = Worker(env, name=f"mem-steady-{size}")
            try:
                second.wait_ready(60)
                steady = measure(second, new_tickets)
            finally:
                second.stop()
            in_window = sum(1 for t in sb.book.tickets if (sb.book.now - t.created).days < 30)
    finally:
        redis_server.stop()
    return {"tickets": size, "accounts": accounts, "backfill_window_tickets": in_window,
            "backfill": backfill, "steady": {**steady, "new_tickets": DELTA}}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 20000])
    a = p.parse_args()
    rows = [run(n) for n in a.sizes]
    lo, hi = rows[0], rows[-1]
    growth = {
        "book_x": round(hi["tickets"] / lo["tickets"], 1),
        "backfill_cycle_mb_x": round(hi["backfill"]["cycle_mb"] / max(lo["backfill"]["cycle_mb"], 0.1), 1),
        "steady_peak_mb_x": round(hi["steady"]["peak_mb"] / lo["steady"]["peak_mb"], 2),
        "steady_cycle_mb_x": round(hi["steady"]["cycle_mb"] / max(lo["steady"]["cycle_mb"], 0.1), 1),
    }
    print(json.dumps({"runs": rows, "growth": growth, "cpus": os.cpu_count(), "python": platform.python_version()},
                     indent=2))


if __name__ == "__main__":
    main()
