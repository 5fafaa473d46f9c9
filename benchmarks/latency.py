"""End-to-end latency: from a ticket appearing in the sandbox to its escalation's epic in Jira.

    python benchmarks/latency.py --tickets 20 --interval 5

Starts the sandbox (the bundled small book), a private redis-server and one real Celery worker
with its beat (``--beat``, as ``escalation-sync demo`` does) polling every ``--interval``
seconds. Once the book's own escalations are written, it adds ``--tickets`` tickets one at a
time, each a customer of a so far quiet account writing "we will cancel" (a keyword trigger:
one new escalation), at random moments, and times each until an epic labelled with that
account's escalation id exists. Prints JSON: p50/p95/max and every sample.

Expect about half the poll interval plus one cycle on average: the beat, not the work,
dominates.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sandbox.server import Sandbox  # noqa: E402
from sync.broker import RedisServer  # noqa: E402
from sync.state import Store  # noqa: E402


def epic_of(sb: Sandbox, account: str) -> str | None:
    prefix = f"ESC-{account}-"
    with sb.lock:
        for iss in sb.site.issues.values():
            if iss.issuetype == "Epic" and any(label.startswith(prefix) for label in iss.labels):
                return iss.key
    return None


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tickets", type=int, default=20)
    p.add_argument("--interval", type=float, default=5.0, help="POLL_INTERVAL_SECONDS of the beat")
    p.add_argument("--gap", type=float, default=3.0, help="mean seconds between two new tickets")
    p.add_argument("--timeout", type=float, default=60.0)
    a = p.parse_args()
    rnd = random.Random(7)
    redis_server = RedisServer()
    workdir = tempfile.mkdtemp(prefix="latency-")
    with Sandbox(ROOT / "examples" / "small_book.yaml") as sb:
        store = Store(redis_server.client)
        env = {**os.environ, **sb.env(), "REDIS_URL": redis_server.url, "POLL_INTERVAL_SECONDS": str(a.interval),
               "FLUSH_INTERVAL_SECONDS": str(a.interval), "SLA_WATCH_INTERVAL_SECONDS": "3600",
               "JIRA_SEARCH_SETTLE_SECONDS": "3", "PYTHONPATH": str(ROOT)}
        log = open(Path(workdir) / "worker.log", "w")  # noqa: SIM115 - closed below
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "sync.app", "worker", "--beat", "--concurrency=1",
             "--loglevel=INFO", "--without-gossip", "--without-mingle", "-s", str(Path(workdir) / "beat")],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            booked = [acc for acc in sb.book.accounts if acc.domains]
            deadline = time.monotonic() + 120
            while not store.escalations() or store.outbox():  # the book's own backlog first
                if time.monotonic() > deadline or worker.poll() is not None:
                    raise SystemExit(f"the worker did not write the book's escalations; see {log.name}")
                time.sleep(0.5)
            taken = {esc.account for esc in store.escalations().values()}
            quiet = [acc for acc in booked if acc.id not in taken][: a.tickets]
            samples = []
            for n, account in enumerate(quiet):
                time.sleep(rnd.expovariate(1 / a.gap))
                started = time.monotonic()
                sb.add_ticket({"key": f"SUP-{50_000 + n}", "summary": "We will cancel our contract",
                               "description": "Nothing works since the upgrade; we will cancel.",
                               "priority": "Medium", "components": [f"Latency {n}"],
                               "reporter": {"email": f"buyer@{account.domains[0]}", "customer": True}})
                while epic_of(sb, account.id) is None:
                    if time.monotonic() - started > a.timeout:
                        raise SystemExit(f"no epic for {account.id} after {a.timeout} s; see {log.name}")
                    time.sleep(0.05)
                samples.append(round(time.monotonic() - started, 3))
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
            log.close()
            redis_server.stop()
    print(json.dumps({
        "tickets": len(samples), "poll_interval_s": a.interval, "mean_gap_s": a.gap,
        "p50_s": round(statistics.median(samples), 2), "p95_s": round(percentile(samples, 0.95), 2),
        "max_s": max(samples), "mean_s": round(statistics.fmean(samples), 2), "samples_s": samples,
        "cpus": os.cpu_count(), "python": platform.python_version(),
    }, indent=2))


if __name__ == "__main__":
    main()
