"""``escalation-sync backtest BOOK [--now ISO] [--config RULES]``: the rules over history."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime

from rules.backtest import backtest
from rules.errors import InputError
from sync.commands.files import load_book, load_config, report


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("book", metavar="BOOK", help="a book of business (YAML or JSON)")
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
        book = load_book(args.book)
        now = parse_now(args.now) if args.now else None
    except InputError as exc:
        return report(exc)
    json.dump(backtest(book, cfg, now), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0
