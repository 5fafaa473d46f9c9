"""The escalation's life after opening, in the shell: activity in, lifecycle decisions out.

Every minute (a beat task, under the same lock as the poll cycle):

1. read what changed on the connector's own Jira issues since the cursor: epic comments
   (the owner's acknowledge and update), plan-issue transitions (``intake`` leaving its first
   status acknowledges, ``customer_update`` moving is an update), the epic's status and its
   root-cause / concession fields; and what people changed on the epics and the records
   (:mod:`sync.people`: a reassignment, a priority, a dismissal, a record's owner or status);
2. turn each into a pure :mod:`rules.lifecycle` decision, in time order; learn when each new
   escalation's epic was created (its SLA clocks may start then: :mod:`rules.lifecycle.visible`);
3. run the SLA watch over every open escalation whose epic exists, at ``now``;
4. commit the new escalations, account states and owners' loads with the cursor in one
   transaction, through the same outbox the poll cycle uses, then notify.

Nothing here writes to Salesforce or Jira: :mod:`sync.writes` does, idempotently (except the
few writes following a person needs, in :mod:`sync.people`).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from connectors.jira_people import known_people, person_of
from connectors.jira_tickets import is_public, jira_time, person, plain_text, vendor_names
from rules.config import RulesConfig
from rules.directory import Directory
from rules.intents import Intent, SetFields, lifecycle_intents, merge
from rules.lifecycle import (
    EpicFields,
    LifecycleDecision,
    apply_epic_status,
    closed_ref,
    epic_comment,
    file_in_state,
    health_validation,
    pre_escalation_score,
    sla_watch,
    subtask_transition,
)
from rules.lifecycle.people import (
    dismiss,
    priority_set,
    reassigned,
    severity_of_priority,
)
from rules.lifecycle.recovery import HEALTH_MARK, VALIDATION_STEP
from rules.lifecycle.visible import became_visible
from rules.models import Comment, Escalation
from rules.triggers import Context
from sync.golive import go_live_at
from sync.metrics import decision_counts
from sync.notifications import roles_for
from sync.people import Activity, PeopleOnTheEpic
from sync.state import CycleCommit, OutboxEntry, Store

log = logging.getLogger("escalation_sync.lifecycle")
ACTIVITY = "jira.escalations"
UPDATED = "updated"  # activity mark "<key>:updated" -> the issue's ``updated`` when the watch last read it whole
LIGHT_READ_FROM = 100  # issues of the window already read whole: from one page on, read light first
LIGHT_MARK = "~read:light"  # activity mark: "1" when the next read of the window starts light
FIRST_STATUSES = ("To Do", "Open", "Backlog")


@dataclass
class WatchSummary:
    activity: int = 0
    decisions: list[dict[str, Any]] = field(default_factory=list)
    breaches: int = 0
    made: list[LifecycleDecision] = field(default_factory=list, repr=False)


def account_of_id(ext: str) -> str:
    """``ESC-<account id>-<YYYYmmddTHHMMSSZ>`` -> the account id."""
    return ext[4:-17]


class Lifecycle(PeopleOnTheEpic):
    def __init__(self, store: Store, jira: Any, cfg: RulesConfig, *, project: str, overlap: timedelta,
                 salesforce: Any = None,
                 field_names: dict[str, str] | None = None, clock: Callable[[], datetime],
                 poll: timedelta = timedelta(seconds=60),
                 dismiss: tuple[tuple[str, ...], tuple[str, ...]] = (("Won't Do",), ("not-an-escalation",))):
        self.store, self.jira, self.cfg, self.project = store, jira, cfg, project
        self.salesforce = salesforce
        self.overlap, self.clock, self.poll = overlap, clock, poll
        self._created: dict[str, datetime] = {}
        self._in_create: set[str] = set()  # this pass's epics shown in their create (sync.executor)
        self.dismiss_resolutions, self.dismiss_labels = dismiss
        self._me: set[str] | None = None
        self._tried: set[str] = set()  # vendor e-mails already looked up in Jira (sync.people)
        self._writes: dict[str, list[Intent]] = {}  # writes following people, committed with the pass
        # the shell's decide lock (sync.runtime), taken after the activity read: a poll waits for
        # the watch's decisions, never for its read of Jira (seconds of pages after a burst)
        self.guard: Callable[[], AbstractContextManager[object]] = nullcontext
        self.field_names = field_names or {"root_cause": "Root Cause", "concession": "Concession Given",
                                           "resolution": "Resolution Summary"}

    def _fields(self) -> dict[str, str]:
        ids = {role: self.jira.field_id(name) for role, name in self.field_names.items()}
        return {role: ident for role, ident in ids.items() if ident}

    # --- reading activity ---------------------------------------------------------------

    def _activity(self, now: datetime, commit: CycleCommit) -> list[Activity]:
        cursor = self.store.cursor(ACTIVITY)
        since = (cursor - self.overlap) if cursor else None
        self._created = {}  # this read's epics only (a long-lived worker must not accumulate them)
        self._vendor: tuple[frozenset[str], frozenset[str]] | None = None  # i14: who is ours (_said)
        ids = self._fields()
        known = self.store.activity_marks()
        newest = cursor
        read_from = since
        seen = unseen = 0  # issues of the window read whole before at their very change, or not
        if since is not None and known.get(LIGHT_MARK) == "1":
            # The last read found the window mostly made of issues it had read whole already (after
            # a burst: thousands, untouched since): a light read (one field) says which changed,
            # and the whole read starts at the first that did (a change indexed late included).
            stamps = [(k, jira_time(u), u) for k, u in self.jira.activity_stamps(self.project, since) if u]
            changed = [at for k, at, u in stamps if known.get(f"{k}:{UPDATED}") != u]
            seen, unseen = len(stamps) - len(changed), len(changed)
            newest = max([at for _, at, _ in stamps] + ([newest] if newest else []), default=None)
            read_from = min(changed) if changed else None
        raw = [] if since is not None and read_from is None else list(self.jira.activity_since(
            self.project, read_from, ["created", "assignee", "priority", "resolution", *sorted(ids.values())]))
        refs = self.store.issue_refs(i["key"] for i in raw)
        people = self._people()  # i15: authors by account id (e-mails may be hidden)
        out: list[Activity] = []
        marks: dict[str, str] = {}
        for issue in raw:
            ref = refs.get(issue["key"])
            f = issue.get("fields") or {}
            stamp = jira_time(f["updated"]) if f.get("updated") else now
            newest = max(newest, stamp) if newest else stamp
            if ref is None:
                continue
            ext, step = ref["ext"], ref.get("step")
            if step is None and f.get("created"):
                self._created[ext] = jira_time(f["created"])  # the epic's birth: when people could act
            if f.get("updated"):
                mark = f"{issue['key']}:{UPDATED}"
                if known.get(mark) == f["updated"]:
                    seen += read_from == since  # (in a light read the stamps counted it already)
                    continue  # read whole at this very change, and what it held committed
                marks[mark] = str(f["updated"])
                unseen += read_from == since
            if step is None:
                changes = self._people_changes(issue, ext, known, marks, people)
                out.extend(changes)
                if any(a.kind == "dismiss" for a in changes):
                    marks[f"{issue['key']}:status"] = str((f.get("status") or {}).get("name") or "")
                    continue  # a dismissal is not a resolution: the status path must not close it
            status = (f.get("status") or {}).get("name")
            when = _transition_time(issue, status) or stamp
            by = _transition_author(issue, status, people)
            mark_status = f"{issue['key']}:status"
            previous = known.get(mark_status)
            if status and status != previous:
                if previous is not None or status not in FIRST_STATUSES:
                    if step is None:
                        out.append(Activity(at=when, ext=ext, kind="status", status=status,
                                            fields=_epic_fields(f, ids)))
                    elif step == "customer_update" or (step == "intake" and (previous or FIRST_STATUSES[0])
                                                       in FIRST_STATUSES):
                        out.append(Activity(at=when, ext=ext, kind="transition", step=step, by=by))
                marks[mark_status] = status
            if step is None:
                for c in (f.get("comment") or {}).get("comments") or []:
                    mark = f"{issue['key']}:comment:{c.get('id')}"
                    if mark in known or not c.get("created"):
                        continue
                    marks[mark] = "1"
                    author = person_of(c.get("author"), people)  # i15
                    out.append(Activity(at=jira_time(c["created"]), ext=ext, kind="comment", by=author,
                                        comment=self._said(c)))
        if newest is not None and newest != cursor:
            commit.cursors[ACTIVITY] = min(newest, now)
        marks[LIGHT_MARK] = "1" if seen >= LIGHT_READ_FROM and seen >= unseen else "0"
        self._marks = marks
        return sorted(out, key=lambda a: (a.at, a.ext, a.kind))

    def _said(self, c: dict[str, Any]) -> Comment | None:
        """i14: a comment on the epic as the communication log reads it; None for the connector's
        own (by its Jira user: its updates, requests and checks are not communications)."""
        raw = c.get("author") or {}
        if isinstance(raw, dict) and {str(raw.get(k)).lower() for k in ("accountId", "name", "emailAddress")
                                      if raw.get(k)} & self._identity():
            return None
        if self._vendor is None:  # once a pass, and only when a person commented
            users = self.store.users() or []
            self._vendor = (frozenset(u.email.rpartition("@")[2].lower() for u in users if "@" in u.email),
                            vendor_names(u.name for u in users))
        return Comment(id=str(c.get("id")) if c.get("id") else None, at=jira_time(c["created"]),
                       author=person(raw, *self._vendor), body=plain_text(c.get("body")), public=is_public(c))

    def _people(self) -> dict[str, str]:
        """Jira account id -> e-mail, as the writer resolved them (i15: connectors/jira_people.py)."""
        raw = self.store.r.hgetall(self.store.k.jira_users)
        return known_people({k.decode(): (v.decode() or None) for k, v in raw.items()})

    # --- deciding -----------------------------------------------------------------------

    def run(self, directory: Directory) -> WatchSummary:
        now = self.clock()
        self._writes = {}
        summary = WatchSummary()
        commit = CycleCommit()
        ctx = Context(cfg=self.cfg, directory=directory)
        activity = self._activity(now, commit)
        summary.activity = len(activity)
        with self.guard():  # the record edits are read inside: they are told apart by a diff with the escalation
            return self._decide(now, activity, ctx, commit, summary)

    def _decide(self, now: datetime, activity: list[Activity], ctx: Context, commit: CycleCommit,
                summary: WatchSummary) -> WatchSummary:
        ids = self.store.open_ids() | {a.ext for a in activity}
        escalations = self.store.escalations(ids)
        before = dict(escalations)
        decisions: list[LifecycleDecision] = []
        for act in activity:
            esc = escalations.get(act.ext)
            if esc is None:
                continue
            decision = self._on(act, esc, ctx)
            if decision is not None and decision.action != "ignored":
                escalations[act.ext] = decision.escalation
                decisions.append(decision)
        decided = {d.escalation.id for d in decisions}
        decisions.extend(self._record_edits(now, escalations, decided, ctx, commit))
        decisions.extend(self._shown(escalations, ctx))
        for ext, esc in list(escalations.items()):
            if esc.is_open and esc.resolved_at is None and esc.shown_at is not None:
                decision = sla_watch(esc, now, ctx)
                if decision is not None and decision.action != "ignored":
                    escalations[ext] = decision.escalation
                    decisions.append(decision)
                    summary.breaches += len(decision.breaches)
        decisions.extend(self._health_checks(now, escalations, before))
        self._commit(decisions, before, escalations, commit)
        self.store.save_activity_marks(self._marks)
        summary.made = decisions
        for d in decisions:
            summary.decisions.append({"action": d.action, "id": d.escalation.id, "tier": d.escalation.tier,
                                      "reasons": list(d.reasons)})
            log.info("escalation %s %s: %s", d.action, d.escalation.id, " | ".join(d.reasons))
        return summary

    def _shown(self, escalations: dict[str, Escalation], ctx: Context) -> list[LifecycleDecision]:
        """Learn when each new escalation's epic was created (its clocks may start then).

        An escalation whose epic is not known yet is not watched: nobody can see it, so no
        deadline of it can be missed. The activity read carries the epic's ``created``; an epic
        it did not show (search lag, or an escalation stored before this was recorded) is
        looked up by its label, once per watch, only while ``shown_at`` is missing.
        """
        out = []
        go_live = go_live_at(self.store)
        self._in_create = set()
        for ext, esc in list(escalations.items()):
            if esc.shown_at is not None or not esc.is_open:
                continue
            created = self._created.pop(ext, None)
            index = self.store.index(ext)
            if index.get("shown"):  # i11perf: the connector made the epic and wrote this in its create
                created = datetime.fromisoformat(index["shown"])
                self._in_create.add(ext)
            elif created is None and index.get("epic"):
                found = self.jira.by_label(self.project, ext, ["created"])
                stamp = ((found[0].get("fields") or {}).get("created")) if found else None
                created = jira_time(stamp) if stamp else None
            if created is None:
                continue
            decision = became_visible(esc, created, self.poll, ctx, go_live, latency=self.poll + self.overlap)
            if decision is not None:
                escalations[ext] = decision.escalation
                out.append(decision)
        return out

    def _health_checks(self, now: datetime, escalations: dict[str, Escalation],
                       before: dict[str, Escalation]) -> list[LifecycleDecision]:
        """Month 3 after resolution: compare the health score with its pre-escalation value."""
        waiting = self.store.r.smembers(self.store.k.recovering)
        ids = [m.decode() for m in waiting]
        out = []
        for ext, esc in self.store.escalations(x for x in ids if x not in escalations).items():
            escalations[ext] = before[ext] = esc
        for ext in ids:
            esc = escalations.get(ext)
            step = next((s for s in esc.recovery if s.step == VALIDATION_STEP), None) if esc else None
            if esc is None or step is None or step.due is None or now < step.due or self.salesforce is None:
                continue
            history = self.salesforce.account_health(esc.account)
            current = history[-1].score if history else None
            decision = health_validation(esc, pre_escalation_score(esc.opened, history), current, now)
            if decision is not None:
                escalations[ext] = decision.escalation
                out.append(decision)
        return out

    def _on(self, act: Activity, esc: Escalation, ctx: Context) -> LifecycleDecision | None:
        if act.kind == "comment":
            return epic_comment(esc, act.at, act.by, ctx, act.comment)
        if act.kind == "transition" and act.step:
            return subtask_transition(esc, act.step, act.at, act.by, ctx)
        if act.kind == "status" and act.status:
            if esc.status == "Dismissed":
                return None  # a dismissed epic's status is not a resolution
            return apply_epic_status(esc, act.status, act.at, act.fields, ctx)
        if act.kind == "assignee" and esc.is_open:
            return reassigned(esc, act.value, act.by, act.at, ctx)
        if act.kind == "priority" and esc.is_open:
            severity = severity_of_priority(act.value)
            return priority_set(esc, severity, act.by, act.at, ctx) if severity else None
        if act.kind == "dismiss":
            return dismiss(esc, act.by, act.at, act.value or "closed as not an escalation", ctx)
        return None

    def _commit(self, decisions: list[LifecycleDecision], before: dict[str, Escalation],
                after: dict[str, Escalation], commit: CycleCommit) -> None:
        changed = {d.escalation.id for d in decisions}
        accounts = {account_of_id(x) for x in changed}
        states = self.store.states(accounts)
        pending = self.store.outbox_entries(changed)
        load: Counter[str] = Counter()
        for ext in changed:
            esc, old = after[ext], before[ext]
            account = account_of_id(ext)
            state = file_in_state(states[account], esc)
            if not esc.is_open and old.is_open:
                ref = closed_ref(esc, state.tickets)
                if ref is not None and all(c.id != ref.id for c in state.closed):
                    state = state.model_copy(update={"closed": state.closed + (ref,)})
                if esc.owner:
                    load[esc.owner] -= 1
            elif esc.is_open and not old.is_open and esc.owner:
                load[esc.owner] += 1
            elif esc.is_open and old.is_open and esc.owner != old.owner:  # reassigned by a person
                if old.owner:
                    load[old.owner] -= 1
                if esc.owner:
                    load[esc.owner] += 1
            states[account] = state
            commit.states[account] = state
            # "shown" is bookkeeping: on the epic's timeline (its description), never told as a reason
            reasons = [r for d in decisions if d.escalation.id == ext and d.action != "shown" for r in d.reasons]
            intents, prev = [], old
            for d in decisions:  # in order: each decision's writes from the escalation before it
                if d.escalation.id == ext:
                    shown = d.action == "shown"
                    made = lifecycle_intents(prev, d.escalation, key=d.key, comment=None if shown else d.comment,
                                             reasons=() if shown else d.reasons,
                                             roles=roles_for(d.escalation, self.cfg))
                    if shown and ext in self._in_create:  # i11perf: the epic's create carried it already
                        made = [i for i in made if not (isinstance(i, SetFields) and i.step is None)]
                    intents += made
                    if d.action == "reassign":
                        intents += self._plan_owners(prev, d.escalation, d.key)
                    prev = d.escalation
            intents += self._writes.pop(ext, [])
            entry = pending.get(ext)
            commit.outbox[ext] = (entry.merged(esc, reasons, intents) if entry
                                  else OutboxEntry(esc, reasons, intents=merge([], intents)))
        lone = {x: w for x, w in self._writes.items() if x in after}  # writes with no decision (a record's status)
        for ext, entry in self.store.outbox_entries(lone).items():
            commit.outbox[ext] = entry.merged(after[ext], [], lone.pop(ext))
        for ext, writes in lone.items():
            commit.outbox[ext] = OutboxEntry(after[ext], [], intents=merge([], writes))
        self._writes = {}
        commit.load.update(load)
        commit.stats.update(lifecycle_decisions=len(decisions))
        commit.metrics.update(decision_counts(decisions))
        self.store.commit(commit)
        self._count_dismissals([d for d in decisions if d.action == "dismiss"])
        waiting = [x for x in changed if after[x].resolved_at and after[x].recovery
                   and not any(e.text.startswith(HEALTH_MARK) for e in after[x].timeline)]
        checked = [x for x in changed if any(e.text.startswith(HEALTH_MARK) for e in after[x].timeline)]
        if waiting:
            self.store.r.sadd(self.store.k.recovering, *waiting)
        if checked:
            self.store.r.srem(self.store.k.recovering, *checked)


def _epic_fields(fields: dict[str, Any], ids: dict[str, str]) -> EpicFields:
    def text(role: str) -> str | None:
        value = fields.get(ids.get(role, ""))
        if isinstance(value, dict):
            value = value.get("value")
        return str(value) if value not in (None, "") else None

    concession = fields.get(ids.get("concession", ""))
    if isinstance(concession, dict):
        concession = concession.get("value")
    flag = None if concession in (None, "") else str(concession).lower() in ("yes", "true", "1")
    return EpicFields(root_cause=text("root_cause"), concession_given=flag, resolution_summary=text("resolution"))


def _status_changes(issue: dict[str, Any], people: dict[str, str] | None = None
                    ) -> list[tuple[datetime, str, str | None]]:
    out = []
    for history in (issue.get("changelog") or {}).get("histories") or []:
        for item in history.get("items") or []:
            if item.get("field") == "status" and history.get("created"):
                author = person_of(history.get("author"), people or {})  # i15
                out.append((jira_time(history["created"]), str(item.get("toString")), author))
    return sorted(out, key=lambda c: c[0])


def _transition_time(issue: dict[str, Any], status: str | None) -> datetime | None:
    times = [at for at, to, _ in _status_changes(issue) if to == status]
    return times[-1] if times else None


def _transition_author(issue: dict[str, Any], status: str | None, people: dict[str, str] | None = None
                       ) -> str | None:
    authors = [by for _, to, by in _status_changes(issue, people) if to == status]
    return authors[-1] if authors else None

