"""Draining the outbox: make Salesforce and Jira show each decided escalation, exactly once.

Writes are batched across escalations (Jira bulk create, 50 a call; Salesforce Collections, 200
a call) and incremental: the index (:mod:`sync.keys`) remembers what exists, so only what
changed is sent. Find-or-create is crash-safe despite Jira's eventually consistent search: an
*intent* is recorded before every create; a later attempt that finds an intent looks the issue
up by its label and, if search does not show it yet, waits out the settle time instead of
creating it twice. Comments are at-most-once (marked, then posted): a crash can lose a comment,
never repeat one; the description carries the whole timeline anyway.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rules.config import CalendarConfig
from rules.lifecycle.measures import resolution_days
from rules.lifecycle.people import dismissal_fields
from rules.models import Escalation, PlanStep
from sync.crashpoints import crashpoint
from sync.state import OutboxEntry, Store

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
DESCRIPTION_LIMIT = 30_000
TIMELINE_LIMIT = 120_000


@dataclass
class JiraShape:
    """Where escalations land in Jira (settings)."""

    project: str = "ESC"
    epic_type: str = "Epic"
    plan_type: str = "Task"
    link_type: str = "Relates"
    cloud: bool = True


@dataclass
class FlushSummary:
    written: int = 0
    deferred: list[str] = field(default_factory=list)
    epics_created: int = 0
    steps_created: int = 0
    records_upserted: int = 0
    dry_run: bool = False


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
        "Resolution_Summary__c": esc.resolution_summary or None,
    }
    out.update(dismissal_fields(esc))  # i12: Dismissed_Trigger_Kinds__c
    if epic_key:
        out["Jira_Epic_Key__c"] = epic_key
    if calendar is not None:
        out["Resolution_Business_Days__c"] = resolution_days(esc, calendar)
    return out


def _iso(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


class Writer:
    def __init__(self, store: Store, salesforce: Any, jira: Any, shape: JiraShape, *,
                 settle_seconds: float = 30.0, dry_run: bool = False,
                 clock: Callable[[], float] = time.time, calendar: CalendarConfig | None = None):
        self.store, self.sf, self.jira, self.shape = store, salesforce, jira, shape
        self.settle, self.dry_run, self.clock = settle_seconds, dry_run, clock
        self.calendar = calendar

    # --- helpers ---------------------------------------------------------------------------

    def _user_ids(self, emails: set[str]) -> dict[str, str | None]:
        known = self.store.jira_user_ids(emails)
        found: dict[str, str | None] = {}
        try:
            for email in sorted(emails - set(known)):
                found[email] = self.jira.account_id(email)
        finally:  # keep what was found: a failure part-way must not redo every lookup
            self.store.save_jira_user_ids(found)
        return {**known, **found}

    def _person(self, email: str | None, ids: dict[str, str | None]) -> dict[str, str] | None:
        ident = ids.get(email or "")
        if not ident:
            return None
        return {"accountId": ident} if self.shape.cloud else {"name": ident}

    def _epic_fields(self, esc: Escalation, ids: dict[str, str | None]) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "project": {"key": self.shape.project}, "issuetype": {"name": self.shape.epic_type},
            "summary": epic_summary(esc), "description": epic_description(esc),
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

    def _step_fields(self, esc: Escalation, epic: str, step: PlanStep, ids: dict[str, str | None]) -> dict[str, Any]:
        title = STEP_TITLES.get(step.step, step.step.replace("_", " ").capitalize())
        fields: dict[str, Any] = {
            "project": {"key": self.shape.project}, "issuetype": {"name": self.shape.plan_type},
            "summary": f"{title} ({esc.account_name})"[:250],
            "description": f"Plan step '{step.step}' of escalation {esc.id}. "
                           f"Due {_iso(step.due) or 'once the escalation is resolved'}.",
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

    def _find_or_defer(self, ext: str, what: str, find: Callable[[], Any]) -> tuple[Any, bool]:
        """(what a previous attempt created, defer?) for an escalation with an intent on record."""
        intent = self.store.intent(ext, what)
        if intent is None:
            return None, False
        found = find()
        if found:
            return found, False
        return None, self.clock() - intent < self.settle

    def _intend(self, ext: str, what: str) -> None:
        self.store.set_intent(ext, what, self.clock(), ttl=int(self.settle * 10) + 60)

    # --- the flush -------------------------------------------------------------------------

    def flush(self) -> FlushSummary:
        entries = self.store.outbox()
        summary = FlushSummary(dry_run=self.dry_run)
        if not entries:
            return summary
        if self.dry_run:
            for ext, entry in entries.items():
                log.info("dry run: would write escalation %s (%s)", ext, "; ".join(entry.reasons))
            return summary
        index = {ext: self.store.index(ext) for ext in entries}
        emails = {e for entry in entries.values() for e in self._emails(entry.escalation)}
        ids = self._user_ids(emails)
        deferred: set[str] = set()
        self._epics(entries, index, ids, deferred, summary)
        self._steps(entries, index, ids, deferred, summary)
        self._epic_updates(entries, index, ids, deferred)
        crashpoint("writes.after_jira_updates")
        self._records(entries, index, deferred, summary)
        crashpoint("writes.after_salesforce_upsert")
        for ext, entry in entries.items():
            if ext in deferred:
                continue
            self.store.index_put(ext, index[ext])
            crashpoint("writes.before_finish")
            self.store.finish(ext, entry.version)
            summary.written += 1
        summary.deferred = sorted(deferred)
        return summary

    @staticmethod
    def _emails(esc: Escalation) -> set[str]:
        return {e for e in (esc.owner, *esc.stakeholders, *(p.owner for p in esc.plan)) if e}

    def _epics(self, entries: dict[str, OutboxEntry], index: dict[str, dict[str, Any]],
               ids: dict[str, str | None], deferred: set[str], summary: FlushSummary) -> None:
        create: list[str] = []
        for ext in entries:
            if index[ext].get("epic"):
                continue
            found, wait = self._find_or_defer(
                ext, "epic", lambda e=ext: self.jira.by_label(self.shape.project, e, ["summary"]))
            if found:
                index[ext]["epic"] = found[0]["key"]
                self.store.index_put(ext, index[ext])
            elif wait:
                deferred.add(ext)
            else:
                create.append(ext)
        if not create:
            return
        for ext in create:
            self._intend(ext, "epic")
        crashpoint("writes.after_intents")
        keys = self.jira.create([self._epic_fields(entries[ext].escalation, ids) for ext in create])
        crashpoint("writes.after_epic_create")
        for ext, key in zip(create, keys, strict=True):
            if key is None:
                deferred.add(ext)
                continue
            index[ext].update(epic=key, created=True)
            self.store.index_put(ext, index[ext])  # at once: the key must survive a crash now
            summary.epics_created += 1
        crashpoint("writes.after_epics_recorded")

    def _steps(self, entries: dict[str, OutboxEntry], index: dict[str, dict[str, Any]],
               ids: dict[str, str | None], deferred: set[str], summary: FlushSummary) -> None:
        wanted: list[tuple[str, PlanStep]] = []
        for ext, entry in entries.items():
            if ext in deferred:
                continue
            idx = index[ext]
            steps = idx.setdefault("steps", {})
            plan = list(entry.escalation.plan) + list(entry.escalation.recovery)
            missing = [p for p in plan if p.step not in steps]
            if missing:
                found, wait = self._find_or_defer(
                    ext, "steps", lambda k=idx["epic"]: self.jira.children(k, ["labels", "duedate"]))
                for child in found or []:
                    for label in child["fields"].get("labels") or []:
                        if label.startswith("plan-"):
                            steps.setdefault(label[5:], {"key": child["key"],
                                                         "due": child["fields"].get("duedate")})
                if wait:
                    deferred.add(ext)
                    continue
                wanted.extend((ext, p) for p in plan if p.step not in steps)
            for p in plan:  # due dates that moved (a severity raised, an acknowledgement)
                have = steps.get(p.step)
                due = p.due.strftime("%Y-%m-%d") if p.due else None
                if have and have.get("due") != due:
                    self.jira.update(have["key"], {"duedate": due})
                    have["due"] = due
        if not wanted:
            return
        for ext in {ext for ext, _ in wanted}:
            self._intend(ext, "steps")
        crashpoint("writes.after_step_intents")
        fields = [self._step_fields(entries[ext].escalation, index[ext]["epic"], p, ids) for ext, p in wanted]
        keys = self.jira.create(fields)
        crashpoint("writes.after_step_create")
        for (ext, step), key in zip(wanted, keys, strict=True):
            if key is None:
                deferred.add(ext)
                continue
            index[ext]["steps"][step.step] = {"key": key, "due": step.due.strftime("%Y-%m-%d") if step.due else None}
            summary.steps_created += 1
        for ext in {ext for ext, _ in wanted}:
            self.store.index_put(ext, index[ext])

    def _epic_updates(self, entries: dict[str, OutboxEntry], index: dict[str, dict[str, Any]],
                      ids: dict[str, str | None], deferred: set[str]) -> None:
        for ext, entry in entries.items():
            if ext in deferred:
                continue
            esc, idx = entry.escalation, index[ext]
            epic = idx["epic"]
            shown = {"summary": epic_summary(esc), "priority": SEVERITY_PRIORITY[int(esc.severity)],
                     "timeline": len(esc.timeline)}
            if idx.pop("created", False):
                idx["shown"] = shown
            elif idx.get("shown") != shown:
                update: dict[str, Any] = {"summary": shown["summary"], "description": epic_description(esc)}
                if (idx.get("shown") or {}).get("priority") != shown["priority"]:  # i12: never re-send a person's
                    update["priority"] = {"name": shown["priority"]}
                self.jira.update(epic, update)
                idx["shown"] = shown
                if idx.get("commented") != entry.version and entry.reasons:
                    idx["commented"] = entry.version
                    self.store.index_put(ext, idx)  # mark first: at most once
                    self.jira.comment(epic, "escalation-sync update:\n" + "\n".join(f"- {r}" for r in entry.reasons))
            posted = set(idx.get("comments", []))
            for key, text in entry.comments:
                if key not in posted:
                    posted.add(key)
                    idx["comments"] = sorted(posted)
                    self.store.index_put(ext, idx)  # mark first: at most once
                    self.jira.comment(epic, text)
            watched = set(idx.get("watchers", []))
            for email in esc.stakeholders:
                if email not in watched and ids.get(email):
                    self.jira.watch(epic, ids[email])
                    watched.add(email)
            idx["watchers"] = sorted(watched)
            linked = set(idx.get("links", []))
            for ticket in esc.tickets:
                if ticket not in linked:
                    self.jira.link(self.shape.link_type, ticket, epic)
                    linked.add(ticket)
            idx["links"] = sorted(linked)
            self.store.index_put(ext, idx)  # progress: a failure later must not redo this one

    def _records(self, entries: dict[str, OutboxEntry], index: dict[str, dict[str, Any]],
                 deferred: set[str], summary: FlushSummary) -> None:
        todo = [ext for ext in entries if ext not in deferred]
        if not todo:
            return
        records = [record_fields(entries[ext].escalation, index[ext].get("epic"), self.calendar) for ext in todo]
        results = self.sf.upsert("Escalation__c", "External_Id__c", records)
        for ext, result in zip(todo, results, strict=False):
            if result.get("success"):
                index[ext]["record"] = result.get("id")
                summary.records_upserted += 1
            else:
                deferred.add(ext)
