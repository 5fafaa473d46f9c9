"""``escalation-sync backtest BOOK``: the rules over history; compare two rule sets; sweep thresholds.

    backtest BOOK [--now ISO] [--config RULES] [--skip-bad]
    backtest BOOK --compare RULES_B.yaml [--config RULES_A.yaml] [--format json|table]
    backtest BOOK --sweep triggers.ticket_burst.count=2..5 --sweep triggers.health_drop.points=20,30

The book is read once however many rule sets are replayed (``rules.backtest.run_many``).
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import yaml

from rules.backtest import backtest, result_of, run_many
from rules.compare import compare, pareto, summary
from rules.config import RulesConfig, merge, parse_config
from rules.errors import InputError
from rules.sweep import combinations, overrides, parse_axis
from sync.commands.book_files import finish, open_book
from sync.commands.files import load_config, read_text, report
from sync.commands.tables import compare_table, sweep_table


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("book", metavar="BOOK", help="a book of business (YAML, JSON or JSON Lines)")
    parser.add_argument("--now", help="replay up to this ISO time (default: the book's now)")
    parser.add_argument("--config", metavar="RULES.yaml", help="rules file (default: built-in)")
    parser.add_argument("--skip-bad", action="store_true",
                        help="leave out malformed records (counted on stderr) instead of refusing the book")
    parser.add_argument("--compare", metavar="RULES_B.yaml",
                        help="replay this rule set too and print what it adds, removes and changes")
    parser.add_argument("--sweep", action="append", default=[], metavar="PATH=VALUES",
                        help="replay every combination (repeatable): PATH=A..B or PATH=V1,V2,...")
    parser.add_argument("--batch", type=int, default=10, metavar="N",
                        help="--sweep: rule sets replayed together over one read of the book (memory grows "
                        "with N; the book is read once per batch)")
    parser.add_argument("--format", choices=("json", "table"), default="json",
                        help="--compare/--sweep output: JSON (default) or a table for a person")


def parse_now(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InputError("--now", [f"not an ISO time: {text!r}"]) from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _base_rules(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    data = yaml.safe_load(read_text(path)) or {}
    if not isinstance(data, dict):
        raise InputError(path, ["(top level): a rules file is a mapping of sections"])
    return data


def _replays(args: argparse.Namespace, cfgs: list[RulesConfig]) -> tuple[list[dict[str, Any]], list[int], Any]:
    now = parse_now(args.now) if args.now else None
    source = open_book(args.book, skip_bad=args.skip_bad)
    results, counts = [], []
    batch = max(1, args.batch)
    for start in range(0, len(cfgs), batch):  # each replay holds every account's state: a few at a time
        for replay in run_many(source, cfgs[start:start + batch], now):
            results.append(result_of(replay))
            counts.append(replay.notifications)
    source.skipped[:] = list(dict.fromkeys(source.skipped))  # a bad ticket is met once per pass
    finish(source, args.book, args.skip_bad)
    _warn_skipped(args.book, source.skipped)
    return results, counts, source


def _warn_skipped(path: str, skipped: list[str]) -> None:
    if skipped:
        print(f"warning: {path}: skipped {len(skipped)} bad record(s); first: {skipped[0]}", file=sys.stderr)


def _print(data: Any, table: str | None) -> None:
    if table is not None:
        sys.stdout.write(table)
    else:
        # one string, one write: ``json.dump`` writes each of its ~750,000 pieces for a 100k-ticket book
        sys.stdout.write(json.dumps(data, indent=2) + "\n")


@contextmanager
def _no_collections() -> Iterator[None]:
    """A replay makes millions of short-lived values and no reference cycles (reference counting
    frees them all): the collector's default (a collection every 700 allocations) cost a tenth of a
    backtest's time, and one every 100,000 allocations still about 2%, for nothing (the peak memory
    is the same without it). Switched back on after the command (tests run it in-process)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def run(args: argparse.Namespace) -> int:
    with _no_collections():
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    try:
        if args.compare and args.sweep:
            raise InputError("backtest", ["--compare and --sweep: one at a time"])
        if args.compare:
            return _compare(args)
        if args.sweep:
            return _sweep(args)
        cfg = load_config(args.config)
        now = parse_now(args.now) if args.now else None
        source = open_book(args.book, skip_bad=args.skip_bad)
        result = backtest(source, cfg, now)
        finish(source, args.book, args.skip_bad)
    except InputError as exc:
        return report(exc)
    _warn_skipped(args.book, source.skipped)
    _print(result, None)
    return 0


def _compare(args: argparse.Namespace) -> int:
    cfgs = [load_config(args.config), load_config(args.compare)]
    (a, b), (na, nb), source = _replays(args, cfgs)
    out = compare(a, b, summary(a, na, source.escalations), summary(b, nb, source.escalations))
    _print(out, compare_table(out, args.config or "built-in rules", args.compare) if args.format == "table" else None)
    return 0


def _sweep(args: argparse.Namespace) -> int:
    axes = [parse_axis(spec) for spec in args.sweep]
    base = _base_rules(args.config)
    combos = combinations(axes)
    cfgs = [parse_config(merge(base, overrides(c)), name=", ".join(f"{k}={v}" for k, v in c.items()))
            for c in combos]
    results, counts, source = _replays(args, cfgs)
    rows = []
    for combo, result, count in zip(combos, results, counts, strict=True):
        s = summary(result, count, source.escalations)
        row = {"settings": combo, "opened": s["escalations"], "by_tier": s["by_tier"], "notifications": count}
        if "judgement" in s:
            row["judgement"] = s["judgement"]
        rows.append(row)
    for row, best in zip(rows, pareto(rows), strict=True):
        row["pareto"] = best
    out = {"combinations": rows}
    _print(out, sweep_table(rows) if args.format == "table" else None)
    return 0
