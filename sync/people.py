"""People working the epic and the record, in the shell: their changes read, the other side moved.

The watch (:mod:`sync.lifecycle`) mixes :class:`PeopleOnTheEpic` in. It reads what people (not
the connector's API user) changed, from each epic's changelog (assignee, priority, a dismissal
by resolution or label) and from the ``Escalation__c`` records edited since its cursor (owner,
status), and carries out the writes following them needs: the epic's assignee after a record
owner edit, the old owner's open plan issues after a reassignment, a transition or a label after
a record status edit, the dismissal counters. :mod:`rules.lifecycle.people` decides.

The writes are intents (:mod:`rules.intents`: ``AssignIssue``, ``AddLabel``, ``Transition``),
committed with the pass's decisions and carried out by the executor like any other.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from simple_salesforce.format import format_soql

from connectors.jira_people import people_for, person_of, user_id
from connectors.jira_tickets import jira_time
from connectors.salesforce import sf_datetime
from rules.config import RulesConfig
from rules.intents import AddLabel, AssignIssue, Intent, Transition
from rules.lifecycle import EpicFields, LifecycleDecision
from rules.lifecycle.people import dismiss, dismissed_kinds, is_dismissal, moved_steps, reassigned
from rules.models import Comment, Escalation
from rules.triggers import Context
from sync.observe import incr
from sync.state import CycleCommit, Store

log = logging.getLogger("escalation_sync.people")
RECORDS = "salesforce.escalations"
DONE = ("done", "closed", "resolved")


@dataclass
class Activity:
    """One thing that happened on a connector-made issue."""

    at: datetime
    ext: str
    kind: str  # "comment" | "transition" | "status" | "assignee" | "priority" | "dismiss"
    step: str | None = None
    by: str | None = None
    status: str | None = None
    fields: EpicFields = field(default_factory=EpicFields)
    value: str | None = None  # the new assignee (a person) or priority name; how it was dismissed
    comment: Comment | None = None  # i14: a person's comment on the epic (the communication log)


class PeopleOnTheEpic:
    """The people-following half of the watch (needs the attributes :class:`sync.lifecycle.Lifecycle` sets)."""

    store: Store
    jira: Any
    salesforce: Any
    cfg: RulesConfig
    overlap: timedelta
    dismiss_resolutions: tuple[str, ...]
    dismiss_labels: tuple[str, ...]
    _me: set[str] | None
    _tried: set[str]
    _writes: dict[str, list[Intent]]

    def _identity(self) -> set[str]:
        """The connector's own Jira user (changes it made are not a person's)."""
        if self._me is None:
            me = self.jira.call("myself", self.jira.client.myself)
            self._me = {str(me.get(k)).lower() for k in ("accountId", "name", "key", "emailAddress") if me.get(k)}
        return self._me

    def _person(self, user: Any, known: dict[str, str]) -> str | None:
        """A Jira user as the rules name people (i15's :func:`connectors.jira_people.person_of`:
        the account id decides); an account the connector never resolved is looked for among the
        vendor's users, and failing that named by its id (so the timeline still says who)."""
        found = person_of(user, known)
        if found or not isinstance(user, dict):
            return found
        ident = user_id(user)
        return (self._email_of(ident, known) or ident) if ident else None

    def _email_of(self, ident: str, known: dict[str, str]) -> str | None:
        """The vendor user (Salesforce) behind a Jira account id nobody resolved yet: a user
        search per unresolved vendor user, once each (cached), only when a person was named."""
        people = people_for(self.jira)
        for user in self.store.users() or []:
            email = user.email.lower()
            if email in known.values() or email in self._tried:
                continue
            self._tried.add(email)
            found = people.account_id(email)
            self.store.save_jira_user_ids({email: found})
            if found:
                known[found] = email
            if found == ident:
                return email
        return None

    def _people_changes(self, issue: dict[str, Any], ext: str, known: dict[str, str],
                        marks: dict[str, str], people: dict[str, str]) -> list[Activity]:
        """What people (not the connector) changed on an epic, from its changelog, each once."""
        f = issue.get("fields") or {}
        out: list[Activity] = []
        labels = [str(x) for x in f.get("labels") or []]
        resolution = (f.get("resolution") or {}).get("name")
        for h in (issue.get("changelog") or {}).get("histories") or []:
            mark = f"{issue['key']}:history:{h.get('id')}"
            if mark in known or not h.get("created"):
                continue
            marks[mark] = "1"
            author = h.get("author") or {}
            if {str(author.get(k)).lower() for k in ("accountId", "name", "emailAddress") if author.get(k)} \
                    & self._identity():
                continue
            at, by = jira_time(h["created"]), self._person(author, people)
            for item in h.get("items") or []:
                name = item.get("field")
                if name == "assignee":  # the value the person set (the field may have moved since)
                    current = f.get("assignee") or {}
                    to = item.get("to")
                    user = current if to and user_id(current) == to else (
                        {"accountId": to} if to and self.jira.cloud else {"name": to} if to else None)
                    out.append(Activity(at=at, ext=ext, kind="assignee", by=by,
                                        value=self._person(user, people) if user else None))
                elif name == "priority":
                    out.append(Activity(at=at, ext=ext, kind="priority", by=by,
                                        value=item.get("toString") or (f.get("priority") or {}).get("name")))
                elif name in ("resolution", "labels") and is_dismissal(
                        resolution, labels, resolutions=self.dismiss_resolutions, dismiss_labels=self.dismiss_labels):
                    how = (f"resolution {resolution!r}" if resolution in self.dismiss_resolutions
                           else "label " + ", ".join(x for x in labels if x in self.dismiss_labels))
                    out.append(Activity(at=at, ext=ext, kind="dismiss", by=by, value=how))
        return out

    # --- deciding -----------------------------------------------------------------------

    def _record_edits(self, now: datetime, escalations: dict[str, Escalation], decided: set[str],
                      ctx: Context, commit: CycleCommit) -> list[LifecycleDecision]:
        """A person's edits of the record's owner or status: the escalation and the epic follow.

        One query a watch (records changed since the cursor). A record that differs from the
        escalation as last written, with nothing of it still waiting in the outbox, was edited
        by someone else. Owner: followed, and the epic's assignee set to match. Status: the
        epic's status is the truth, so a status the epic also changed in this pass is ignored
        (the record is written back from the epic); otherwise the epic is moved to match, and
        the next read of the epic brings the record along (Dismissed: dismissed, labelled).
        An escalation the epic changed in this same pass is left alone: the epic wins, and the
        record is written from it.
        """
        if self.salesforce is None:
            return []
        cursor = self.store.cursor(RECORDS)
        if cursor is None:
            commit.cursors[RECORDS] = now  # nothing before the first watch was a person's edit of ours
            return []
        soql = format_soql("SELECT External_Id__c, Owner_Email__c, Status__c, LastModifiedById, SystemModstamp "
                           "FROM Escalation__c WHERE SystemModstamp > {}", cursor - self.overlap)
        rows = list(self.salesforce.query("escalation edits", soql))
        newest = max([cursor, *(t for r in rows if (t := sf_datetime(r.get("SystemModstamp"))))])
        commit.cursors[RECORDS] = min(newest, now)
        pending = self.store.outbox_entries(r.get("External_Id__c") for r in rows if r.get("External_Id__c"))
        out: list[LifecycleDecision] = []
        for row in rows:
            ext = str(row.get("External_Id__c") or "")
            known = escalations.get(ext) or self.store.escalations([ext]).get(ext)
            if not known or ext in pending or ext in decided or not known.is_open:
                continue
            escalations.setdefault(ext, known)
            esc = escalations[ext]
            at = sf_datetime(row.get("SystemModstamp")) or now
            by = f"Salesforce user {row.get('LastModifiedById') or 'unknown'}"
            owner = str(row.get("Owner_Email__c") or "").lower() or None
            if owner != (esc.owner or None):
                moved = reassigned(esc, owner, by, at, ctx)
                if moved is not None:
                    escalations[ext] = esc = moved.escalation
                    out.append(moved)
                    self._want(ext, AssignIssue(ext, step=None, email=owner or "", id=moved.key))
            status = row.get("Status__c")
            if status and status != esc.status:
                if status == "Dismissed":
                    gone = dismiss(esc, by, at, "status Dismissed on the record", ctx)
                    if gone is not None:
                        escalations[ext] = gone.escalation
                        out.append(gone)
                        if self.dismiss_labels:
                            self._want(ext, AddLabel(ext, label=self.dismiss_labels[0]))
                else:
                    self._move_epic(ext, status, ctx)
        return out

    def _want(self, ext: str, intent: Intent) -> None:
        """A write following a person, committed with this pass's decisions (an intent)."""
        self._writes.setdefault(ext, []).append(intent)

    def _move_epic(self, ext: str, record_status: str, ctx: Context) -> None:
        """Move the epic to a Jira status meaning the record status a person set (the next read
        of the epic brings the record along, so both agree)."""
        wanted = [name for name, status in ctx.cfg.status.epic_to_record.items() if status == record_status]
        if wanted:
            self._want(ext, Transition(ext, step=None, to=wanted[0]))
            log.info("escalation %s: the record's status was set to %s by a person: the epic moves to %s",
                     ext, record_status, wanted[0])

    def _count_dismissals(self, dismissed: list[LifecycleDecision]) -> None:
        """Every trigger kind that fired counts one dismissal (Redis counters, the metric)."""
        kinds: Counter[str] = Counter()
        for d in dismissed:
            kinds.update(dismissed_kinds(d.escalation))
        if kinds:
            pipe = self.store.r.pipeline()
            for kind, n in kinds.items():
                pipe.hincrby(f"{self.store.k.ns}:dismissed", kind, n)
            pipe.execute()
            incr(self.store.r, self.store.k.metrics, {f"dismissed|{k}": n for k, n in kinds.items()})

    def _plan_owners(self, before: Escalation, after: Escalation, key: str) -> list[Intent]:
        """The old owner's open plan issues follow a reassignment (one assignee intent each)."""
        marks = self.store.activity_marks()
        steps = self.store.index(after.id).get("steps") or {}
        out: list[Intent] = []
        for step in moved_steps(before, after):
            info = steps.get(step.step)
            if not info or str(marks.get(f"{info['key']}:status", "")).lower() in DONE:
                continue
            out.append(AssignIssue(after.id, step=step.step, email=step.owner or "", id=key))
        return out
