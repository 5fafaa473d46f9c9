"""Going live in the shell: the first go-live remembered, and the go-live choice carried out.

The connector's first cycle backfills weeks of history and can open dozens of escalations at
once. What they get is the ``GO_LIVE`` setting (:mod:`rules.lifecycle.visible` decides; this
module only reads and writes Redis):

* the first cycle's start is recorded once under ``{ns}:golive`` (``at``); a restart finds it
  and is not a go-live, so nothing later counts as "found in history";
* ``skip``: escalations found in history are taken out of the outbox and the watch before
  anything is written (kept in the rules state, so their evidence does not open them again)
  and listed under ``{ns}:golive:skipped`` (for ``status``) and in the log;
* ``quiet``: their per-escalation notifications are dropped and one digest notification
  (kind ``go_live_digest``) lists them;
* ``notify``: nothing changes.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from connectors.notify import NotifyEvent
from rules.intents import Notify, NotifyKind
from rules.lifecycle.visible import GoLive, digest_lines, found_in_history, skipped_still, treatment
from rules.models import Escalation
from sync.state import CycleCommit, Store

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
    """One cycle's go-live treatment: what is held back before the flush, what is told after."""

    def __init__(self, store: Store, choice: GoLive, poll: timedelta, now: datetime, dry_run: bool = False):
        self.store, self.choice, self.poll, self.dry_run = store, choice, poll, dry_run
        self.at, self.first = begin_cycle(store, now, choice, dry_run)
        self.history: list[Escalation] = []

    def is_history(self, esc: Escalation) -> bool:
        return found_in_history(esc.opened, self.at, self.poll)

    def _history_of(self, made: Sequence[Any]) -> dict[str, Escalation]:
        return {d.escalation.id: d.escalation for d in made
                if d.action == "open" and self.is_history(d.escalation)}

    def _skip(self, esc: Escalation) -> None:
        self.store.r.hset(skipped_key(self.store), esc.id, json.dumps({
            "account": esc.account, "account_name": esc.account_name, "severity": esc.severity.label,
            "tier": esc.tier, "owner": esc.owner, "opened": esc.opened.isoformat(),
            "triggers": sorted({t.kind for t in esc.triggers})}))
        log.info("go-live skip: escalation %s of %s found in history (opened %s, %s, tier %s): not written",
                 esc.id, esc.account_name, esc.opened.isoformat(), esc.severity.label, esc.tier)

    def apply(self, commit: CycleCommit, made: Sequence[Any]) -> None:
        """Inside the poll's commit (so a crash cannot let a storm through): ``skip`` takes the
        escalations found in history out of the outbox; ``quiet`` drops their Notify intents and
        adds one digest Notify intent to the most severe one's entry."""
        opened = self._history_of(made)
        self.history = [opened[x] for x in sorted(opened)]
        if self.dry_run or self.choice == "notify":
            return
        if self.choice == "skip":
            already = skipped(self.store)
            for ext, entry in list(commit.outbox.items()):
                esc = entry.escalation
                if (ext in opened or ext in already) and skipped_still(esc, self.at, self.poll):
                    del commit.outbox[ext]  # kept in the rules state: its evidence does not open it again
                    self._skip(esc)
            return
        silenced = {e.id for e in self.history if not treatment(self.choice, True).notify}
        for ext in silenced & set(commit.outbox):
            entry = commit.outbox[ext]
            entry.intents = [i for i in entry.intents if not isinstance(i, Notify)]
        if self.history:
            lead = digest_lead(self.history)
            entry = commit.outbox.get(lead.id)
            if entry is not None:
                entry.intents.append(digest_intent(self.history, self.at))

    def hold_back_pending(self, made: Sequence[Any]) -> list[str]:
        """After the go-live commit, with ``skip``: escalations decided by dry runs before and
        never written are history too: taken out of the outbox and the watch."""
        if self.choice != "skip" or self.dry_run or not self.first:
            return []
        final = {d.escalation.id for d in made}
        held = []
        for ext, entry in self.store.outbox().items():
            esc = entry.escalation
            if ext in final or not self.is_history(esc) or self.store.index(ext).get("record"):
                continue
            self.store.finish(ext, entry.version)
            self.store.r.srem(self.store.k.open, ext)
            self._skip(esc)
            held.append(ext)
        return held


def digest_lead(history: Sequence[Escalation]) -> Escalation:
    """The most severe escalation found in history: the digest travels with its outbox entry."""
    return sorted(history, key=lambda e: (int(e.severity), -e.tier, e.account_name))[0]


def digest_intent(history: Sequence[Escalation], at: datetime) -> Notify:
    """One Notify intent listing every escalation found in history (sent once, by its key)."""
    lines = (f"Going live ({at:%Y-%m-%d %H:%M}Z): {len(history)} escalation(s) found in history, "
             "opened quietly (records and epics written, no notification each):", *digest_lines(history))
    digest = hashlib.sha1("|".join(sorted(e.id for e in history)).encode()).hexdigest()[:12]
    return Notify(digest_lead(history).id, kind=NotifyKind.GO_LIVE_DIGEST,
                  id=f"go-live-digest|{at:%Y%m%dT%H%M%SZ}|{digest}", reasons=tuple(lines))


def digest_event(history: Sequence[Escalation], at: datetime) -> NotifyEvent:
    """One notification listing every escalation found in history (the most severe one leads)."""
    lead = sorted(history, key=lambda e: (int(e.severity), -e.tier, e.account_name))[0]
    lines = (f"Going live ({at:%Y-%m-%d %H:%M}Z): {len(history)} escalation(s) found in history, "
             "opened quietly (records and epics written, no notification each):", *digest_lines(history))
    digest = hashlib.sha1("|".join(sorted(e.id for e in history)).encode()).hexdigest()[:12]
    return NotifyEvent("go_live_digest", lead, reasons=lines, roles=(), epic_key=None,  # type: ignore[arg-type]
                       key=f"go-live-digest|{at:%Y%m%dT%H%M%SZ}|{digest}")


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
