"""Going live in the shell: the first go-live remembered, and the go-live choice carried out.

The connector's first cycle backfills weeks of history and can open dozens of escalations at
once. What they get is the ``GO_LIVE`` setting (:mod:`rules.lifecycle.visible` decides; this
module only reads and writes Redis):

* the first cycle's start is recorded once under ``{ns}:golive`` (``at``); a restart finds it
  and is not a go-live, so nothing later counts as "found in history";
* ``skip``: escalations found in history are left out of the cycle's commit (outbox, the
  watch's open set), kept in the rules state (so their evidence does not open them again), and
  listed under ``{ns}:golive:skipped`` (for ``status``) and in the log;
* ``quiet``: their ``Notify`` intents are dropped and one ``go_live_digest`` Notify intent,
  listing them, rides on the most severe one (sent once its epic exists);
* ``notify``: nothing changes.

It works on the cycle's commit (:meth:`GoLiveGate.before_commit`, called by the poller just
before it commits), so the treatment is durable with the decisions. A dry run executes no
intent, so it notifies nobody and is never the go-live.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from connectors.notify import NotifyEvent
from rules.config import RulesConfig
from rules.intents import Notify, NotifyKind, intents_for, merge
from rules.lifecycle.visible import GoLive, digest_lines, found_in_history, skipped_still
from rules.models import Escalation
from sync.notifications import roles_for
from sync.state import CycleCommit, OutboxEntry, Store

log = logging.getLogger("escalation_sync.golive")


def golive_key(store: Store) -> str:
    return f"{store.k.ns}:golive"


def skipped_key(store: Store) -> str:
    return f"{store.k.ns}:golive:skipped"


def go_live_at(store: Store) -> datetime | None:
    """When the connector first went live (the first cycle's start), or None before it."""
    raw = store.r.hget(golive_key(store), "at")
    return datetime.fromisoformat(raw.decode()) if raw else None


def begin_cycle(store: Store, now: datetime, choice: GoLive, dry_run: bool = False) -> tuple[datetime, bool]:
    """Record the go-live on the first cycle that writes (once: HSETNX); later cycles read it.

    Returns the go-live moment and whether this cycle is the go-live. A dry run writes
    nothing, so it is never the go-live: it decides as if it were, at ``now``.
    """
    if dry_run:
        found = go_live_at(store)
        return (found, False) if found else (now, True)
    first = bool(store.r.hsetnx(golive_key(store), "at", now.isoformat()))
    if first:
        store.r.hset(golive_key(store), "choice", choice)
        log.info("going live at %s with GO_LIVE=%s", now.isoformat(), choice)
    found = go_live_at(store)
    assert found is not None
    return found, first


def skipped(store: Store) -> dict[str, dict[str, Any]]:
    """The escalations found in history and skipped at go-live (``status`` lists them)."""
    return {k.decode(): json.loads(v) for k, v in store.r.hgetall(skipped_key(store)).items()}


class GoLiveGate:
    """One cycle's go-live treatment, applied to what the cycle commits (its outbox entries and
    their intents), so it is durable with the decisions: nothing to filter after a crash."""

    def __init__(self, store: Store, choice: GoLive, poll: timedelta, now: datetime, *,
                 cfg: RulesConfig | None = None, dry_run: bool = False):
        self.store, self.choice, self.poll, self.cfg, self.dry_run = store, choice, poll, cfg, dry_run
        self.at, self.first = begin_cycle(store, now, choice, dry_run)
        self.history: list[Escalation] = []
        self.held: list[str] = []

    def is_history(self, esc: Escalation) -> bool:
        return found_in_history(esc.opened, self.at, self.poll)

    def before_commit(self, commit: CycleCommit, made: Sequence[Any]) -> None:
        """Adjust the cycle's commit (the poller calls this just before committing)."""
        entries = commit.outbox
        opened = {d.escalation.id for d in made if d.action == "open" and self.is_history(d.escalation)}
        if self.first and not self.dry_run:  # decided by dry runs before, never written: history too
            for ext, entry in self.store.outbox().items():
                if ext not in entries and self.is_history(entry.escalation) and not self.store.index(ext):
                    entries[ext] = entry
                    opened.add(ext)
        self.history = [entries[x].escalation for x in sorted(opened) if x in entries]
        if self.choice == "skip":
            self._skip(commit, opened)
        elif self.choice == "quiet" and self.history:
            for esc in self.history:
                entry = entries[esc.id]
                entry.intents = [i for i in entry.intents if not isinstance(i, Notify)]
            lead = digest_lead(self.history)
            entries[lead.id].intents = merge(entries[lead.id].intents, [digest_intent(self.history, self.at)])

    apply = before_commit  # the name the runtime and preview use

    def hold_back_pending(self, made: Sequence[Any]) -> list[str]:
        """What dry runs left in the outbox is handled inside :meth:`before_commit` already."""
        return []

    def _skip(self, commit: CycleCommit, opened: set[str]) -> None:
        """History escalations stay in the rules state (their evidence fired once), out of the
        outbox and the watch; one with evidence after go-live is written, from scratch."""
        already = skipped(self.store)
        for ext, entry in list(commit.outbox.items()):
            esc = entry.escalation
            if ext not in opened and ext not in already:
                continue
            if skipped_still(esc, self.at, self.poll):
                del commit.outbox[ext]
                self.store.r.hdel(self.store.k.outbox, ext)  # a dry run's leftover, if any
                self.store.r.hdel(self.store.k.escalations, ext)
                self.store.r.srem(self.store.k.open, ext)
                self.store.r.hset(skipped_key(self.store), ext, json.dumps(summary_of(esc)))
                self.held.append(ext)
                log.info("go-live skip: escalation %s of %s found in history (opened %s, %s, tier %s): "
                         "not written", ext, esc.account_name, esc.opened.isoformat(), esc.severity.label, esc.tier)
            elif ext in already:  # new evidence after go-live: judged as new, so written whole
                roles = roles_for(esc, self.cfg) if self.cfg is not None else ()
                commit.outbox[ext] = OutboxEntry(esc, entry.reasons, intents=intents_for(
                    None, esc, reasons=entry.reasons, roles=roles))
                self.store.r.hdel(skipped_key(self.store), ext)


def summary_of(esc: Escalation) -> dict[str, Any]:
    return {"account": esc.account, "account_name": esc.account_name, "severity": esc.severity.label,
            "tier": esc.tier, "owner": esc.owner, "opened": esc.opened.isoformat(),
            "triggers": sorted({t.kind for t in esc.triggers})}


def digest_lead(history: Sequence[Escalation]) -> Escalation:
    """The escalation the digest rides on (the most severe: it is sent once its epic exists)."""
    return sorted(history, key=lambda e: (int(e.severity), -e.tier, e.account_name, e.id))[0]


def digest_lines_for(history: Sequence[Escalation], at: datetime) -> tuple[str, ...]:
    return (f"Going live ({at:%Y-%m-%d %H:%M}Z): {len(history)} escalation(s) found in history, "
            "opened quietly (records and epics written, no notification each):", *digest_lines(history))


def digest_key(history: Sequence[Escalation], at: datetime) -> str:
    digest = hashlib.sha1("|".join(sorted(e.id for e in history)).encode()).hexdigest()[:12]
    return f"go-live-digest|{at:%Y%m%dT%H%M%SZ}|{digest}"


def digest_intent(history: Sequence[Escalation], at: datetime) -> Notify:
    """The one ``go_live_digest`` notification, as an intent of the lead escalation."""
    return Notify(digest_lead(history).id, kind=NotifyKind.GO_LIVE_DIGEST, id=digest_key(history, at),
                  reasons=digest_lines_for(history, at), roles=())


def digest_event(history: Sequence[Escalation], at: datetime) -> NotifyEvent:
    """The digest as the notification it becomes (what the executor sends for the intent)."""
    return NotifyEvent("go_live_digest", digest_lead(history), reasons=digest_lines_for(history, at), roles=(),
                       epic_key=None, key=digest_key(history, at))


def go_live_status(store: Store) -> dict[str, Any]:
    """For ``status``: when the connector went live, with which choice, and what it skipped."""
    raw = {k.decode(): v.decode() for k, v in store.r.hgetall(golive_key(store)).items()}
    return {"go_live": {"at": raw.get("at"), "choice": raw.get("choice")},
            "skipped_at_go_live": sorted(skipped(store).values(), key=lambda e: (e["severity"], e["account_name"]))}


def print_go_live(status: dict[str, Any]) -> None:
    info = status.get("go_live") or {}
    if not info.get("at"):
        print("go-live: not yet (the first cycle records it)")
        return
    listed = status.get("skipped_at_go_live") or []
    print(f"went live {info['at']} with GO_LIVE={info.get('choice')}; "
          f"{len(listed)} escalation(s) found in history skipped")
    for e in listed:
        print(f"  skipped: {e['account_name']} {e['severity']} tier {e['tier']} owner {e['owner'] or '-'} "
              f"opened {e['opened']} ({', '.join(e['triggers'])})")
