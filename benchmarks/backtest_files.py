"""``backtest`` as a user runs it: the CLI on a generated book file, timed with /usr/bin/time -v.

    python benchmarks/backtest_files.py --tickets 100000 --accounts 5000 --components 20 --days 90 \
        --format json [--compare] [--sweep]

Writes the book once (benchmarks/generate.py's shape: 0-3 comments a ticket, weekly health), then
runs ``escalation-sync backtest`` on it and reports wall time, CPU time and peak memory of the
process; ``--compare`` and ``--sweep`` also time a two-rule-set compare and the 20-combination
sweep, each against the plain backtest.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "sync.cli", "backtest"]
SWEEP = ["--sweep", "triggers.ticket_burst.count=2..5", "--sweep", "triggers.health_drop.points=20,25,30,35,40"]


def timed(args: list[str]) -> dict[str, float]:
    """Run one command under /usr/bin/time -v; wall and CPU seconds, peak resident MB."""
    out = subprocess.run(["/usr/bin/time", "-v", *args], capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        raise SystemExit(out.stderr[-2000:])
    report = out.stderr

    def field(name: str) -> str:
        match = re.search(rf"{re.escape(name)}: (.+)", report)
        return match.group(1).strip() if match else "0"

    parts = [float(p) for p in field("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":")]
    wall = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
    return {"wall_s": round(wall, 1), "cpu_s": round(float(field("User time (seconds)"))
                                                     + float(field("System time (seconds)")), 1),
            "peak_mb": round(int(field("Maximum resident set size (kbytes)")) / 1024)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tickets", type=int, default=100_000)
    p.add_argument("--accounts", type=int, default=5_000)
    p.add_argument("--components", type=int, default=20)
    p.add_argument("--days", type=int, default=90)
    p.add_argument("--format", choices=("json", "jsonl", "yaml"), default="json")
    p.add_argument("--book", help="use this file instead of generating one")
    p.add_argument("--compare", action="store_true")
    p.add_argument("--sweep", action="store_true")
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        book = a.book or os.path.join(tmp, f"book.{a.format}")
        if not a.book:
            subprocess.run([sys.executable, "-m", "benchmarks.generate", "--tickets", str(a.tickets), "--accounts",
                            str(a.accounts), "--components", str(a.components), "--days", str(a.days),
                            "--format", a.format, "--out", book], check=True, cwd=ROOT)
        result: dict[str, object] = {"book": {"tickets": a.tickets, "accounts": a.accounts, "components": a.components,
                                              "days": a.days, "format": a.format,
                                              "mb": round(os.path.getsize(book) / 2**20)}}
        one = timed([*CLI, book])
        result["backtest"] = one
        if a.compare:
            rules = os.path.join(tmp, "b.yaml")
            Path(rules).write_text("triggers:\n  ticket_burst: {count: 4}\n  health_drop: {points: 35}\n")
            run = timed([*CLI, book, "--compare", rules])
            result["compare"] = {**run, "x_one_backtest": round(run["cpu_s"] / one["cpu_s"], 2)}
        if a.sweep:
            run = timed([*CLI, book, *SWEEP])
            result["sweep_20"] = {**run, "x_one_backtest": round(run["cpu_s"] / one["cpu_s"], 2)}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
