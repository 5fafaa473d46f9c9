"""Backtest throughput and peak memory on a generated book, one core.

    python benchmarks/backtest_throughput.py --tickets 100000 --accounts 5000

Reports: events applied per second of the replay itself (parsing the book and building events
are timed apart), and the process's peak resident memory.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.generate import generate  # noqa: E402
from rules.backtest import book_events  # noqa: E402
from rules.book import parse_book  # noqa: E402
from rules.config import default_config  # noqa: E402
from rules.directory import Directory  # noqa: E402
from rules.replay import Replay  # noqa: E402
from rules.triggers import Context  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--tickets", type=int, default=100_000)
    p.add_argument("--accounts", type=int, default=5_000)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    t0 = time.perf_counter()
    data = generate(a.tickets, a.accounts, seed=a.seed)
    t1 = time.perf_counter()
    book = parse_book(data)
    del data  # the raw dicts are not part of what is measured
    t2 = time.perf_counter()
    cfg = default_config()
    directory = Directory.build(book.users, book.accounts, cfg.tiers.top_accounts)
    events, unmatched = book_events(book, directory, book.now)
    replay = Replay(ctx=Context(cfg=cfg, directory=directory))
    t3 = time.perf_counter()
    replay.feed(events)
    t4 = time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        "tickets": a.tickets, "accounts": a.accounts, "events": replay.events_applied,
        "tickets_per_s": round(a.tickets / (t4 - t3)),
        "escalations": len(replay.escalations()), "decisions": len(replay.decisions),
        "generate_s": round(t1 - t0, 2), "parse_s": round(t2 - t1, 2), "events_build_s": round(t3 - t2, 2),
        "replay_s": round(t4 - t3, 2), "events_per_s": round(replay.events_applied / (t4 - t3)),
        "end_to_end_events_per_s": round(replay.events_applied / (t4 - t1)),
        "peak_rss_mb": round(peak_mb), "python": platform.python_version(), "machine": platform.machine(),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
