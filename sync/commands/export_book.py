"""``escalation-sync export-book --since 90d [--out FILE] [--format json|jsonl]``: your history as a book.

Read-only, through the same connectors and settings as the poller, and paging as it pages (the
tickets as the first backfill reads them, windows of time at once: sync/commands/export_read.py):
Salesforce users (role, manager), accounts, health history (``AccountHistory``; the current score
when history is not readable), the existing ``Escalation__c`` records with their status (a
dismissed one is the people's judgement) and root cause; Jira tickets of ``JIRA_SUPPORT_JQL``
updated within the period, with their comments and visibility. ``backtest`` reads the result.

The book holds customer text, so the file is created with mode 600 and the command says so.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import IO, Any

from connectors.errors import FatalError, SkippableRecordError
from connectors.jira_tickets import ticket_from_issue
from rules.durations import parse_duration
from rules.errors import InputError
from rules.models import Account, BookEscalation, HealthSample
from sync.commands.export_read import READERS, WINDOW_TICKETS, read_tickets
from sync.commands.files import report

log = logging.getLogger("escalation_sync.export")

ESCALATION_FIELDS = ("External_Id__c", "Account__c", "Status__c", "Opened_At__c", "Severity__c", "Tier__c",
                     "Owner_Email__c", "Root_Cause__c")
DISMISSAL_FIELDS = ("Dismissed_At__c", "Dismissed_By__c", "Dismissed_Trigger_Kinds__c")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", default="90d", help="how far back (a duration: 90d, 12w; default 90d)")
    parser.add_argument("--out", metavar="FILE", help="file to write (mode 600; default: stdout)")
    parser.add_argument("--format", choices=("json", "jsonl"), default=None,
                        help="json or jsonl (default: by the file's name, else jsonl)")


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Progress:
    """A one-line counter on a terminal; silent when stderr is a file or a pipe."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream, self.on = stream, stream.isatty()

    def show(self, what: str, count: int) -> None:
        if self.on and (count % 100 == 0 or count < 100):
            self.stream.write(f"\r{what}: {count:,}   ")
            self.stream.flush()

    def done(self, what: str, count: int) -> None:
        if self.on:
            self.stream.write(f"\r{what}: {count:,} done\n")
            self.stream.flush()


class Exporter:
    """Reads both systems once and yields the book's records (the JSON Lines shape)."""

    def __init__(self, salesforce: Any, jira: Any, *, support_jql: str, since: datetime, now: datetime,
                 health_mode: str = "auto", progress: Progress | None = None, readers: int = READERS,
                 window_tickets: int = WINDOW_TICKETS) -> None:
        self.sf, self.jira = salesforce, jira
        self.support_jql, self.since, self.now = support_jql, since, now
        self.health_mode = health_mode
        self.readers, self.window_tickets = max(1, readers), window_tickets
        self.progress = progress or Progress(open(os.devnull, "w"))  # noqa: SIM115
        self.counts: dict[str, int] = defaultdict(int)

    def records(self) -> Iterator[dict[str, Any]]:
        yield {"kind": "now", "at": _iso(self.now)}
        users = self.sf.users()
        for user in users:
            yield {"kind": "user", **user.model_dump(mode="json", exclude_none=True)}
        self.counts["users"] = len(users)
        for account in self._accounts():
            self.counts["accounts"] += 1
            self.counts["health"] += len(account.health)
            yield {"kind": "account", **account.model_dump(mode="json", exclude_none=True)}
        for escalation in self._escalations():
            self.counts["escalations"] += 1
            yield {"kind": "escalation", **escalation.model_dump(mode="json", exclude_none=True)}
        internal = frozenset(u.email.rpartition("@")[2] for u in users if "@" in u.email)
        field_ids = self.jira.field_ids()

        def convert(raw: dict[str, Any]) -> dict[str, Any] | SkippableRecordError:
            try:
                ticket = ticket_from_issue(raw, field_ids, internal)
            except SkippableRecordError as exc:
                return exc
            return {"kind": "ticket", **ticket.model_dump(mode="json", exclude_none=True)}

        def read(since: datetime | None, until: datetime | None) -> Iterator[dict[str, Any]]:
            found: Iterator[dict[str, Any]] = self.jira.tickets_since(self.support_jql, since, until=until)
            return found

        for record in read_tickets(read, convert, self.since, self.now, readers=self.readers,
                                   window_tickets=self.window_tickets):
            if isinstance(record, SkippableRecordError):
                self.counts["tickets_skipped"] += 1
                log.warning("skipping ticket %s: %s", record.record_id, record)
                continue
            self.counts["tickets"] += 1
            self.progress.show("tickets", self.counts["tickets"])
            yield record
        self.progress.done("tickets", self.counts["tickets"])

    def _accounts(self) -> list[Account]:
        accounts: dict[str, Account] = {}
        scores: dict[str, list[HealthSample]] = defaultdict(list)
        current: dict[str, HealthSample] = {}
        for account, stamp, score in self.sf.accounts_since(None):
            accounts[account.id] = account
            if score is not None and stamp is not None:
                current[account.id] = HealthSample(at=min(stamp, self.now), score=score)
            self.progress.show("accounts", len(accounts))
        self.progress.done("accounts", len(accounts))
        history = self.health_mode in ("auto", "history")
        if history:
            try:
                for account_id, sample in self.sf.health_since(self.since):
                    scores[account_id].append(sample)
            except FatalError:
                if self.health_mode == "history":
                    raise
                log.warning("AccountHistory is not readable; exporting each account's current health score")
                history, scores = False, defaultdict(list)
        if not history:
            for account_id, sample in current.items():
                scores[account_id].append(sample)
        return [a.model_copy(update={"health": tuple(sorted({s.at: s for s in (*a.health, *scores[a.id])}.values(),
                                                            key=lambda s: s.at))})
                for a in accounts.values()]

    def _escalations(self) -> list[BookEscalation]:
        rows = None
        for fields in (ESCALATION_FIELDS + DISMISSAL_FIELDS, ESCALATION_FIELDS):
            try:
                rows = list(self.sf.query("escalations", f"SELECT {', '.join(fields)} FROM Escalation__c"))
                break
            except FatalError as exc:  # an org without the dismissal fields yet
                log.info("escalation query with %s refused (%s); trying fewer fields", fields[-1], exc)
        out = []
        for row in rows or ():
            try:
                kinds = [k.strip() for k in (row.get("Dismissed_Trigger_Kinds__c") or "").split(";") if k.strip()]
                out.append(BookEscalation(
                    id=row["External_Id__c"], account=row["Account__c"], opened=row.get("Opened_At__c"),
                    status=row.get("Status__c") or "Open", dismissed_at=row.get("Dismissed_At__c"),
                    dismissed_by=row.get("Dismissed_By__c"), kinds=tuple(kinds), severity=row.get("Severity__c"),
                    tier=int(row["Tier__c"]) if row.get("Tier__c") is not None else None,
                    owner=row.get("Owner_Email__c"), root_cause=row.get("Root_Cause__c")))
            except (KeyError, ValueError, TypeError) as exc:
                log.warning("skipping escalation record %s: %s", row.get("External_Id__c"), exc)
        return out


