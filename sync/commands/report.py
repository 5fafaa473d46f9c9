"""``escalation-sync report [--month YYYY-MM] [--html FILE]``: the monthly learning-loop review."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from rules.lifecycle import monthly_report, to_html, to_markdown
from rules.lifecycle.measures import parse_month
from rules.triggers import Context
from sync.commands.sync_once import settings_or_exit
from sync.runtime import Runtime


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--month", help="YYYY-MM (default: the current month)")
    parser.add_argument("--html", metavar="FILE", help="also write the report as an HTML page with charts")


def run(args: argparse.Namespace) -> int:
    month = args.month or datetime.now(UTC).strftime("%Y-%m")
    try:
        parse_month(month)
    except ValueError as exc:
        print(f"error: --month: {exc}", file=sys.stderr)
        return 2
    settings = settings_or_exit()
    if isinstance(settings, int):
        return settings
    rt = Runtime(settings)
    ctx = Context(cfg=rt.rules, directory=rt.poller.directory())
    report = monthly_report(rt.store.escalations().values(), month, ctx)
    sys.stdout.write(to_markdown(report))
    if args.html:
        Path(args.html).write_text(to_html(report), encoding="utf-8")
        print(f"\n(HTML written to {args.html})", file=sys.stderr)
    return 0
