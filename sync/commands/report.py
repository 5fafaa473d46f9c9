"""``escalation-sync report [--month YYYY-MM] [--months N] [--html FILE]``: the monthly review.

Markdown on stdout (paste it into chat), and with ``--html`` one self-contained page with the
six-month trends, per-kind precision and the playbook's reference lines.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from rules.lifecycle import to_html, to_markdown
from rules.lifecycle.measures import parse_month
from rules.lifecycle.trends import TREND_MONTHS, monthly_review
from rules.triggers import Context
from sync.commands.sync_once import settings_or_exit
from sync.runtime import Runtime


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--month", help="YYYY-MM (default: the current month)")
    parser.add_argument("--months", type=int, default=TREND_MONTHS,
                        help=f"months of trend, the report's month included (default {TREND_MONTHS})")
    parser.add_argument("--html", metavar="FILE", help="also write the report as an HTML page with charts")


def run(args: argparse.Namespace) -> int:
    month = args.month or datetime.now(UTC).strftime("%Y-%m")
    try:
        parse_month(month)
    except ValueError as exc:
        print(f"error: --month: {exc}", file=sys.stderr)
        return 2
    months = getattr(args, "months", TREND_MONTHS)
    if not 1 <= months <= 36:
        print(f"error: --months: {months} is not between 1 and 36", file=sys.stderr)
        return 2
    settings = settings_or_exit()
    if isinstance(settings, int):
        return settings
    rt = Runtime(settings)
    ctx = Context(cfg=rt.rules, directory=rt.poller.directory())
    report = monthly_review(rt.store.escalations().values(), month, ctx, months=months)
    sys.stdout.write(to_markdown(report))
    if args.html:
        Path(args.html).write_text(to_html(report), encoding="utf-8")
        print(f"\n(HTML written to {args.html})", file=sys.stderr)
    return 0
