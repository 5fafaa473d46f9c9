"""The SLA watch after a burst, at real latency, as the user runs it.

    python benchmarks/watch_after_burst.py --tickets 10000 --accounts 2000 --latency-ms 100

A generated burst (``benchmarks/burst.py``'s book) is written by ``escalation-sync sync-once``
against ``escalation-sync sandbox --latency-ms N``; then ``escalation-sync run`` runs for
``--seconds`` (less than the 120 s cursor overlap; ``--short-pages``: the sandbox's real-site page
sizes, where a page asking many fields and the changelog holds fewer issues) with the SLA watch every ``--watch-every``
seconds and the poll once a minute. Every epic and plan issue of the burst lies inside the
watch's cursor overlap the whole time, so each watch looks at all of them again. From the
sandbox's request log: each watch's reads of the connector's own issues (whole: every field,
comments, changelog; light: one field), their pages and time, as JSON and a table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.burst import CLI, Sandbox, burst_book, stop  # noqa: E402
from sync.broker import RedisServer  # noqa: E402

PAUSE = 2.0  # seconds between two pages of one read at most (a page is ~100-500 ms)


def activity_reads(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The searches of the connector's own issues, in order, with their JQL and whether each
    read one field only."""
    out = []
    for c in sorted(calls, key=lambda c: c["started_unix"]):
        if "/search" not in c["path"]:
            continue
        query = parse_qs(c.get("query") or "")
        body = c.get("body") if isinstance(c.get("body"), dict) else {}
        jql = ",".join(query.get("jql", [])) or str(body.get("jql") or "")
        if "escalation-sync" not in jql:
            continue
        fields = query.get("fields") or body.get("fields") or []
        out.append({"start": c["started_unix"], "ms": c["duration_ms"], "jql": jql,
                    "light": list(fields) == ["updated"]})
    return out


def watches(reads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Reads grouped into watches: the pages of one read share its JQL and follow each other
    within ``PAUSE``; a watch is one read, or a light read and the whole read that follows it."""
    runs: list[list[dict[str, Any]]] = []
    for r in reads:
        last = runs[-1][-1] if runs else None
        if last and last["jql"] == r["jql"] and last["light"] == r["light"] \
                and r["start"] - last["start"] - last["ms"] / 1000 < PAUSE:
            runs[-1].append(r)
        else:
            runs.append([r])
    groups: list[list[dict[str, Any]]] = []
    for run in runs:
        if groups and groups[-1][-1]["light"] and not run[0]["light"]:
            groups[-1].extend(run)
        else:
            groups.append(list(run))
    return [{"whole_pages": sum(not r["light"] for r in g), "light_pages": sum(r["light"] for r in g),
             "read_s": round(g[-1]["start"] + g[-1]["ms"] / 1000 - g[0]["start"], 2)} for g in groups]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tickets", type=int, default=10000)
    p.add_argument("--accounts", type=int, default=2000)
    p.add_argument("--latency-ms", default="100")
    p.add_argument("--seconds", type=float, default=90.0, help="how long the service runs after the burst")
    p.add_argument("--watch-every", type=float, default=10.0, help="SLA_WATCH_INTERVAL_SECONDS")
    p.add_argument("--short-pages", action="store_true",
                   help="the sandbox's real-site page sizes (a page with many fields holds fewer issues)")
    p.add_argument("--out", type=Path)
    a = p.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="watch-after-burst-"))
    book_path = workdir / "book.json"
    book_path.write_text(json.dumps(burst_book(a.tickets, a.accounts, 0)))
    redis_server = RedisServer()
    sb = Sandbox(book_path, a.latency_ms, "off", workdir)
    service = None
    try:
        if a.short_pages:
            sb.http.put(sb.admin + "/config", json={"short_pages": True}, timeout=60).raise_for_status()
        env = {**os.environ, **sb.env, "REDIS_URL": redis_server.url, "BACKFILL_DAYS": "8",
               "POLL_INTERVAL_SECONDS": "60", "FLUSH_INTERVAL_SECONDS": "60",
               "SLA_WATCH_INTERVAL_SECONDS": str(a.watch_every), "PYTHONPATH": str(ROOT)}
        with open(workdir / "sync-once.log", "w") as log:
            t0 = time.time()
            subprocess.run([CLI, "sync-once"], env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT, check=True)
            written = round(time.time() - t0, 1)
        started = time.time()
        with open(workdir / "service.log", "w") as log:
            service = subprocess.Popen([CLI, "run", "--concurrency", "1", "--metrics-port", "0"], env=env,
                                       cwd=workdir, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            time.sleep(a.seconds)
            stop(service)
        calls = [c for c in sb.get("/requests") if c["started_unix"] >= started]
        issues = sb.get("/progress")
    finally:
        if service is not None:
            stop(service)
        sb.stop()
        redis_server.stop()
    runs = watches(activity_reads(calls))
    result = {"tickets": a.tickets, "accounts": a.accounts, "latency_ms": a.latency_ms, "short_pages": a.short_pages,
              "burst_written_s": written,
              "epics": len(issues["epics"]), "plan_issues": issues["plan_issues"], "seconds": a.seconds,
              "watch_every_s": a.watch_every, "watches": runs}
    text = json.dumps(result, indent=2)
    if a.out:
        a.out.write_text(text)
    print(text)
    print("| watch | whole pages | light pages | read time |\n|---|---|---|---|")
    for n, w in enumerate(runs, 1):
        print(f"| {n} | {w['whole_pages']} | {w['light_pages']} | {w['read_s']} s |")


if __name__ == "__main__":
    main()
