"""``escalation-sync preview [--json]``: what going live would do, without doing any of it.

Reads the live org and site with the settings in use and runs the first cycle's decisions on
a scratch in-process store (the configured Redis is only asked whether it went live already): the escalations it would
open (account, tier, severity, owner, triggers, found in history or not), the notifications
each go-live choice would send, and the API calls the first cycle would make - the reads it
just made, counted, and the writes the writer would send, counted by a stand-in that answers
like Salesforce and Jira without sending anything. Nothing is written anywhere.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter
from datetime import timedelta
from typing import Any

from connectors.calls import drain
from connectors.errors import ConnectorError
from rules.intents import Notify
from rules.lifecycle.visible import GO_LIVE_CHOICES, found_in_history, treatment
from sync.commands.sync_once import settings_or_exit
from sync.golive import GoLiveGate, golive_key
from sync.runtime import Runtime
from sync.state import CycleCommit
from sync.writes import Writer

BULK_JIRA, BULK_SALESFORCE = 50, 200


class WriteCounter:
    """Stands in for a connector's write methods: counts the calls the writer would make."""

    def __init__(self, real: Any, system: str, calls: Counter[str]):
        self._real, self._system, self._calls = real, system, calls
        self._keys = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)  # reads (field ids, user lookups, cloud) go to the real connector

    def _count(self, what: str, n: int = 1) -> None:
        self._calls[f"{self._system} {what}"] += n

    # Jira
    def create(self, issues: list[dict[str, Any]]) -> list[str]:
        self._count("bulk create", math.ceil(len(issues) / BULK_JIRA))
        self._keys += len(issues)
        return [f"PREVIEW-{self._keys - len(issues) + i + 1}" for i in range(len(issues))]

    def create_chunk(self, chunk: list[dict[str, Any]], version: int | None = None) -> list[str]:
        self._count("bulk create")  # the executor sends at most 50 a call, ticket links inside
        self._keys += len(chunk)
        return [f"PREVIEW-{self._keys - len(chunk) + i + 1}" for i in range(len(chunk))]

    def update(self, key: str, fields: dict[str, Any]) -> None:
        self._count("update issue")

    def edit(self, key: str, fields: dict[str, Any]) -> None:
        self._count("update issue")

    def comment_texts(self, key: str) -> list[str]:
        return []

    def transition(self, key: str, to: str) -> bool:
        self._count("transition", 2)
        return True

    def comment(self, key: str, body: str) -> None:
        self._count("comment")

    def watch(self, key: str, account_id: str) -> None:
        self._count("add watcher")

    def link(self, link_type: str, inward: str, outward: str) -> None:
        self._count("link issues")

    def by_label(self, *args: Any, **kwargs: Any) -> list[Any]:
        return []

    def children(self, *args: Any, **kwargs: Any) -> list[Any]:
        return []

    # Salesforce
    def upsert(self, sobject: str, external_field: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        self._count(f"upsert {sobject}", math.ceil(len(records) / BULK_SALESFORCE))
        return [{"success": True, "id": f"a00PREVIEW{i:08d}"} for i in range(len(records))]


def preview(rt: Runtime) -> dict[str, Any]:
    """The first cycle's decisions, notifications and API calls, computed on a scratch store."""
    import fakeredis

    live = _went_live(rt.settings.redis_url)
    rt.__dict__["redis"] = fakeredis.FakeRedis()  # the configured Redis is only read, once, above
    s = rt.settings
    poll = timedelta(seconds=s.poll_interval_seconds)
    drain()
    now = rt.clock()
    gate = GoLiveGate(rt.store, s.go_live, poll, now)
    summary = rt.poller.cycle()  # on the scratch store, every notification kept: counted per choice below
    reads = Counter({f"{system} read": n for (system, _), n in drain().items()})
    final = {d.escalation.id: d.escalation for d in summary.made}  # as the cycle leaves it (later updates)
    opened = [final[d.escalation.id] for d in summary.made if d.action == "open"]
    outbox = rt.store.outbox()  # the cycle's Notify intents, as committed (GO_LIVE=notify: unfiltered)
    events = [(ext, i.kind.value) for ext, entry in outbox.items() for i in entry.intents if isinstance(i, Notify)]
    history = {e.id for e in opened if found_in_history(e.opened, gate.at, poll)}
    notifications: dict[str, dict[str, int]] = {}
    for choice in GO_LIVE_CHOICES:
        kinds: Counter[str] = Counter()
        for ext, kind in events:
            if treatment(choice, ext in history).notify:
                kinds[kind] += 1
        if choice == "quiet" and history:
            kinds["go_live_digest"] += 1
        notifications[choice] = {"total": sum(kinds.values()), **dict(sorted(kinds.items()))}
    if s.go_live != "notify":  # the writes of the choice in use
        commit = CycleCommit(outbox=dict(outbox))
        gate.apply(commit, summary.made)
        dropped = set(outbox) - set(commit.outbox)
        for ext in dropped:
            rt.store.finish(ext, outbox[ext].version)
        if commit.outbox:
            rt.store.r.hset(rt.store.k.outbox, mapping={x: e.to_json() for x, e in commit.outbox.items()})
    writes: Counter[str] = Counter()
    w = rt.writer
    sf, jira = WriteCounter(rt.salesforce, "salesforce", writes), WriteCounter(rt.jira, "jira", writes)
    counting = Writer(rt.store, sf, jira, w.shape, settle_seconds=w.settle, clock=w.clock, calendar=w.calendar,
                      send=lambda event: True)  # a notification is not an API call of either system
    counting.flush()
    reads.update({f"{system} read": n for (system, _), n in drain().items()})  # user lookups while writing
    return {
        "now": now.isoformat(), "go_live": s.go_live, "dry_run": s.dry_run, "already_live_since": live,
        "escalations": [{
            "id": e.id, "account": e.account, "account_name": e.account_name,
            "tier": e.tier, "severity": e.severity.label, "owner": e.owner,
            "triggers": sorted({t.kind for t in e.triggers}),
            "opened": e.opened.isoformat(), "found_in_history": e.id in history,
            "written": treatment(s.go_live, e.id in history).write,
        } for e in sorted(opened, key=lambda e: (int(e.severity), -e.tier, e.id))],
        "notifications": notifications,
        "api_calls": {"reads": dict(sorted(reads.items())), "writes": dict(sorted(writes.items())),
                      "total": sum(reads.values()) + sum(writes.values())},
        "tickets_seen": summary.tickets_seen, "unmatched": len(summary.unmatched),
    }


def _went_live(url: str) -> str | None:
    """When the configured connector went live, if it did (a read; an unreachable Redis is fine)."""
    import redis

    from sync.state import Store

    try:
        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        raw = client.hget(golive_key(Store(client)), "at")
    except redis.RedisError:
        return None
    return raw.decode() if raw else None


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def _table(out: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title=f"escalation-sync preview: the first cycle would open {len(out['escalations'])} "
                        f"escalation(s) (GO_LIVE={out['go_live']})")
    for name in ("account", "tier", "severity", "owner", "triggers", "found in history", "written"):
        table.add_column(name)
    for e in out["escalations"]:
        table.add_row(e["account_name"], str(e["tier"]), e["severity"], e["owner"] or "-", ", ".join(e["triggers"]),
                      "yes" if e["found_in_history"] else "no", "yes" if e["written"] else "no")
    console.print(table)
    notes = Table(title="notifications by go-live choice")
    notes.add_column("GO_LIVE")
    notes.add_column("total")
    notes.add_column("by kind")
    for choice, kinds in out["notifications"].items():
        notes.add_row(choice + (" (in use)" if choice == out["go_live"] else ""), str(kinds["total"]),
                      ", ".join(f"{k} {v}" for k, v in kinds.items() if k != "total") or "-")
    console.print(notes)
    calls = out["api_calls"]
    console.print("API calls of the first cycle: " + ", ".join(
        f"{k} {v}" for k, v in {**calls["reads"], **calls["writes"]}.items()) + f" (total {calls['total']})")
    if out.get("already_live_since"):
        console.print(f"Note: this connector went live {out['already_live_since']}; the above is what a first "
                      "cycle from an empty Redis would do.")
    console.print("Nothing was written (Salesforce, Jira and Redis untouched).")


def run(args: argparse.Namespace) -> int:
    settings = settings_or_exit()
    if isinstance(settings, int):
        return settings
    try:
        out = preview(Runtime(settings))
    except ConnectorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        _table(out)
    return 0
