"""Carrying intents out, concurrently, in the order that matters, each exactly once.

The writer hands over a batch of escalations (claimed, in priority order: SEV-1 first, then
the highest tier, then the oldest) with the intents (:mod:`rules.intents`) still to do. The
executor works in phases, each across the whole batch, with a bounded thread pool per system
(``JIRA_MAX_IN_FLIGHT``, ``SALESFORCE_MAX_IN_FLIGHT``) and the shared limiter under every call:

1. **visible**: epics in bulk (50 a call, the chunks in parallel) with their ticket links
   inside the create request (``update.issuelinks``); then the ``Escalation__c`` records
   through Collections (200 a call); then the notifications (the epic key exists now);
2. **plan**: plan issues in bulk;
3. **detail**: per escalation, one after another on its epic (Jira limits writes per issue),
   in parallel across escalations: field updates, comments, watchers, links, transitions.

Every intent done is recorded at once (``{ns}:done:{ext}``), so a failure part-way never
redoes a watcher, a link or a comment. Creates keep their crash-safety: an intent mark before
every create; a later attempt that finds the mark looks the issue up by its label (or the
epic's children) and waits out the search settle time rather than create twice. A comment
whose answer was lost is looked for on the epic before it is posted again.

Adding a kind of write: its intent in ``rules/intents.py`` and its execution here, in the
phase it belongs to (one method).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from connectors.errors import ConnectorError
from connectors.jira import BULK, links_update
from connectors.jira_document import adf, epic_document
from connectors.notify import NotifyEvent
from connectors.salesforce import BATCH as SF_BATCH
from rules.config import CalendarConfig
from rules.intents import (
    AddLabel,
    AddWatcher,
    AssignIssue,
    Comment,
    CreateEpic,
    CreatePlanIssue,
    Intent,
    LinkTicket,
    Notify,
    SetFields,
    Transition,
    UpsertRecord,
)
from rules.models import Escalation, PlanStep
from sync.crashpoints import crashpoint
from sync.notifications import event_for
from sync.state import OutboxEntry, Store

log = logging.getLogger("escalation_sync.executor")
T = TypeVar("T")
R = TypeVar("R")


@dataclass(eq=False)
class Work:
    """One escalation in a flush: its outbox entry, what exists (index), what is done."""

    entry: OutboxEntry
    index: dict[str, Any]
    done: dict[str, str]
    deferred: bool = False
    failed: bool = False
    left: bool = False  # its details not started before the deadline: handed to the next flush

    @property
    def ext(self) -> str:
        return self.entry.escalation.id

    @property
    def esc(self) -> Escalation:
        return self.entry.escalation

    def pending(self, kind: type[T]) -> list[T]:
        return [i for i in self.entry.intents if isinstance(i, kind) and i.key not in self.done]  # type: ignore[misc]

    @property
    def complete(self) -> bool:
        return not (self.deferred or self.failed or self.left) and all(i.key in self.done for i in self.entry.intents)


def priority(esc: Escalation) -> tuple[int, int, str]:
    """SEV-1 first, then the highest tier, then the oldest."""
    return int(esc.severity), -esc.tier, esc.opened.isoformat()


@dataclass
class Pools:
    """Bounded in-flight calls per system (threads are cheap next to a 100 ms round trip)."""

    jira: ThreadPoolExecutor
    salesforce: ThreadPoolExecutor
    notify: ThreadPoolExecutor

    @classmethod
    def sized(cls, jira: int, salesforce: int, notify: int = 4) -> Pools:
        return cls(ThreadPoolExecutor(max(jira, 1), "jira"), ThreadPoolExecutor(max(salesforce, 1), "salesforce"),
                   ThreadPoolExecutor(max(notify, 1), "notify"))


@dataclass
class Outcome:
    epics_created: int = 0
    steps_created: int = 0
    records_upserted: int = 0
    errors: list[BaseException] = field(default_factory=list)


class Executor:
    def __init__(self, store: Store, salesforce: Any, jira: Any, shape: Any, pools: Pools, *,
                 settle_seconds: float, clock: Callable[[], float], calendar: CalendarConfig | None,
                 send: Callable[[NotifyEvent], bool], fields: Any):
        self.store, self.sf, self.jira, self.shape, self.pools = store, salesforce, jira, shape, pools
        self.settle, self.clock, self.calendar, self.send = settle_seconds, clock, calendar, send
        self.deadline: float | None = None  # time.monotonic(): details not started by then wait
        # the escalations as they will be once their epics exist at a moment (the watch's "shown"
        # decision: clocks, "found in history" timeline entry, plan dues); None: as decided
        self.visible: Callable[[list[Escalation], datetime], list[Escalation]] | None = None
        self.f = fields  # sync.writes: the shapes of an epic, a plan issue, a record
        self.people: dict[str, Any] = {}  # e-mail -> User, for the document (set per run)

    # --- plumbing ---------------------------------------------------------------------------

    def _each(self, pool: ThreadPoolExecutor, items: Sequence[T], fn: Callable[[T], R],
              out: Outcome) -> list[R | None]:
        """``fn`` over ``items`` on ``pool``; a failure is kept in ``out.errors`` (None in its place)."""
        futures = [pool.submit(fn, item) for item in items]
        results: list[R | None] = []
        for future in futures:
            try:
                results.append(future.result())
            except Exception as exc:  # noqa: BLE001 - kept, raised by the writer after the batch
                out.errors.append(exc)
                results.append(None)
        return results

    def _mark(self, w: Work, results: dict[str, str]) -> None:
        self.store.mark_done(w.ext, results)
        w.done.update(results)

    def _intend(self, ext: str, what: str) -> None:
        self.store.set_intent(ext, what, self.clock(), ttl=int(self.settle * 10) + 60)

    def _waiting(self, ext: str, what: str) -> bool | None:
        """None: no attempt on record; else whether the settle time is still running."""
        at = self.store.intent(ext, what)
        return None if at is None else self.clock() - at < self.settle

    # --- the run ----------------------------------------------------------------------------

    def run(self, works: list[Work], *, visible_only: bool = False) -> Outcome:
        """Carry the works' intents out, phase by phase. ``visible_only``: phase 1 alone (epics,
        records, notifications), so a long flush makes every escalation visible before it writes
        any plan issue or watcher (the writer's first pass)."""
        out = Outcome()
        # i14: the document names the owner and the stakeholders (the users as last read, no call)
        self.people = {u.email.lower(): u for u in self.store.users() or []}
        self._as_shown(works)
        ids = self._user_ids(works, out, owners_only=visible_only)
        if out.errors:  # an assignee or a watcher would be missing: nothing is written without them
            return out
        self._epics(works, ids, out)
        self._records(works, out)
        self._notify(works, out)
        if visible_only:
            return out
        self._plan(works, ids, out)
        self._details(works, ids, out)
        crashpoint("writes.after_jira_updates")
        return out

    def _user_ids(self, works: list[Work], out: Outcome, *, owners_only: bool = False) -> dict[str, str | None]:
        emails: set[str] = set()
        for w in works:
            if w.pending(CreateEpic) and w.esc.owner:
                emails.add(w.esc.owner)
            if owners_only:  # phase 1 needs only the epics' assignees
                continue
            steps = {p.step: p for p in (*w.esc.plan, *w.esc.recovery)}
            emails.update(s.owner for i in w.pending(CreatePlanIssue) if (s := steps.get(i.step)) and s.owner)
            emails.update(i.email for i in w.pending(AddWatcher))
            emails.update(i.email for i in w.pending(AssignIssue) if i.email)  # a person's reassignment followed
        # a person not found before is asked again (a mapping may have been added since doctor named them)
        known = {e: a for e, a in self.store.jira_user_ids(emails).items() if a}
        missing = sorted(emails - set(known))
        found = self._each(self.pools.jira, missing, lambda e: (self.jira.account_id(e),), out)
        looked = {e: f[0] for e, f in zip(missing, found, strict=True) if f is not None}
        self.store.save_jira_user_ids({e: a for e, a in looked.items() if a})  # keep what was found
        return {**known, **looked}

    # --- phase 1: visible -------------------------------------------------------------------

    def _epics(self, works: list[Work], ids: dict[str, str | None], out: Outcome) -> None:
        create: list[Work] = []
        lookups: list[Work] = []
        for w in works:
            if not w.pending(CreateEpic):
                continue
            if w.index.get("epic"):
                self._epic_exists(w, w.index["epic"], linked=False)
                continue
            waiting = self._waiting(w.ext, "epic")
            (create if waiting is None else lookups).append(w)
        found = self._each(self.pools.jira, lookups, lambda w: self.jira.by_label(
            self.shape.project, w.ext, ["summary"]), out)
        for w, issues in zip(lookups, found, strict=True):
            if issues is None:
                w.failed = True
            elif issues:
                self._epic_exists(w, issues[0]["key"], linked=False)
            elif self._waiting(w.ext, "epic"):
                w.deferred = True
            else:
                create.append(w)
        if not create:
            return
        for w in create:
            self._intend(w.ext, "epic")
        crashpoint("writes.after_intents")
        shown = self._shown_in_create(create)
        bodies = [self._epic_body(w, ids, links=True) for w in create]
        keys = self._create(create, bodies, out)
        retry = [(w, self._epic_body(w, ids, links=False)) for w, k, b in zip(create, keys, bodies, strict=True)
                 if k is None and b.get("update") and not w.failed]
        if retry:  # a refused link (a ticket gone, say) must not keep the epic from existing
            again = self._create([w for w, _ in retry], [b for _, b in retry], out)
            for (w, _), key in zip(retry, again, strict=True):
                keys[create.index(w)] = key
                w.index["unlinked"] = True
        crashpoint("writes.after_epic_create")
        for w, key in zip(create, keys, strict=True):
            if key is None:
                w.deferred = w.deferred or not w.failed
                continue
            linked = not w.index.pop("unlinked", False)
            if shown is not None:  # the watch reads this instead of Jira's created: nothing to rewrite
                w.index["shown"] = shown.isoformat()
            self._epic_exists(w, key, linked=linked, created=True)
            out.epics_created += 1
        crashpoint("writes.after_epics_recorded")

    def _shown_in_create(self, create: list[Work]) -> datetime | None:
        """Write the epics as the watch will record them once they exist (``shown``): an
        escalation found in history's timeline entry, its clocks and its plan as re-dated from
        them go in the epic's create and its record, so no later PUT rewrites the epic. The
        moment is taken just before the create (Jira's ``created`` follows within the call)."""
        if self.visible is None or not create:
            return None
        at = datetime.fromtimestamp(self.clock(), UTC)
        self._show(create, at)
        return at

    def _as_shown(self, works: list[Work]) -> None:
        """An epic created as shown (index ``shown``) is written on as shown until the watch has
        recorded it: its plan issues are created with the dues its description and record already
        give (no re-dating PUT per plan issue, no "updated" mail to each assignee on day one),
        also when a later flush task creates them."""
        if self.visible is None:
            return
        waiting: dict[str, list[Work]] = {}
        for w in works:
            if w.index.get("shown") and w.esc.shown_at is None:
                waiting.setdefault(w.index["shown"], []).append(w)
        for at, group in waiting.items():
            self._show(group, datetime.fromisoformat(at))

    def _show(self, works: list[Work], at: datetime) -> None:
        assert self.visible is not None
        for w, esc in zip(works, self.visible([w.esc for w in works], at), strict=True):
            if esc is not w.esc:
                w.entry = OutboxEntry(esc, w.entry.reasons, w.entry.version, w.entry.intents)

    def _epic_exists(self, w: Work, key: str, *, linked: bool, created: bool = False) -> None:
        """Record the epic's key at once (it must survive a crash now) and what its create did."""
        w.index["epic"] = key
        self.store.index_put(w.ext, w.index)
        done = {i.key: key for i in w.pending(CreateEpic)}
        if created:  # the create wrote the latest fields and timeline, and the links that rode in it
            done.update({i.key: "created" for i in w.pending(SetFields) if i.step is None})
            done.update({i.key: "in the description" for i in w.pending(Comment) if i.id.startswith("update:")})
            if linked:
                done.update({i.key: "in create" for i in w.pending(LinkTicket)})
        self._mark(w, done)

    def _epic_body(self, w: Work, ids: dict[str, str | None], *, links: bool) -> dict[str, Any]:
        document = epic_document(w.esc, cloud=self.shape.cloud, jira_url=self.shape.url, people=self.people)
        fields = self.f.epic_fields(w.esc, ids, description=document)
        body: dict[str, Any] = {"fields": fields}
        tickets = [i.ticket for i in w.pending(LinkTicket)]
        if links and tickets:
            body["update"] = links_update(self.shape.link_type, tickets)
        return body

    def _create(self, works: list[Work], bodies: list[dict[str, Any]], out: Outcome) -> list[str | None]:
        """Bulk creates, 50 a call, the calls in parallel; keys in order (None: not created)."""
        chunks = [list(range(n, min(n + BULK, len(bodies)))) for n in range(0, len(bodies), BULK)]
        answers = self._each(self.pools.jira, chunks, lambda c: self.jira.create_chunk([bodies[n] for n in c]), out)
        keys: list[str | None] = [None] * len(bodies)
        for chunk, answer in zip(chunks, answers, strict=True):
            for n, key in zip(chunk, answer or [None] * len(chunk), strict=True):
                keys[n] = key
                if answer is None:
                    works[n].failed = True
        return keys

    def _records(self, works: list[Work], out: Outcome) -> None:
        todo = [w for w in works if w.pending(UpsertRecord) and w.index.get("epic") and not w.deferred]
        if not todo:
            return
        chunks = [todo[n:n + SF_BATCH] for n in range(0, len(todo), SF_BATCH)]

        def upsert(chunk: list[Work]) -> list[dict[str, Any]]:
            return list(self.sf.upsert("Escalation__c", "External_Id__c", [
                self.f.record_fields(w.esc, w.index.get("epic"), self.calendar) for w in chunk]))

        answers = self._each(self.pools.salesforce, chunks, upsert, out)
        for chunk, results in zip(chunks, answers, strict=True):
            for n, w in enumerate(chunk):
                result = (results or [])[n] if results and n < len(results) else None
                if result and result.get("success"):
                    w.index["record"] = result.get("id")
                    self._mark(w, {i.key: str(result.get("id")) for i in w.pending(UpsertRecord)})
                    out.records_upserted += 1
                else:
                    w.failed = True
        crashpoint("writes.after_salesforce_upsert")

    def _notify(self, works: list[Work], out: Outcome) -> None:
        todo = [(w, i) for w in works if w.index.get("epic") for i in w.pending(Notify)]

        def send(item: tuple[Work, Notify]) -> bool:
            w, intent = item
            if self.send(event_for(intent, w.esc, w.index.get("epic"), w.index.get("record"))):
                self._mark(w, {intent.key: "sent"})
                return True
            return False  # a webhook failed: kept, the next flush sends it (dedup by key)

        for (w, _), ok in zip(todo, self._each(self.pools.notify, todo, send, out), strict=True):
            if not ok:
                w.failed = True

    # --- phase 2: plan issues ---------------------------------------------------------------

    def _plan(self, works: list[Work], ids: dict[str, str | None], out: Outcome) -> None:
        wanted: list[tuple[Work, PlanStep]] = []
        lookups: list[Work] = []
        ready: list[Work] = []
        for w in works:
            if w.deferred or not w.index.get("epic") or not w.pending(CreatePlanIssue):
                continue
            self._known_steps(w)
            if w.pending(CreatePlanIssue):
                tried = any(self._waiting(w.ext, f"plan:{i.step}") is not None for i in w.pending(CreatePlanIssue))
                (lookups if tried else ready).append(w)
        children = self._each(self.pools.jira, lookups, lambda w: self.jira.children(
            w.index["epic"], ["labels", "duedate"]), out)
        for w, found in zip(lookups, children, strict=True):
            if found is None:
                w.failed = True
                continue
            steps = w.index.setdefault("steps", {})
            for child in found:
                for label in child["fields"].get("labels") or []:
                    if label.startswith("plan-"):
                        steps.setdefault(label[5:], {"key": child["key"], "due": child["fields"].get("duedate")})
            self.store.index_put(w.ext, w.index)
            self._known_steps(w)
            if any(self._waiting(w.ext, f"plan:{i.step}") for i in w.pending(CreatePlanIssue)):
                w.deferred = True  # a create may have happened that search does not show yet
            elif w.pending(CreatePlanIssue):
                ready.append(w)
        for w in ready:
            plan = {p.step: p for p in (*w.esc.plan, *w.esc.recovery)}
            wanted.extend((w, plan[i.step]) for i in w.pending(CreatePlanIssue))
        if not wanted:
            return
        for w, step in wanted:
            self._intend(w.ext, f"plan:{step.step}")
        crashpoint("writes.after_step_intents")
        bodies = [{"fields": self.f.step_fields(w.esc, w.index["epic"], step, ids, cloud_text=adf)}
                  for w, step in wanted]
        keys = self._create([w for w, _ in wanted], bodies, out)
        crashpoint("writes.after_step_create")
        for (w, step), key in zip(wanted, keys, strict=True):
            if key is None:
                w.deferred = w.deferred or not w.failed
                continue
            w.index.setdefault("steps", {})[step.step] = {"key": key, "due": _day(step)}
            out.steps_created += 1
        for w in dict.fromkeys(w for w, _ in wanted):
            self.store.index_put(w.ext, w.index)
            self._known_steps(w)

    def _known_steps(self, w: Work) -> None:
        """Plan intents whose issue exists (or whose step left the plan) are done."""
        steps = w.index.get("steps") or {}
        plan = {p.step for p in (*w.esc.plan, *w.esc.recovery)}
        self._mark(w, {i.key: steps[i.step]["key"] if i.step in steps else "gone"
                       for i in w.pending(CreatePlanIssue) if i.step in steps or i.step not in plan})

    # --- phase 3: detail --------------------------------------------------------------------

    def _details(self, works: list[Work], ids: dict[str, str | None], out: Outcome) -> None:
        todo = [w for w in works if w.index.get("epic") and not w.deferred and any(
            w.pending(k) for k in (SetFields, Comment, AddWatcher, LinkTicket, Transition, AssignIssue, AddLabel))]
        for w, ok in zip(todo, self._each(self.pools.jira, todo, lambda w: self._detail(w, ids), out), strict=True):
            if ok is None:
                w.failed = True

    def _detail(self, w: Work, ids: dict[str, str | None]) -> bool:
        """One escalation's writes on its epic, in order, each recorded as it is done. Past the
        deadline the writes not yet started are left for the next flush task (``w.left``): the
        deadline is looked at before every call, not only before the first, so a batch whose
        calls wait for their paced starts (an endpoint's learned rate) gives its worker back
        within about one call of the deadline, and a poll or a watch queued behind it runs."""
        if self._late(w):
            return True
        epic = w.index["epic"]
        fields = w.pending(SetFields)
        if any(i.step is None for i in fields):
            steps = {s: v["key"] for s, v in (w.index.get("steps") or {}).items()}
            self.jira.edit(epic, self.f.epic_update(w.esc, description=epic_document(
                w.esc, cloud=self.shape.cloud, plan_keys=steps or None, jira_url=self.shape.url, people=self.people),
                priority=any(i.priority for i in fields if i.step is None)))
            self._mark(w, {i.key: "set" for i in fields if i.step is None})
        if not self._due_dates(w, [i for i in fields if i.step is not None]):
            return True
        for c in w.pending(Comment):
            if self._late(w):
                return True
            self._comment(w, epic, c)
        for i in w.pending(AddWatcher):
            account = ids.get(i.email)
            if account:
                if self._late(w):
                    return True
                self.jira.watch(epic, account)
            self._mark(w, {i.key: account or "no jira user"})
        for i in w.pending(LinkTicket):
            if self._late(w):
                return True
            self.jira.link(self.shape.link_type, i.ticket, epic)
            self._mark(w, {i.key: "linked"})
        for i in w.pending(Transition):
            if self._late(w):
                return True
            target = epic if i.step is None else (w.index.get("steps") or {}).get(i.step, {}).get("key")
            moved = bool(target) and self.jira.transition(target, i.to)
            self._mark(w, {i.key: "moved" if moved else "no such transition"})
        self._people(w, epic, ids)  # i12
        return True

    def _late(self, w: Work) -> bool:
        """Past the deadline: ``w``'s writes not done yet are left to the next flush task."""
        if self.deadline is not None and time.monotonic() > self.deadline:
            w.left = True
        return w.left

    def _people(self, w: Work, epic: str, ids: dict[str, str | None]) -> None:
        """i12: follow a person's reassignment or dismissal (each idempotent: the same assignee
        or label twice changes nothing)."""
        for i in w.pending(AssignIssue):
            if self._late(w):
                return
            target = epic if i.step is None else (w.index.get("steps") or {}).get(i.step, {}).get("key")
            ident = ids.get(i.email) if i.email else None
            if target and (ident or not i.email):
                person = None if not ident else ({"accountId": ident} if self.shape.cloud else {"name": ident})
                self.jira.update(target, {"assignee": person})
            self._mark(w, {i.key: ident or ("unassigned" if not i.email else "no jira user")})
        for i in w.pending(AddLabel):
            if self._late(w):
                return
            self.jira.send("add label", "PUT", f"issue/{epic}", {"update": {"labels": [{"add": i.label}]}})
            self._mark(w, {i.key: "labelled"})

    def _due_dates(self, w: Work, intents: Iterable[SetFields]) -> bool:
        """Plan issues re-dated; False: the deadline came first (the rest is left)."""
        plan = {p.step: p for p in (*w.esc.plan, *w.esc.recovery)}
        steps = w.index.get("steps") or {}
        for i in intents:
            have, step = steps.get(i.step or ""), plan.get(i.step or "")
            due = _day(step) if step else None
            if have and step and have.get("due") != due:
                if self._late(w):
                    return False
                self.jira.update(have["key"], {"duedate": due})
                have["due"] = due
                self.store.index_put(w.ext, w.index)
            self._mark(w, {i.key: str(due)})
        return True

    def _comment(self, w: Work, epic: str, c: Comment) -> None:
        """Exactly once: an attempt mark, the post, the done mark; after a lost answer (the mark
        without the done), the epic's comments are read first."""
        what = f"comment:{c.id}"
        if self.store.intent(w.ext, what) is not None and c.text.strip() in {
                t.strip() for t in self.jira.comment_texts(epic)}:
            self._mark(w, {c.key: "found"})
            return
        self.store.set_intent(w.ext, what, self.clock(), ttl=7 * 86400)
        self.jira.comment(epic, c.text)
        self._mark(w, {c.key: "posted"})


def _day(step: PlanStep) -> str | None:
    return step.due.strftime("%Y-%m-%d") if step.due else None


def errors_first(errors: list[BaseException]) -> BaseException | None:
    """The error to raise after a batch: a connector error before anything else."""
    for exc in errors:
        if isinstance(exc, ConnectorError):
            return exc
    return errors[0] if errors else None


__all__ = ["Executor", "Intent", "Outcome", "Pools", "Work", "errors_first", "priority"]
