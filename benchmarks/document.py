"""What the tracking document and the monthly review cost: size and render time.

    python benchmarks/document.py [--repeat 50] [--escalations 10000]

For each escalation of the example books, and for one with a 600-entry timeline (the case that
must be cut to fit Jira's 32,767 characters), prints the description's size before this change
(the plain-text summary in one ADF paragraph per line) and after (the tracking document, ADF
JSON and wiki markup), and the median time to build it. Then the time of a six-month review over
N synthetic escalations (the ``report`` command's work once the escalations are read).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from connectors.jira_document import adf, epic_document, size
from rules.backtest import run_backtest
from rules.book import parse_book
from rules.config import default_config
from rules.directory import Directory
from rules.lifecycle.trends import monthly_review
from rules.models import Escalation, PlanStep, Severity, TimelineEntry, Trigger, external_id
from rules.triggers import Context

try:  # the text description this change replaced (gone once the write path no longer has it)
    from sync.writes import epic_description
except ImportError:  # pragma: no cover
    epic_description = None

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def long_timeline(base: Escalation) -> Escalation:
    entries = tuple(TimelineEntry(at=base.opened + timedelta(minutes=i), text=f"entry {i}: " + "x" * 150)
                    for i in range(600))
    return base.model_copy(update={"timeline": entries})


def synthetic(n: int) -> list[Escalation]:
    out = []
    start = datetime(2026, 5, 1, 9, tzinfo=UTC)
    kinds = ("keyword", "ticket_burst", "health_drop", "social", "repeat")
    for i in range(n):
        opened = start + timedelta(hours=7 * i % (200 * 24))
        done = i % 3 != 0
        out.append(Escalation(
            id=external_id(f"B{i}", opened), account=f"B{i}", account_name=f"Customer {i}", opened=opened,
            severity=Severity(1 + i % 4), tier=1 + i % 4, owner=f"owner{i % 40}@vendor.example",
            triggers=(Trigger(id=f"t{i}", kind=kinds[i % 5], account=f"B{i}", at=opened),),
            plan=(PlanStep(step="intake", owner=None, due=opened + timedelta(hours=1)),),
            acknowledged_at=opened + timedelta(minutes=20 + i % 90),
            status="Closed" if done else "Open", resolved_at=opened + timedelta(days=2 + i % 12) if done else None,
            closed_at=opened + timedelta(days=3 + i % 12) if done else None,
            concession_given=(i % 14 == 0) if done else None,
            root_cause=("product_bug", "routing_failure", "sla_breach")[i % 3] if done else None))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--escalations", type=int, default=10_000)
    args = parser.parse_args()
    cfg = default_config()
    rows = []
    for path in sorted(EXAMPLES.glob("*.yaml")):
        book = parse_book(path.read_text("utf-8"), path.name)
        arr = {a.id: a.arr for a in book.accounts}
        for esc in run_backtest(book, cfg).escalations():
            rows.append((f"{path.stem}: {esc.account_name}", esc, arr.get(esc.account)))
    rows.append(("600-entry timeline (cut to fit)", long_timeline(rows[0][1]), rows[0][2]))
    print("| escalation | before: text ADF (chars) | after: ADF | after: wiki | build ADF | build wiki |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, esc, value in rows:
        before = f"{size(adf(epic_description(esc))):,}" if epic_description else "-"
        cloud = epic_document(esc, cloud=True, arr=value)
        wiki = epic_document(esc, cloud=False, arr=value)
        t_cloud = median_ms(lambda e=esc, v=value: epic_document(e, cloud=True, arr=v), args.repeat)
        t_wiki = median_ms(lambda e=esc, v=value: epic_document(e, cloud=False, arr=v), args.repeat)
        print(f"| {name} | {before} | {size(cloud):,} | {size(wiki):,} | {t_cloud:.2f} ms | {t_wiki:.2f} ms |")
    escs = synthetic(args.escalations)
    ctx = Context(cfg=cfg, directory=Directory.build((), (), cfg.tiers.top_accounts))
    started = time.perf_counter()
    review = monthly_review(escs, "2026-11", ctx)
    took = time.perf_counter() - started
    print(f"\nsix-month review over {len(escs):,} escalations: {took:.2f} s "
          f"({sum(r.opened for r in review.trend):,} opened in the trend); review JSON "
          f"{len(json.dumps(review.model_dump(mode='json'))):,} chars")


if __name__ == "__main__":
    main()
