"""Draining the outbox: make Salesforce and Jira show each decided escalation, exactly once.

The outbox holds, per escalation, the escalation as last decided and the intents
(:mod:`rules.intents`) still to carry out, committed with the decision. :class:`Writer` takes
them in priority order (SEV-1 first, highest tier, oldest), in batches, each escalation under
a claim with an expiring lease (``{ns}:claim:{ext}``), so any number of flushes and workers
run side by side and no two write the same escalation; :mod:`sync.executor` carries a batch
out concurrently, phase by phase, recording each intent as done. An entry leaves the outbox
once all its intents are done, unless a newer decision replaced it meanwhile.

This module also holds the shapes of what lands (:class:`Shapes`: the epic, a plan issue,
the ``Escalation__c`` record; ARCHITECTURE.md, "What lands in Salesforce and Jira").
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connectors.notify import NotifyEvent
from rules.communication import log_record
from rules.config import CalendarConfig
from rules.lifecycle.measures import resolution_days
from rules.lifecycle.people import dismissal_fields
from rules.models import Escalation, PlanStep
from sync.crashpoints import crashpoint
from sync.executor import Executor, Pools, Work, errors_first, priority
from sync.state import Store

log = logging.getLogger("escalation_sync.writes")

LABEL = "escalation-sync"
SEVERITY_PRIORITY = {1: "Highest", 2: "High", 3: "Medium", 4: "Low"}
STEP_TITLES = {
    "intake": "Intake and ownership: acknowledge",
    "investigation": "Investigation: the full factual picture",
    "solution_design": "Solution design: the cross-functional action",
    "customer_update": "Customer update: findings, actions, committed timeline",
    "closure": "Closure message once the fix is in",
    "follow_up": "Follow-up check-in with the customer",
    "sponsor_brief": "Executive sponsor brief",
}
SOLO_BATCH = 200
VISIBLE_BATCH = 1000  # a long flush's first pass: 20 bulk creates and 5 Collections calls a round
DESCRIPTION_LIMIT = 30_000
TIMELINE_LIMIT = 120_000
COMMUNICATION_LOG_LIMIT = 32_768  # Communication_Log__c's length (salesforce/ field metadata)


@dataclass
class JiraShape:
    """Where escalations land in Jira (settings)."""

    project: str = "ESC"
    epic_type: str = "Epic"
    plan_type: str = "Task"
    link_type: str = "Relates"
    cloud: bool = True
    url: str | None = None  # the site's base URL: the document's links to plan issues are absolute


@dataclass
class FlushSummary:
    written: int = 0
    deferred: list[str] = field(default_factory=list)
    epics_created: int = 0
    steps_created: int = 0
    records_upserted: int = 0
    dry_run: bool = False
    busy: list[str] = field(default_factory=list)  # claimed by another flush right now
    left: list[str] = field(default_factory=list)  # not reached before the deadline
    handed: list[str] = field(default_factory=list)  # handed to flush tasks on other workers


def timeline_text(esc: Escalation, limit: int) -> str:
    lines = [f"{e.at:%Y-%m-%d %H:%M}Z  {e.text}" for e in esc.timeline]
    text = "\n".join(lines)
    return text if len(text) <= limit else "...\n" + text[-limit:]


def epic_summary(esc: Escalation) -> str:
    return f"[{esc.severity.label}][Tier {esc.tier}] {esc.summary}"[:250]


def epic_description(esc: Escalation) -> str:
    sponsor = (f"required by {esc.exec_sponsor.due:%Y-%m-%d %H:%M}Z" if esc.exec_sponsor.required
               else "not required")
    head = "\n".join([
        f"Escalation {esc.id} for {esc.account_name} ({esc.account})",
        f"Severity {esc.severity.label}, tier {esc.tier}, owner {esc.owner or 'nobody'}",
        f"Executive sponsor: {sponsor}",
        f"Stakeholders: {', '.join(esc.stakeholders) or 'none'}",
        "Triggers: " + "; ".join(f"{t.kind} at {t.at:%Y-%m-%d %H:%M}Z ({', '.join(t.tickets) or 'no ticket'})"
                                 for t in esc.triggers),
        "", "Timeline:", ""])
    return head + timeline_text(esc, DESCRIPTION_LIMIT - len(head))


def record_fields(esc: Escalation, epic_key: str | None, calendar: CalendarConfig | None = None) -> dict[str, Any]:
    """The ``Escalation__c`` record (ARCHITECTURE.md, "What lands in Salesforce and Jira").

    With a ``calendar``, a resolved escalation also carries its resolution time in business days.
    """
    plan = {p.step: p for p in esc.plan}
    target = plan.get("solution_design")
    out: dict[str, Any] = {
        "External_Id__c": esc.id,
        "Account__c": esc.account,
        "Severity__c": esc.severity.label,
        "Tier__c": esc.tier,
        "Status__c": esc.status,
        "Owner_Email__c": esc.owner,
        "Opened_At__c": _iso(esc.opened),
        "Target_Resolution__c": _iso(target.due) if target else None,
        "Summary__c": esc.summary[:255],
        "Timeline__c": timeline_text(esc, TIMELINE_LIMIT),
        "Root_Cause__c": esc.root_cause,
        "Exec_Sponsor_Required__c": esc.exec_sponsor.required,
        "Exec_Sponsor_Due__c": _iso(esc.exec_sponsor.due),
        "Stakeholders__c": "; ".join(esc.stakeholders),
        "Plan__c": "\n".join(f"{p.step}: {p.owner or '-'} due {_iso(p.due) or 'when resolved'}"
                             for p in (*esc.plan, *esc.recovery)),
        "Resolved_At__c": _iso(esc.resolved_at),
        "Closed_At__c": _iso(esc.closed_at),
        "Concession_Given__c": bool(esc.concession_given),
        "SLA_Breached__c": bool(esc.breaches),
        "Resolution_Summary__c": esc.resolution_summary or None,
        "Communication_Log__c": log_record(esc, COMMUNICATION_LOG_LIMIT),  # i14: rules.communication
    }
    out.update(dismissal_fields(esc))  # i12: Dismissed_Trigger_Kinds__c
    if epic_key:
        out["Jira_Epic_Key__c"] = epic_key
    if calendar is not None:
        out["Resolution_Business_Days__c"] = resolution_days(esc, calendar)
    return out


def _iso(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


class Shapes:
    """The Jira and Salesforce bodies of an escalation (the connector owns the wire format)."""

    def __init__(self, shape: JiraShape, jira: Any):
        self.shape, self.jira = shape, jira

    def _person(self, email: str | None, ids: dict[str, str | None]) -> dict[str, str] | None:
        ident = ids.get(email or "")
        if not ident:
            return None
        return {"accountId": ident} if self.shape.cloud else {"name": ident}

    def epic_fields(self, esc: Escalation, ids: dict[str, str | None], *, description: Any) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "project": {"key": self.shape.project}, "issuetype": {"name": self.shape.epic_type},
            "summary": epic_summary(esc), "description": description,
            "labels": [LABEL, esc.id], "priority": {"name": SEVERITY_PRIORITY[int(esc.severity)]},
        }
        assignee = self._person(esc.owner, ids)
        if assignee:
            fields["assignee"] = assignee
        if not self.shape.cloud:  # Data Center: an epic needs its Epic Name
            name_field = self.jira.field_id("Epic Name")
            if name_field:
                fields[name_field] = f"{esc.account_name} escalation"[:255]
        return fields

    def epic_update(self, esc: Escalation, *, description: Any, priority: bool = True) -> dict[str, Any]:
        """The epic's own fields that follow the escalation (a ``PUT`` body's ``fields``); the
        priority only when the severity changed, so a priority a person set is never re-sent."""
        out: dict[str, Any] = {"summary": epic_summary(esc), "description": description}
        if priority:
            out["priority"] = {"name": SEVERITY_PRIORITY[int(esc.severity)]}
        return out

    def step_fields(self, esc: Escalation, epic: str, step: PlanStep, ids: dict[str, str | None], *,
                    cloud_text: Callable[[str], Any]) -> dict[str, Any]:
        title = STEP_TITLES.get(step.step, step.step.replace("_", " ").capitalize())
        text = (f"Plan step '{step.step}' of escalation {esc.id}. "
                f"Due {_iso(step.due) or 'once the escalation is resolved'}.")
        fields: dict[str, Any] = {
            "project": {"key": self.shape.project}, "issuetype": {"name": self.shape.plan_type},
            "summary": f"{title} ({esc.account_name})"[:250],
            "description": cloud_text(text) if self.shape.cloud else text,
            "labels": [LABEL, f"plan-{step.step}"],
        }
        link_field = None if self.shape.cloud else self.jira.field_id("Epic Link")
        if link_field:  # Data Center links epic children through the Epic Link field
            fields[link_field] = epic
        else:
            fields["parent"] = {"key": epic}
        if step.due:
            fields["duedate"] = step.due.strftime("%Y-%m-%d")
        assignee = self._person(step.owner, ids)
        if assignee:
            fields["assignee"] = assignee
        return fields

    @staticmethod
    def record_fields(esc: Escalation, epic_key: str | None, calendar: CalendarConfig | None) -> dict[str, Any]:
        return record_fields(esc, epic_key, calendar)


class Writer:
    """Drains the outbox (see the module docstring)."""

    def __init__(self, store: Store, salesforce: Any, jira: Any, shape: JiraShape, *,
                 settle_seconds: float = 30.0, dry_run: bool = False,
                 clock: Callable[[], float] = time.time, calendar: CalendarConfig | None = None,
                 pools: Pools | None = None, send: Callable[[NotifyEvent], bool] | None = None,
                 batch: int = 200, lease_seconds: float = 15.0,
                 visible: Callable[[list[Escalation], datetime], list[Escalation]] | None = None):
        self.store, self.sf, self.jira, self.shape = store, salesforce, jira, shape
        self.settle, self.dry_run, self.clock = settle_seconds, dry_run, clock
        self.calendar = calendar
        self.pools = pools or Pools.sized(8, 4)
        self.send: Callable[[NotifyEvent], bool] = send or (lambda event: True)
        self.batch, self.lease = max(batch, 1), lease_seconds
        self.visible = visible  # sync.runtime: the watch's "shown" decision, made in the epic's create

    def executor(self) -> Executor:
        executor = Executor(self.store, self.sf, self.jira, self.shape, self.pools, settle_seconds=self.settle,
                            clock=self.clock, calendar=self.calendar, send=self.send,
                            fields=Shapes(self.shape, self.jira))
        executor.visible = self.visible
        return executor

    def pending(self, ids: list[str] | None = None) -> list[str]:
        """Outbox ids in priority order (SEV-1, highest tier, oldest first)."""
        entries = self.store.outbox() if ids is None else self.store.outbox_entries(ids)
        return [x for x, _ in sorted(entries.items(), key=lambda kv: priority(kv[1].escalation))]

    def flush(self, ids: list[str] | None = None, *, deadline: float | None = None,
              hand_off: Callable[[list[list[str]]], None] | None = None) -> FlushSummary:
        """Write the outbox (or the escalations ``ids``), batch by batch, until done or the
        ``deadline`` (``time.monotonic()``) passes; raises the first error of a failed batch
        after keeping everything it did. With ``hand_off``, every batch but the first (the
        severest) is handed to it at once (flush tasks on other workers) and this call writes
        the first."""
        summary = FlushSummary(dry_run=self.dry_run)
        if self.dry_run:
            for ext, entry in self.store.outbox().items():
                log.info("dry run: would write escalation %s (%s)", ext, "; ".join(entry.reasons))
            return summary
        order = self.pending(ids)
        size = self.batch if hand_off is not None else max(self.batch, SOLO_BATCH)
        if len(order) > size:  # several batches: every escalation visible before any batch's details
            self._visible(order, summary, deadline)
        if hand_off is not None and len(order) > self.batch:
            rest = order[self.batch:]
            hand_off([rest[n:n + self.batch] for n in range(0, len(rest), self.batch)])
            summary.handed.extend(rest)
            order = order[:self.batch]
        # alone (no one to hand to), a process writes 200 at a time: one Collections call, four
        # bulk creates, and each phase across all of them
        for start in range(0, len(order), size):
            if start and deadline is not None and time.monotonic() > deadline:  # the first batch always goes
                summary.left.extend(order[start:])
                break
            self._batch(order[start:start + size], summary, deadline)
        return summary

    def _visible(self, order: list[str], summary: FlushSummary, deadline: float | None) -> None:
        """The first pass of a long flush: epics (bulk, links inside), records (Collections) and
        notifications of every escalation in ``order``, :data:`VISIBLE_BATCH` at a time (the
        first always; the next ones until the ``deadline``). Plan issues, watchers and the rest
        follow batch by batch; what this pass did is recorded, so no batch redoes it."""
        for start in range(0, len(order), VISIBLE_BATCH):
            if start and deadline is not None and time.monotonic() > deadline:
                return
            ids = order[start:start + VISIBLE_BATCH]
            token = secrets.token_hex(8)
            lease_ms = int(self.lease * 1000)
            claimed = self.store.claim(ids, token, lease_ms)
            if not claimed:
                continue
            with self._leased(claimed, token, lease_ms):
                entries = self.store.outbox_entries(claimed)
                done = self.store.done(entries)
                works = sorted((Work(e, self.store.index(x), done[x]) for x, e in entries.items()),
                               key=lambda w: priority(w.esc))
                outcome = self.executor().run(works, visible_only=True)
                summary.epics_created += outcome.epics_created
                summary.records_upserted += outcome.records_upserted
                for w in works:  # the record's id, for the batch that finishes it
                    if w.index.get("epic"):
                        self.store.index_put(w.ext, w.index)
            error = errors_first(outcome.errors)
            if error is not None:
                raise error

    def _batch(self, ids: list[str], summary: FlushSummary, deadline: float | None = None) -> None:
        token = secrets.token_hex(8)
        lease_ms = int(self.lease * 1000)
        claimed = self.store.claim(ids, token, lease_ms)
        summary.busy.extend(x for x in ids if x not in set(claimed))
        if not claimed:
            return
        with self._leased(claimed, token, lease_ms):
            entries = self.store.outbox_entries(claimed)  # read under the claim: never a stale entry
            done = self.store.done(entries)
            works = sorted((Work(e, self.store.index(x), done[x]) for x, e in entries.items()),
                           key=lambda w: priority(w.esc))
            executor = self.executor()
            executor.deadline = deadline
            outcome = executor.run(works)
            summary.epics_created += outcome.epics_created
            summary.steps_created += outcome.steps_created
            summary.records_upserted += outcome.records_upserted
            for w in works:
                if not w.complete:
                    if w.deferred:
                        summary.deferred.append(w.ext)
                    elif w.left:
                        summary.left.append(w.ext)
                    continue
                self.store.index_put(w.ext, w.index)
                crashpoint("writes.before_finish")
                self.store.finish(w.ext, w.entry.version)
                summary.written += 1
        error = errors_first(outcome.errors)
        if error is not None:
            raise error
        summary.deferred.sort()

    @contextmanager
    def _leased(self, ids: list[str], token: str, lease_ms: int) -> Iterator[None]:
        """Hold the claims while the batch runs (renewed every third of the lease), then free them."""
        stop = threading.Event()

        def renew() -> None:
            while not stop.wait(lease_ms / 3000):
                try:
                    self.store.renew_claims(ids, token, lease_ms)
                except Exception:  # noqa: BLE001 - the next renewal tries again
                    log.warning("could not renew %d claims", len(ids))

        thread = threading.Thread(target=renew, name="claims", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(timeout=5)
            try:
                self.store.release_claims(ids, token)
            except Exception:  # noqa: BLE001 - the lease frees them anyway
                log.warning("could not release %d claims; they expire within %.0f s", len(ids), lease_ms / 1000)