def write_records(out: IO[str], records: Iterator[dict[str, Any]], fmt: str) -> None:
    """JSON Lines one record a line; JSON as one book object, streamed section by section."""
    if fmt == "jsonl":
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        return
    sections = {"user": "users", "account": "accounts", "escalation": "escalations", "ticket": "tickets"}
    current = None
    out.write("{")
    for record in records:
        kind = record.pop("kind")
        if kind == "now":
            out.write(f'"now": {json.dumps(record["at"])}')
            continue
        if sections[kind] != current:
            out.write("]" if current else "")
            out.write(f', "{sections[kind]}": [')
            current, first = sections[kind], True
        out.write(("" if first else ", ") + json.dumps(record, ensure_ascii=False))
        first = False
    out.write("]}\n" if current else "}\n")


def open_private(path: str) -> IO[str]:
    """Create (or truncate) the file readable by its owner only: it holds customer text."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps its mode through O_CREAT: set it
    return os.fdopen(fd, "w", encoding="utf-8")


class _Unpaced:
    """Stands in for the Redis limiter when no Redis is reachable: an export alone needs none."""

    def wrap(self, session: Any) -> None:
        del session


def connectors(settings: Any) -> tuple[Any, Any]:
    """The poller's Salesforce and Jira connectors, paced with the running service through Redis
    when it is reachable (they share one rate budget), unpaced otherwise."""
    import redis

    from sync.runtime import Runtime

    rt = Runtime(settings)
    try:
        rt.redis.ping()
    except (redis.RedisError, OSError):
        log.info("Redis is not reachable: the export's calls are not paced with a running service")
        rt.__dict__["limiters"] = {"jira": _Unpaced(), "salesforce": _Unpaced()}
    return rt.salesforce, rt.jira


def run(args: argparse.Namespace) -> int:
    from sync.settings import Settings

    try:
        period = parse_duration(args.since)
    except (ValueError, TypeError) as exc:
        return report(InputError("--since", [f"not a duration: {args.since!r} ({exc})"]))
    fmt = args.format or ("json" if (args.out or "").endswith(".json") else "jsonl")
    settings = Settings()
    salesforce, jira = connectors(settings)
    now = datetime.now(UTC)
    exporter = Exporter(salesforce, jira, support_jql=settings.jira_support_jql, since=now - period,
                        now=now, health_mode=settings.salesforce_health_history, progress=Progress(sys.stderr),
                        readers=min(READERS, settings.jira_max_in_flight))
    print("warning: the book holds customer text (tickets, comments, contacts): keep it private"
          + (f"; {args.out} is created with mode 600" if args.out else ""), file=sys.stderr)
    out = open_private(args.out) if args.out else sys.stdout
    try:
        write_records(out, exporter.records(), fmt)
    finally:
        if out is not sys.stdout:
            out.close()
    counts = ", ".join(f"{v:,} {k}" for k, v in exporter.counts.items())
    print(f"exported {counts}" + (f" to {args.out}" if args.out else ""), file=sys.stderr)
    return 0
