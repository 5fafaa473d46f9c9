"""A burst at real network latency, measured as the user runs it.

    python benchmarks/burst.py --tickets 2000 --accounts 400 --latency-ms 100 --workers 0 1 2 4

For each worker count, from nothing: a generated burst book (``benchmarks/generate.py``, every
ticket from the last 7 days; 2,000 tickets / 400 accounts give 103 escalations, 10,000 / 2,000
give 532) plus ``--inject`` quiet accounts, written to a file; ``escalation-sync sandbox --book
FILE --latency-ms N[:J] --print-env`` in its own process; a private redis-server; then

- ``--workers 0``: ``escalation-sync sync-once`` (one cycle, then the process exits);
- ``--workers N``: ``escalation-sync run --concurrency N`` (the service: worker + beat, 5 s poll,
  flush and SLA-watch intervals), and, while the burst is being written, ``--inject`` tickets
  through the sandbox's admin ``POST /tickets`` (a customer of a quiet account writing "we will
  cancel": one new escalation each), one every ``--gap`` seconds from ``--inject-after``.

It polls the sandbox's ``GET /progress`` twice a second and reports, as JSON and a table:
wall time until every escalation of the burst has its epic and its record; until everything is
written (the last write call, once the service's outbox is empty, no claim is held, the SLA
watch has recorded every epic's birth and nothing changed for ``--settle`` seconds); calls
made against the true floor (``benchmarks/burst_stats.py`` says how it is counted); mean and
max calls in flight (from the request log's ``started_unix`` and ``duration_ms``); 429s by
reason and how they ended; p50/p95/max ticket-to-epic of the injected tickets.
``--jira-limits cloud-2026`` turns on the sandbox's Jira limits.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import burst_stats as stats  # noqa: E402
from benchmarks.cycle_calls import kind  # noqa: E402
from benchmarks.generate import generate  # noqa: E402
from sync.broker import RedisServer  # noqa: E402

CLI = str(Path(sys.executable).with_name("escalation-sync"))


def burst_book(tickets: int, accounts: int, quiet: int) -> dict[str, Any]:
    """The generated burst plus ``quiet`` healthy accounts with no tickets (injection targets)."""
    book = generate(tickets, accounts, days=7, seed=3)
    for n in range(quiet):
        book["accounts"].append({
            "id": f"001{900_000_000_000 + n:012d}AAA", "name": f"Quiet {n}", "arr": 300_000,
            "segment": "enterprise", "owner": "csm0@vendor.example", "renewal_date": "2027-06-30",
            "domains": [f"quiet{n}.example"], "health": [{"at": book["now"], "score": 90}]})
    return book


class Sandbox:
    """``escalation-sync sandbox`` in its own process; its settings read from ``--print-env``."""

    def __init__(self, book: Path, latency: str, limits: str, workdir: Path) -> None:
        cmd = [CLI, "sandbox", "--book", str(book), "--print-env", "--latency-ms", latency, "--jira-limits", limits]
        self.log = open(workdir / "sandbox.log", "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.log, text=True, cwd=workdir,
                                     start_new_session=True)
        self.env: dict[str, str] = {}
        assert self.proc.stdout is not None
        while "SANDBOX_ADMIN_URL" not in self.env:
            line = self.proc.stdout.readline()
            if not line:
                raise SystemExit(f"the sandbox did not start; see {self.log.name}")
            name, _, value = line.removeprefix("export ").strip().partition("=")
            self.env[name] = shlex.split(value)[0] if value else ""
        self.http = requests.Session()
        self.http.trust_env = False
        self.admin = self.env["SANDBOX_ADMIN_URL"]

    def get(self, path: str) -> Any:
        r = self.http.get(self.admin + path, timeout=60)
        r.raise_for_status()
        return r.json()

    def post(self, path: str, body: Any) -> Any:
        r = self.http.post(self.admin + path, json=body, timeout=60)
        r.raise_for_status()
        return r.json()

    def stop(self) -> None:
        stop(self.proc)
        self.log.close()


def stop(proc: subprocess.Popen[Any], grace: float = 30) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


class Watch(threading.Thread):
    """Polls ``GET /progress``: when each account first had an epic and a record, and when the
    written counts last changed."""

    def __init__(self, sb: Sandbox, redis_client: Any = None) -> None:
        super().__init__(daemon=True)
        self.sb, self.done = sb, threading.Event()
        self.redis = redis_client  # the service's: its outbox and claims say whether work is left
        self.pending = 0
        self.first_epic: dict[str, float] = {}
        self.first_record: dict[str, float] = {}
        self.changed = time.time()
        self.last: Any = None
        self.latest: dict[str, Any] = {}

    def run(self) -> None:
        while not self.done.is_set():
            self.poll()
            self.done.wait(0.5)

    def poll(self) -> None:
        now, p = time.time(), self.sb.get("/progress")
        for label in p["epics"]:
            self.first_epic.setdefault(stats.account_of(label), now)
        for account in p["records"]:
            self.first_record.setdefault(account, now)
        if self.redis is not None:
            self.pending = self.redis.hlen("esc:outbox") + sum(1 for _ in self.redis.scan_iter("esc:claim:*"))
        counts = (len(p["epics"]), len(p["records"]), p["plan_issues"], p["watchers"], p["links"], self.pending)
        if counts != self.last:
            self.last, self.changed = counts, now
        self.latest = p


def unshown(client: Any) -> int:
    """Open escalations whose epic's birth the SLA watch has not recorded yet: its "shown"
    decision (and the plan issues it re-dates) is work still to come."""
    ids = [m.decode() for m in client.smembers("esc:open")]
    raws = client.hmget("esc:escalations", ids) if ids else []
    return sum(1 for raw in raws if raw and json.loads(raw).get("shown_at") is None)


def run_one(book: dict[str, Any], book_path: Path, workers: int, a: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix=f"burst-{workers}-"))
    redis_server = RedisServer()
    sb = Sandbox(book_path, a.latency_ms, a.jira_limits, workdir)
    service: subprocess.Popen[Any] | None = None
    injected: list[tuple[str, float]] = []
    try:
        env = {**os.environ, **sb.env, "REDIS_URL": redis_server.url, "BACKFILL_DAYS": "8",
               "POLL_INTERVAL_SECONDS": "5", "FLUSH_INTERVAL_SECONDS": "5", "SLA_WATCH_INTERVAL_SECONDS": "5",
               "JIRA_SEARCH_SETTLE_SECONDS": str(a.settle_search), "PYTHONPATH": str(ROOT)}
        watch = Watch(sb, redis_server.client)
        watch.poll()
        out = open(workdir / "service.log", "w")  # noqa: SIM115 - closed below
        t0 = time.time()
        cmd = [CLI, "sync-once", "--json"] if workers == 0 else \
              [CLI, "run", "--concurrency", str(workers), "--metrics-port", "0"]
        service = subprocess.Popen(cmd, env=env, cwd=workdir, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        watch.start()
        quiet = [acc["id"] for acc in book["accounts"] if acc["name"].startswith("Quiet ")]
        if workers:
            time.sleep(a.inject_after)
            for n, account in enumerate(quiet):
                sb.post("/tickets", {"summary": "We will cancel our contract", "priority": "Medium",
                                     "description": "Nothing works since the upgrade; we will cancel.",
                                     "components": [f"Burst {n}"],
                                     "reporter": {"email": f"buyer@quiet{n}.example", "customer": True}})
                injected.append((account, time.time()))
                time.sleep(a.gap)
        deadline = t0 + a.timeout
        while time.time() < deadline:
            if workers == 0 and service.poll() is not None:
                break
            # done: nothing decided is left to write (outbox empty, no claim held), the watch has seen
            # every epic, and nothing changed for --settle s; counts alone stop a run while a worker
            # still reads, decides or PUTs
            settled = time.time() - watch.changed > a.settle and watch.pending == 0
            if workers and settled and all(acc in watch.first_epic for acc, _ in injected) \
                    and not unshown(redis_server.client):
                break
            time.sleep(0.5)
        ended = time.time()
        exit_code = service.poll()
        watch.done.set()
        watch.join()
        watch.poll()
        out.close()
        calls = sb.get("/requests")
        if a.calls_out:  # the raw request log, for a timeline of where the time went
            Path(f"{a.calls_out}.{workers}.json").write_text(json.dumps({"t0": t0, "calls": calls}))
            Path(f"{a.calls_out}.{workers}.state.json").write_text(json.dumps(sb.get("/state?project=ESC")))
    finally:
        if service is not None:
            stop(service)
        sb.stop()
        redis_server.stop()
    burst_accounts = {stats.account_of(label) for label in watch.latest["epics"]} - set(quiet)
    writes = [c for c in calls if c["method"] != "GET" and c["path"] != stats.TOKEN and "/search" not in c["path"]]
    last_write = max((c["started_unix"] + c["duration_ms"] / 1000 for c in writes), default=t0)
    work = stats.work_calls(calls)
    floor = stats.floor(book, {**watch.latest, "epics": [e for e in watch.latest["epics"]
                                                          if stats.account_of(e) in burst_accounts]}, calls)
    by_kind = Counter(kind(c) for c in work)
    tte = [round(watch.first_epic[acc] - at, 2) for acc, at in injected if acc in watch.first_epic]
    return {
        "workers": workers, "command": " ".join(Path(c).name if i == 0 else c for i, c in enumerate(cmd)),
        "exit_code": exit_code, "escalations": len(burst_accounts),
        "records": len(set(watch.latest["records"])), "plan_issues": watch.latest["plan_issues"],
        "watchers": watch.latest["watchers"], "links": watch.latest["links"],
        "visible_s": stats.visible_at(watch.first_epic, watch.first_record, burst_accounts, t0),
        "all_written_s": round(last_write - t0, 2), "measured_until_s": round(ended - t0, 2),
        "calls": len(work), "floor": sum(floor.values()),
        "calls_vs_floor": round(len(work) / sum(floor.values()), 2) if sum(floor.values()) else None,
        "calls_by_kind": dict(sorted(by_kind.items())), "floor_by_kind": floor,
        "in_flight": stats.in_flight(work), "rate_limited": stats.rate_limited(calls),
        "injected": len(injected), "injected_with_epic": len(tte),
        "ticket_to_epic_s": {"p50": stats.percentile(tte, 0.5), "p95": stats.percentile(tte, 0.95),
                             "max": max(tte) if tte else None, "samples": tte},
    }


def table(rows: list[dict[str, Any]]) -> str:
    head = ("| run | escalations | visible (epic + record) | everything written | calls / floor | "
            "in flight mean / max | 429s (retried ok) | ticket-to-epic p95 |\n|---|---|---|---|---|---|---|---|")
    lines = [head]
    for r in rows:
        rl, t = r["rate_limited"], r["ticket_to_epic_s"]
        lines.append(f"| {r['command']} | {r['escalations']} | {r['visible_s']} s | {r['all_written_s']} s | "
                     f"{r['calls']} / {r['floor']} ({r['calls_vs_floor']}x) | {r['in_flight']['mean']} / "
                     f"{r['in_flight']['max']} | {rl['total']} ({rl['retried_ok']}) | "
                     f"{'n/a' if t['p95'] is None else str(t['p95']) + ' s'} |")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tickets", type=int, default=2000)
    p.add_argument("--accounts", type=int, default=400)
    p.add_argument("--latency-ms", default="100", help="MEAN[:JITTER] for every API call (sandbox --latency-ms)")
    p.add_argument("--workers", type=int, nargs="+", default=[0, 1, 2, 4], help="0: sync-once; N: run --concurrency N")
    p.add_argument("--jira-limits", choices=("off", "cloud-2026"), default="off")
    p.add_argument("--inject", type=int, default=10, help="tickets injected during the burst (run mode)")
    p.add_argument("--inject-after", type=float, default=3.0)
    p.add_argument("--gap", type=float, default=2.0)
    p.add_argument("--settle", type=float, default=15.0, help="seconds without a change that mean done (run mode)")
    p.add_argument("--settle-search", type=float, default=3.0, help="JIRA_SEARCH_SETTLE_SECONDS of the service")
    p.add_argument("--timeout", type=float, default=1800.0)
    p.add_argument("--out", help="also write the JSON here")
    p.add_argument("--calls-out", help="also write each run's request log and end state to PREFIX.WORKERS[.state].json")
    a = p.parse_args()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    book = burst_book(a.tickets, a.accounts, a.inject)
    book_path = Path(tempfile.mkdtemp(prefix="burst-book-")) / "book.json"
    book_path.write_text(json.dumps(book))
    rows = []
    for n in a.workers:
        rows.append(run_one(book, book_path, n, a))
        print(table(rows[-1:]), file=sys.stderr, flush=True)
    result = {"tickets": a.tickets, "accounts": a.accounts, "latency_ms": a.latency_ms, "jira_limits": a.jira_limits,
              "commit": commit.stdout.strip(), "cpus": os.cpu_count(), "python": platform.python_version(),
              "runs": rows}
    text = json.dumps(result, indent=2)
    if a.out:
        Path(a.out).write_text(text)
    print(text)
    print(table(rows), file=sys.stderr)


if __name__ == "__main__":
    main()
