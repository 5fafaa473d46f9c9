"""API calls per cycle against the lower bound, from the sandbox's request log.

    python benchmarks/cycle_calls.py --tickets 10000 --accounts 2000
    python benchmarks/cycle_calls.py --tickets 10000 --accounts 2000 --short-pages --email-privacy all

Runs, against a sandbox loaded with a generated book (all tickets changed in the last week)
and a private redis-server: one full cycle (the backfill), then an idle cycle. Counts every
API call by system and kind, and compares each with its lower bound:

- a read: ceil(rows / page size) (Salesforce 2,000 rows a page, Jira 100 issues a page);
- a write: ceil(writes / batch size) (Salesforce Collections 200, Jira bulk create 50; Jira
  has no batch for watchers, links, comments or field updates, so those count one each);
- setup calls a process makes once (token, serverInfo, field list, myself) are listed apart.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.generate import generate  # noqa: E402
from rules.book import parse_book  # noqa: E402
from sandbox.server import Sandbox  # noqa: E402
from sync.runtime import Runtime  # noqa: E402
from sync.settings import Settings  # noqa: E402
from tests.redis_server import RedisServer  # noqa: E402

SETUP = ("/services/oauth2/token", "/serverInfo", "/field", "/myself")


def kind(r: dict) -> str:
    path, method = r["path"], r["method"]
    if any(path.endswith(s) for s in SETUP):
        return "setup"
    if "/query" in path:
        return "sf.query"
    if "/composite/sobjects" in path:
        return "sf.collections"
    if "/user/search" in path:
        return "jira.user_search"
    if "/search" in path:
        return "jira.search"
    if path.endswith("/issue/bulk"):
        return "jira.bulk_create"
    if path.endswith("/watchers"):
        return "jira.watcher"
    if path.endswith("/issueLink"):
        return "jira.link"
    if path.endswith("/comment"):
        return "jira.comment"
    if method == "PUT":
        return "jira.update"
    return f"other {method} {path}"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--tickets", type=int, default=10_000)
    p.add_argument("--accounts", type=int, default=2_000)
    p.add_argument("--days", type=int, default=7)
    p.add_argument("--short-pages", action="store_true", help="sandbox pages shorter than asked (both systems)")
    p.add_argument("--email-privacy", default="some", choices=["some", "all", "none"],
                   help="which Jira users hide their e-mail (the sandbox's default: some)")
    a = p.parse_args()
    book = parse_book(generate(a.tickets, a.accounts, days=a.days, seed=3))
    redis_server = RedisServer()
    try:
        with Sandbox(book, daily_api_limit=10_000_000, short_pages=a.short_pages,
                     jira_email_privacy=a.email_privacy) as sb:
            env = sb.env()
            values = {k.lower(): v for k, v in env.items() if k.startswith(("SALESFORCE_", "JIRA_"))}
            values["requests_ca_bundle"] = env["REQUESTS_CA_BUNDLE"]
            rt = Runtime(Settings(_env_file=None, redis_url=redis_server.url, backfill_days=a.days + 1,
                                  **values))  # type: ignore[call-arg]
            sb.clear_requests()
            started = time.perf_counter()
            poll, flush = rt.cycle()
            wall = time.perf_counter() - started
            calls = sb.requests(bodies=False)
            sb.clear_requests()
            rt.cycle()
            idle_calls = sb.requests(bodies=True)
            idle = Counter(kind(r) for r in idle_calls)
    finally:
        redis_server.stop()

    by_kind = Counter(kind(r) for r in calls)
    history_rows = sum(len(acc.health) for acc in book.accounts)
    escalations = poll.opened
    steps = flush.steps_created
    bound = {
        "sf.query": 1 + math.ceil(a.accounts / 2000) + math.ceil(history_rows / 2000),  # users, accounts, history
        "sf.collections": math.ceil(escalations / 200),
        "jira.search": math.ceil(poll.tickets_seen / 100),
        "jira.bulk_create": math.ceil(escalations / 50) + math.ceil(steps / 50),
        "jira.user_search": by_kind["jira.user_search"],  # one per distinct person: already minimal
        "jira.watcher": by_kind["jira.watcher"],  # no batch endpoint exists
        "jira.link": by_kind["jira.link"],  # no batch endpoint exists
    }
    work = {k: by_kind[k] for k in bound}
    total_bound, total_work = sum(bound.values()), sum(work.values())
    print(json.dumps({
        "tickets": a.tickets, "accounts": a.accounts, "short_pages": a.short_pages,
        "email_privacy": a.email_privacy, "escalations": escalations, "plan_issues": steps,
        "cycle_wall_s": round(wall, 2), "calls": dict(sorted(by_kind.items())), "lower_bound": bound,
        "calls_vs_bound": round(total_work / total_bound, 3) if total_bound else None,
        "batched_reads_writes": {k: work[k] for k in ("sf.query", "sf.collections", "jira.search", "jira.bulk_create")},
        "batched_bound": {k: bound[k] for k in ("sf.query", "sf.collections", "jira.search", "jira.bulk_create")},
        "idle_cycle_calls": dict(idle),
        "idle_cycle_detail": [(r["method"], r["path"], str(r.get("query") or r.get("params") or "")[:160])
                              for r in idle_calls], "python": platform.python_version(),
    }, indent=2))


if __name__ == "__main__":
    main()
