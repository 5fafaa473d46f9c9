"""``export-book`` against the sandbox with network latency: calls made and time taken.

    python benchmarks/export_book.py --tickets 100000 --accounts 5000 --latency-ms 100

The sandbox serves a generated book (benchmarks/generate.py's shape); every API call of both
systems takes ``--latency-ms``. The export pages as the poller pages (Jira search 100 issues a
call, Salesforce queries 2,000 rows a page), so its calls are the poller's first full read.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.generate import generate  # noqa: E402
from sandbox.server import Sandbox  # noqa: E402
from sync.commands.export_book import Exporter, connectors, write_records  # noqa: E402
from sync.settings import Settings  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tickets", type=int, default=100_000)
    p.add_argument("--accounts", type=int, default=5_000)
    p.add_argument("--components", type=int, default=20)
    p.add_argument("--days", type=int, default=90)
    p.add_argument("--latency-ms", type=float, default=100)
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "book.json")
        with open(path, "w") as f:
            json.dump(generate(a.tickets, a.accounts, days=a.days, components=a.components, seed=3), f)
        with Sandbox(path, latency_ms=a.latency_ms) as sb:
            env = sb.env()
            values = {k.lower(): v for k, v in env.items() if k.startswith(("SALESFORCE_", "JIRA_"))}
            values.update(requests_ca_bundle=env["REQUESTS_CA_BUNDLE"], jira_search_settle_seconds=0.0,
                          http_timeout_seconds=60.0, redis_url="redis://127.0.0.1:1/0")
            settings = Settings(_env_file=None, **values)  # type: ignore[call-arg]
            salesforce, jira = connectors(settings)
            now = datetime.now(UTC)
            sb.clear_requests()
            started = time.perf_counter()
            exporter = Exporter(salesforce, jira, support_jql=settings.jira_support_jql,
                                since=now - timedelta(days=a.days + 1), now=now)
            out = io.StringIO()
            write_records(out, exporter.records(), "jsonl")
            took = time.perf_counter() - started
            calls = Counter(r["system"] for r in sb.requests(bodies=False))
    print(json.dumps({"tickets": a.tickets, "accounts": a.accounts, "latency_ms": a.latency_ms,
                      "exported": dict(exporter.counts), "calls": dict(calls), "seconds": round(took, 1),
                      "mb_written": round(len(out.getvalue()) / 2**20)}, indent=2))


if __name__ == "__main__":
    main()
