"""``escalation-sync demo``: the whole service on this machine with nothing configured.

Starts the sandbox with the bundled book, a broker (``REDIS_URL``, else a private
``redis-server``, else an embedded one), a Celery worker with its beat, and shows escalations
as they appear while the sandbox world keeps changing. Ctrl-C stops everything.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from importlib import resources
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table

from sync.broker import find_broker
from sync.state import Store


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--book", help="a book of business (default: the bundled demo book)")
    parser.add_argument("--seconds", type=float, default=0, help="stop after this long (default: Ctrl-C)")
    parser.add_argument("--interval", type=float, default=5, help="poll and watch interval in seconds")
    parser.add_argument("--plain", action="store_true", help="print lines instead of a live table")


def _rows(store: Store) -> list[dict[str, Any]]:
    rows = []
    for ext, esc in sorted(store.escalations().items(), key=lambda kv: kv[1].opened):
        idx = store.index(ext)
        rows.append({"account": esc.account_name, "tier": esc.tier, "severity": esc.severity.label,
                     "owner": esc.owner or "-", "epic": idx.get("epic") or "(writing)",
                     "status": esc.status, "triggers": ", ".join(sorted({t.kind for t in esc.triggers})),
                     "acked": "yes" if esc.acknowledged_at else "no", "breaches": len(esc.breaches),
                     "latest": _latest(esc), "newest": esc.timeline[-1].text if esc.timeline else ""})
    return rows


COLUMNS = ("account", "tier", "severity", "owner", "epic", "status", "acked", "breaches", "triggers", "latest")


def _latest(esc: Any) -> str:
    """The newest timeline entry, short: what just happened to it (a reassignment, a dismissal)."""
    text = esc.timeline[-1].text if esc.timeline else ""
    return text if len(text) <= 48 else text[:47] + "…"


def _table(rows: list[dict[str, Any]], notes: list[str], started: float) -> Table:
    table = Table(title=f"escalation-sync demo: {len(rows)} escalations ({time.monotonic() - started:.0f} s)",
                  caption="\n".join(notes[-4:]) or "waiting for the first cycle...", caption_justify="left")
    for name in COLUMNS:
        table.add_column(name)
    for r in rows:
        table.add_row(*(str(r[k]) for k in COLUMNS))
    return table


def run(args: argparse.Namespace) -> int:
    from sandbox.life import Life
    from sandbox.server import Sandbox

    console = Console(stderr=False)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    book = args.book or str(resources.files("sandbox").joinpath("books/small_book.yaml"))
    broker = find_broker(os.environ.get("REDIS_URL"))
    if broker.how == "embedded":
        print("no Redis found (REDIS_URL unset, no redis-server): using an embedded "
              "in-process Redis, for this demo only", flush=True)
    else:
        print(f"broker: {broker.how} at {broker.url}", flush=True)
    sandbox = Sandbox(book).start()
    workdir = tempfile.mkdtemp(prefix="escalation-demo-")
    env = {**os.environ, **sandbox.env(), "REDIS_URL": broker.url, "DRY_RUN": "false",
           "POLL_INTERVAL_SECONDS": str(args.interval), "SLA_WATCH_INTERVAL_SECONDS": str(args.interval),
           "FLUSH_INTERVAL_SECONDS": str(args.interval), "JIRA_SEARCH_SETTLE_SECONDS": "3",
           "ESCALATION_RULES": ""}
    env.pop("ESCALATION_RULES")
    log = open(Path(workdir) / "worker.log", "w")  # noqa: SIM115 - closed in finally
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "sync.app", "worker", "--beat", "--concurrency=1",
         "--loglevel=INFO", "--without-gossip", "--without-mingle", "-s", str(Path(workdir) / "beat-schedule")],
        env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    print(f"sandbox: Salesforce {sandbox.salesforce_url}, Jira {sandbox.jira_url}; worker log "
          f"{log.name}; Ctrl-C to stop", flush=True)
    import redis

    store = Store(redis.Redis.from_url(broker.url))
    notes: list[str] = []
    life = Life(sandbox, lambda what: notes.append(f"{time.strftime('%H:%M:%S')} world: {what}")).start()
    started = time.monotonic()
    seen: dict[str, tuple] = {}
    try:
        if args.plain or not console.is_terminal:
            while not stop.wait(1.0) and not _expired(args, started) and worker.poll() is None:
                for row in _rows(store):
                    key = tuple(row[k] for k in COLUMNS)
                    if seen.get(row["account"]) != key:
                        verb = "opened" if row["account"] not in seen else "changed"
                        seen[row["account"]] = key
                        print(f"{verb}: {row['account']} tier {row['tier']} {row['severity']} owner {row['owner']} "
                              f"epic {row['epic']} {row['status']} acked {row['acked']} breaches {row['breaches']} "
                              f"[{row['triggers']}]" + (f": {row['newest']}" if row["newest"] else ""), flush=True)
                while notes:
                    print(notes.pop(0), flush=True)
        else:
            with Live(_table([], notes, started), console=console, refresh_per_second=2) as live:
                while not stop.wait(1.0) and not _expired(args, started) and worker.poll() is None:
                    live.update(_table(_rows(store), notes, started))
        if worker.poll() is not None:
            print(f"the worker stopped (exit {worker.returncode}); see {log.name}", file=sys.stderr)
            return 1
        return 0
    finally:
        life.stop()
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)  # warm shutdown: the running task finishes
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(5)
        log.close()
        sandbox.stop()
        broker.stop()
        print("demo stopped", file=sys.stderr)


def _expired(args: argparse.Namespace, started: float) -> bool:
    return bool(args.seconds) and time.monotonic() - started >= args.seconds
