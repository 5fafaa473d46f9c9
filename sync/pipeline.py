"""One poll cycle as plain functions: read the deltas, decide with ``rules``, make it durable.

The cycle never writes to Salesforce or Jira itself. It turns what changed into events, runs
them through :func:`rules.engine.apply` (the same code ``backtest`` runs), and commits the new
rules state, the escalations to write (the outbox) and the advanced cursors in one Redis
transaction. :mod:`sync.writes` then drains the outbox idempotently. So a crash at any line
either loses nothing (the cursor did not move) or duplicates nothing (the outbox is keyed by
account and every write finds what an earlier attempt made).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.errors import FatalError, SkippableRecordError
from connectors.jira_tickets import jira_time, ticket_from_issue, vendor_names
from rules.config import RulesConfig
from rules.directory import Directory, account_of
from rules.escalation import Decision
from rules.events import Event, HealthScored, TicketOpened, ticket_events
from rules.intents import intents_for
from rules.models import Account, Ticket
from rules.replay import Replay
from rules.triggers import Context
from sync.crashpoints import crashpoint
from sync.metrics import decision_counts
from sync.notifications import roles_for
from sync.state import CycleCommit, OutboxEntry, Store

log = logging.getLogger("escalation_sync.pipeline")

SF_ACCOUNTS, SF_HEALTH, JIRA_TICKETS = "salesforce.accounts", "salesforce.health", "jira.tickets"
READ_SLICES = 8  # windows of time a long ticket read is split into, read at once (10k tickets: 4.4 -> ~2.3 s at 100 ms)
SLICE_AFTER = timedelta(hours=6)  # shorter windows (every poll after the first) are read in one go
SLICE_AFTER_TICKETS = 100  # one full search page: fewer tickets than this are read in one go


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class CycleSummary:
    accounts_changed: int = 0
    health_samples: int = 0
    tickets_seen: int = 0
    tickets_new: int = 0
    tickets_skipped: int = 0
    unmatched: list[str] = field(default_factory=list)
    events: int = 0
    opened: int = 0
    updated: int = 0
    duration_s: float = 0.0
    decisions: list[dict[str, Any]] = field(default_factory=list)
    made: list[Decision] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "made"}


class Poller:
    """Reads Salesforce and Jira since the cursors and decides; see the module docstring."""

    def __init__(self, store: Store, salesforce: Any, jira: Any, cfg: RulesConfig, *,
                 support_jql: str, backfill: timedelta, overlap: timedelta,
                 health_mode: str = "auto", clock: Callable[[], datetime] = utcnow):
        self.store, self.sf, self.jira, self.cfg = store, salesforce, jira, cfg
        self.support_jql, self.backfill, self.overlap = support_jql, backfill, overlap
        self.health_mode = health_mode
        self.clock = clock
        self.before_commit: Callable[[CycleCommit, list[Decision]], None] | None = None
        self.progress: Callable[[int], None] | None = None  # tickets read so far (a long backfill)
        # held while deciding and committing (not while reading): the SLA watch decides on the
        # same escalations and takes the same guard, so neither overwrites the other's state
        self.guard: Callable[[], AbstractContextManager[object]] = nullcontext

    # --- reading ------------------------------------------------------------------------

    def directory(self) -> Directory:
        """The people and accounts as last read (users are refreshed hourly)."""
        return Directory.build(self._users(), self.store.accounts().values(), self.cfg.tiers.top_accounts)

    def _users(self) -> list:
        users = self.store.users()
        if users is None:
            users = self.sf.users()
            self.store.save_users(users)
        return users

    def _salesforce(self, now: datetime, commit: CycleCommit, summary: CycleSummary,
                    accounts: dict[str, Account]) -> list[Event]:
        cursor = self.store.cursor(SF_ACCOUNTS)
        events: list[Event] = []
        newest = cursor
        changed_scores: list[tuple[str, datetime, float]] = []
        for account, modstamp, score in self.sf.accounts_since(cursor):
            summary.accounts_changed += 1
            if accounts.get(account.id) != account:
                accounts[account.id] = commit.accounts[account.id] = account
            newest = max(newest, modstamp) if newest else modstamp
            if score is not None:
                changed_scores.append((account.id, modstamp, score))
        newest = min(newest, now) if newest else newest  # a clock ahead of ours must not skip changes
        if newest is not None and newest != cursor:
            commit.cursors[SF_ACCOUNTS] = newest
        if summary.accounts_changed == 0:
            return events  # no account changed, so no health score did: one query, done
        if self.health_mode in ("auto", "history"):
            try:
                events.extend(self._history(now, commit))
            except FatalError:
                if self.health_mode == "history":
                    raise
                log.warning("AccountHistory is not readable; using the connector's own health samples")
                self.health_mode = "samples"
        if self.health_mode == "samples":
            events.extend(HealthScored(at=at, account=a, score=s) for a, at, s in changed_scores)
        summary.health_samples = len(events)
        return events

    def _history(self, now: datetime, commit: CycleCommit) -> list[Event]:
        cursor = self.store.cursor(SF_HEALTH) or (now - self.backfill)
        out: list[Event] = []
        newest = cursor
        for account_id, sample in self.sf.health_since(cursor):
            out.append(HealthScored(at=sample.at, account=account_id, score=sample.score))
            newest = max(newest, sample.at)
        newest = min(newest, now)
        if newest != cursor:
            commit.cursors[SF_HEALTH] = newest
        return out

    def _jira(self, now: datetime, commit: CycleCommit, summary: CycleSummary,
              internal: frozenset[str] = frozenset(), names: frozenset[str] = frozenset()) -> list[Ticket]:
        cursor = self.store.cursor(JIRA_TICKETS)
        since = (cursor - self.overlap) if cursor else (now - self.backfill)
        field_ids = self.jira.field_ids()
        tickets: list[Ticket] = []
        newest = cursor
        for raw in self._ticket_pages(since, now):
            summary.tickets_seen += 1
            if self.progress is not None and summary.tickets_seen % 100 == 0:
                self.progress(summary.tickets_seen)
            try:
                ticket = ticket_from_issue(raw, field_ids, internal, names)
            except SkippableRecordError as exc:
                summary.tickets_skipped += 1
                log.warning("skipping ticket %s: %s", exc.record_id, exc)
                continue
            tickets.append(ticket)
            stamp = ticket.updated or ticket.created
            newest = max(newest, stamp) if newest else stamp
        members = {_seen_member(t): t for t in tickets}
        already = self.store.seen(members)
        fresh = [t for m, t in members.items() if m not in already]
        summary.tickets_new = len(fresh)
        commit.seen.update({m: (t.updated or t.created).timestamp() for m, t in members.items()
                            if m not in already})
        newest = min(newest, now) if newest else newest  # a clock ahead of ours must not skip changes
        if newest is not None and newest != cursor:
            commit.cursors[JIRA_TICKETS] = newest
            commit.seen_before = (newest - self.overlap - timedelta(days=1)).timestamp()
        return fresh

    def _ticket_pages(self, since: datetime, now: datetime) -> Iterator[dict[str, Any]]:
        """The support tickets updated since ``since``, oldest first. Cloud's search pages by
        token, one page after another, so a long read (the first backfill of 10,000 tickets:
        100 pages) is many round trips in a row. When a read over a long window returns more
        than :data:`SLICE_AFTER_TICKETS` tickets, the rest of the window is read as
        :data:`READ_SLICES` windows of time at once; a short read is one search, as before."""
        whole = self.jira.tickets_since(self.support_jql, since)
        if now - since < SLICE_AFTER or READ_SLICES < 2:
            yield from whole
            return
        seen: set[tuple[str, str]] = set()
        last: datetime | None = None
        for raw in whole:
            seen.add(_raw_stamp(raw))
            yield raw
            last = _updated_of(raw) or last
            if len(seen) >= SLICE_AFTER_TICKETS and last is not None:
                break
        else:
            return  # the whole window fit: done
        close = getattr(whole, "close", None)
        if close is not None:
            close()  # no further page of the single read
        step = (now - last) / READ_SLICES
        bounds = [last + step * n for n in range(1, READ_SLICES)]
        windows = list(zip([last, *bounds], [*bounds, None], strict=True))  # the last one open-ended

        def read(window: tuple[datetime, datetime | None]) -> list[dict[str, Any]]:
            return list(self.jira.tickets_since(self.support_jql, window[0], until=window[1]))

        with ThreadPoolExecutor(len(windows), "ticket-read") as pool:
            for page in [pool.submit(read, w) for w in windows]:
                for raw in page.result():
                    if _raw_stamp(raw) not in seen:  # the first read's last minute is read again
                        yield raw

    # --- deciding -----------------------------------------------------------------------

    def cycle(self) -> CycleSummary:
        """Poll both systems once and commit the decisions; returns what happened."""
        started = time.monotonic()
        now = self.clock()
        summary = CycleSummary()
        commit = CycleCommit()
        users = self._users()
        accounts = self.store.accounts()
        events = self._salesforce(now, commit, summary, accounts)
        internal = frozenset(u.email.rpartition("@")[2] for u in users if "@" in u.email)
        # i14: who is the vendor where Jira does not say, e-mail visible or not (connectors.jira_tickets.person)
        tickets = self._jira(now, commit, summary, internal, vendor_names(u.name for u in users))
        directory = Directory.build(users, accounts.values(), self.cfg.tiers.top_accounts)
        with self.guard():
            self._decide_and_commit(now, started, summary, commit, events, tickets, directory)
        return summary

    def _decide_and_commit(self, now: datetime, started: float, summary: CycleSummary, commit: CycleCommit,
                           events: list[Event], tickets: list[Ticket], directory: Directory) -> None:
        for ticket in tickets:
            account = account_of(ticket, directory)
            if account is None:
                summary.unmatched.append(ticket.key)
                commit.unmatched[ticket.key] = now.timestamp()
                log.warning("ticket %s matches no account (reporter domain %s)", ticket.key,
                            ticket.reporter.email.rpartition("@")[2] or "none")
                continue
            events.extend(ticket_events(ticket, account))
        decisions = self._decide(events, directory, commit)
        summary.events = len(events)
        summary.made = decisions
        for d in decisions:
            summary.opened += d.action == "open"
            summary.updated += d.action == "update"
            summary.decisions.append(decision_log(d))
            log.info("escalation %s %s: %s", d.action, d.escalation.id, " | ".join(d.reasons),
                     extra={"decision": decision_log(d)})
        commit.stats.update(cycles=1, events=len(events), opened=summary.opened, updated=summary.updated,
                            unmatched=len(summary.unmatched), skipped=summary.tickets_skipped)
        commit.metrics.update(decision_counts(decisions))
        if self.before_commit is not None:  # the go-live choice (sync/golive.py), inside the same commit
            self.before_commit(commit, decisions)
        crashpoint("pipeline.after_decide")
        self.store.commit(commit)
        crashpoint("pipeline.after_commit")
        summary.duration_s = round(time.monotonic() - started, 3)
        self.store.record_cycle("poll", {"finished": now.isoformat(), **{k: v for k, v in summary.as_dict().items()
                                                                        if k != "decisions"}})

    def _decide(self, events: list[Event], directory: Directory, commit: CycleCommit) -> list[Decision]:
        unknown = {e.account for e in events if e.account not in directory.accounts}
        if unknown:  # e.g. history of an account deleted since: skipped, never fatal to the cycle
            log.warning("skipping events of %d account(s) not in Salesforce: %s", len(unknown),
                        ", ".join(sorted(unknown)[:10]))
            commit.stats["skipped_events"] += sum(e.account in unknown for e in events)
            events = [e for e in events if e.account not in unknown]
        components = {c for e in events if isinstance(e, TicketOpened) for c in e.ticket.components}
        hits = self.store.hits(components)
        involved = {e.account for e in events} | {h.account for hs in hits.values() for h in hs}
        involved &= set(directory.accounts)
        before = self.store.states(involved)
        load = self.store.load()
        replay = Replay(ctx=Context(cfg=self.cfg, directory=directory), states=dict(before),
                        load=Counter(load), hits=dict(hits))  # each put in a running window, as the backtest's
        decisions = replay.feed(events)
        commit.states.update({a: s for a, s in replay.states.items() if before.get(a) != s})
        commit.hits.update({c: list(replay.hits[c]) for c in components})
        commit.load.update({o: n - load.get(o, 0) for o, n in replay.load.items() if n != load.get(o, 0)})
        pending = self.store.outbox_entries({d.escalation.id for d in decisions})
        last = {s.escalation.id: s.escalation for s in before.values() if s.escalation is not None}
        for d in decisions:
            ident = d.escalation.id
            intents = intents_for(last.get(ident), d.escalation, reasons=d.reasons, evidence=d.action == "update",
                                  roles=roles_for(d.escalation, self.cfg))
            last[ident] = d.escalation
            entry = commit.outbox.get(ident) or pending.get(ident)
            if entry is None:
                commit.outbox[ident] = OutboxEntry(d.escalation, list(d.reasons), intents=intents)
            else:
                commit.outbox[ident] = entry.merged(d.escalation, list(d.reasons), intents)
        return decisions


def _fields_of(raw: Any) -> dict[str, Any]:
    """A raw issue's fields, or {} for a malformed one (ticket_from_issue logs and skips it)."""
    fields = raw.get("fields") if isinstance(raw, dict) else None
    return fields if isinstance(fields, dict) else {}


def _raw_stamp(raw: Any) -> tuple[str, str]:
    return str(raw.get("key") if isinstance(raw, dict) else raw), str(_fields_of(raw).get("updated"))


def _updated_of(raw: Any) -> datetime | None:
    stamp = _fields_of(raw).get("updated")
    try:
        return jira_time(stamp) if stamp else None
    except (TypeError, ValueError, AttributeError):
        return None


def _seen_member(ticket: Ticket) -> str:
    return f"{ticket.key}|{(ticket.updated or ticket.created).isoformat()}"


def decision_log(d: Decision) -> dict[str, Any]:
    """The one log line's payload for an escalation decision, with its reasons."""
    e = d.escalation
    return {"action": d.action, "id": e.id, "account": e.account, "account_name": e.account_name,
            "severity": e.severity.label, "tier": e.tier, "owner": e.owner,
            "triggers": sorted({t.kind for t in e.triggers}), "reasons": list(d.reasons)}
