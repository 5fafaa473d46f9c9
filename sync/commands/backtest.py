"""``escalation-sync backtest BOOK [--now ISO] [--config RULES]``: the rules over history."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime

from rules.backtest import backtest
from rules.errors import InputError
from sync.commands.book_files import finish, open_book
from sync.commands.files import load_config, report


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("book", metavar="BOOK", help="a book of business (YAML, JSON or JSON Lines)")
    parser.add_argument("--skip-bad", action="store_true",
                        help="leave out malformed records (counted on stderr) instead of refusing the book")
    parser.add_argument("--now", help="replay up to this ISO time (default: the book's now)")
    parser.add_argument("--config", metavar="RULES.yaml", help="rules file (default: built-in)")


def parse_now(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InputError("--now", [f"not an ISO time: {text!r}"]) from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def run(args: argparse.Namespace) -> int:
    try:
        cfg = load_config(args.config)
        now = parse_now(args.now) if args.now else None
        source = open_book(args.book, skip_bad=args.skip_bad)
        result = backtest(source, cfg, now)
        finish(source, args.book, args.skip_bad)
    except InputError as exc:
        return report(exc)
    if source.skipped:
        print(f"warning: {args.book}: skipped {len(source.skipped)} bad record(s); first: {source.skipped[0]}",
              file=sys.stderr)
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0
