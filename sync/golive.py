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
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from connectors.notify import NotifyEvent
from rules.lifecycle.visible import GoLive, digest_lines, found_in_history, skipped_still, treatment
from rules.models import Escalation
from sync.state import Store

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

    def hold_back(self, made: Sequence[Any]) -> list[str]:
        """Before the flush: with ``skip``, take history escalations out of the outbox and the watch."""
        final = {d.escalation.id: d.escalation for d in made}
        opened = {d.escalation.id for d in made if d.action == "open" and self.is_history(d.escalation)}
        if self.first and not self.dry_run:  # decided by dry runs before, never written: also history
            for ext, entry in self.store.outbox().items():
                if ext not in final and self.is_history(entry.escalation) and not self.store.index(ext).get("record"):
                    final[ext] = entry.escalation
                    opened.add(ext)
        self.history = [final[x] for x in sorted(opened)]
        if self.choice != "skip" or self.dry_run:
            return []
        held = []
        already = skipped(self.store)
        for esc in final.values():
            if not (esc.id in opened or esc.id in already):
                continue
            if not skipped_still(esc, self.at, self.poll):
                continue  # new evidence after go-live: judged (and written) as new
            entry = self.store.outbox_entries([esc.id]).get(esc.id)
            if entry is not None:
                self.store.finish(esc.id, entry.version)
            self.store.r.srem(self.store.k.open, esc.id)
            self.store.r.hset(skipped_key(self.store), esc.id, json.dumps({
                "account": esc.account, "account_name": esc.account_name, "severity": esc.severity.label,
                "tier": esc.tier, "owner": esc.owner, "opened": esc.opened.isoformat(),
                "triggers": sorted({t.kind for t in esc.triggers})}))
            held.append(esc.id)
            log.info("go-live skip: escalation %s of %s found in history (opened %s, %s, tier %s): not written",
                     esc.id, esc.account_name, esc.opened.isoformat(), esc.severity.label, esc.tier)
        return held

    def notifications(self, events: Iterable[NotifyEvent]) -> list[NotifyEvent]:
        """After the flush: drop what the choice silences, add the digest (``quiet``).

        A dry run notifies nobody (a message is a write): it logs what it would send.
        """
        silenced = {e.id for e in self.history if not treatment(self.choice, True).notify}
        out = [e for e in events if e.escalation.id not in silenced]
        if self.dry_run:
            for e in out:
                log.info("dry run: would notify %s about %s", e.kind, e.escalation.id)
            if self.choice == "quiet" and self.history:
                log.info("dry run: would send one go-live digest listing %d escalation(s)", len(self.history))
            return []
        if self.choice == "quiet" and self.history:
            out.append(digest_event(self.history, self.at))
        return out


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
