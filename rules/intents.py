"""What a decision asks the outside world to do, as plain data (cosmicpython's ``determine_actions``).

A decision turns one escalation into a new one (``previous -> new``). :func:`intents_for`
compares the two and returns the writes that make Salesforce, Jira and the people concerned
show the new one: create the epic, create a plan issue, set fields, add a watcher, link a
ticket, comment, upsert the record, transition, notify. Each intent is a frozen value with an
**idempotency key**, unique for the life of the escalation, so the shell can store intents in
the same transaction as the decision, carry each out once, record that it did, and skip it on
a retry. Notification kinds are decided here from typed facts (a tier that rose, a breach
added, a sponsor newly required), never by matching the text of reasons.

The sequence of an update is the escalation's timeline length (plus its log's count) after it: it only grows, one
or more entries per decision, so an update's comment key never repeats and never collides with
an earlier update's (unlike a per-outbox-entry version, which restarts).

To add a kind of write: one dataclass here (with its ``key``), emit it in :func:`intents_for`
(or from a lifecycle decision in :func:`lifecycle_intents`), register it in ``_TYPES``, and
give it one execution in ``sync/executor.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from typing import Any, ClassVar

from rules.models import Escalation, PlanStep


class NotifyKind(StrEnum):
    """What a notification tells (``connectors.notify.EVENT_KINDS``)."""

    NEW_ESCALATION = "new_escalation"
    TIER_RISE = "tier_rise"
    SLA_BREACH = "sla_breach"
    EXEC_SPONSOR = "exec_sponsor"
    GO_LIVE_DIGEST = "go_live_digest"  # one message listing the escalations found in history


class Phase(StrEnum):
    """When the executor carries an intent out: what people must see first goes first."""

    VISIBLE = "visible"   # the epic and the record: the escalation exists in both systems
    PLAN = "plan"         # plan issues under the epic
    DETAIL = "detail"     # watchers, links, comments, field updates, transitions, notifications


@dataclass(frozen=True)
class Intent:
    """Base of every intent: the escalation it belongs to. ``key`` is its idempotency key."""

    ext: str
    type: ClassVar[str] = "intent"
    phase: ClassVar[Phase] = Phase.DETAIL

    @property
    def key(self) -> str:
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["type"] = self.type
        return out


@dataclass(frozen=True)
class CreateEpic(Intent):
    type: ClassVar[str] = "create_epic"
    phase: ClassVar[Phase] = Phase.VISIBLE

    @property
    def key(self) -> str:
        return f"{self.ext}:epic"


@dataclass(frozen=True)
class UpsertRecord(Intent):
    """Make the ``Escalation__c`` record show the escalation as of update ``seq`` (or later)."""

    seq: int = 0
    type: ClassVar[str] = "upsert_record"
    phase: ClassVar[Phase] = Phase.VISIBLE

    @property
    def key(self) -> str:
        return f"{self.ext}:record:{self.seq}"


@dataclass(frozen=True)
class CreatePlanIssue(Intent):
    step: str = ""
    type: ClassVar[str] = "create_plan_issue"
    phase: ClassVar[Phase] = Phase.PLAN

    @property
    def key(self) -> str:
        return f"{self.ext}:plan:{self.step}"


@dataclass(frozen=True)
class SetFields(Intent):
    """Rewrite the shown fields of the epic (``step`` None) or of one plan issue (its due date),
    from the escalation as of update ``seq`` (or later)."""

    step: str | None = None
    seq: int = 0
    priority: bool = False  # the severity changed: send the priority too (never re-send a person's)
    type: ClassVar[str] = "set_fields"

    @property
    def key(self) -> str:
        return f"{self.ext}:fields:{self.step or 'epic'}:{self.seq}"


@dataclass(frozen=True)
class AddWatcher(Intent):
    email: str = ""
    type: ClassVar[str] = "add_watcher"

    @property
    def key(self) -> str:
        return f"{self.ext}:watch:{self.email}"


@dataclass(frozen=True)
class LinkTicket(Intent):
    """Link a support ticket to the epic (inside the epic's create request when both are new)."""

    ticket: str = ""
    type: ClassVar[str] = "link_ticket"

    @property
    def key(self) -> str:
        return f"{self.ext}:link:{self.ticket}"


@dataclass(frozen=True)
class Comment(Intent):
    """Post ``text`` on the epic once. ``id`` is the comment's own key (an update's sequence,
    or a lifecycle decision's key)."""

    id: str = ""
    text: str = ""
    type: ClassVar[str] = "comment"

    @property
    def key(self) -> str:
        return f"{self.ext}:comment:{self.id}"


@dataclass(frozen=True)
class Transition(Intent):
    """Move the epic (``step`` None) or a plan issue to the status ``to``."""

    step: str | None = None
    to: str = ""
    type: ClassVar[str] = "transition"

    @property
    def key(self) -> str:
        return f"{self.ext}:transition:{self.step or 'epic'}:{self.to}"


@dataclass(frozen=True)
class AssignIssue(Intent):
    """i12: give the epic (``step`` None) or a plan issue to ``email`` ("" = unassigned): a
    person reassigned the escalation (the record's owner, or the old owner's plan issues). ``id``
    tells one reassignment from the next (the decision's key)."""

    step: str | None = None
    email: str = ""
    id: str = ""
    type: ClassVar[str] = "assign_issue"

    @property
    def key(self) -> str:
        return f"{self.ext}:assign:{self.step or 'epic'}:{self.id}"


@dataclass(frozen=True)
class AddLabel(Intent):
    """i12: add ``label`` to the epic (a dismissal made on the record shows on the epic too)."""

    label: str = ""
    type: ClassVar[str] = "add_label"

    @property
    def key(self) -> str:
        return f"{self.ext}:label:{self.label}"


@dataclass(frozen=True)
class Notify(Intent):
    """Tell people (webhooks by route) about ``kind``; sent once the epic exists, so the message
    carries its key. ``id`` is the deduplication key of the notification itself."""

    kind: NotifyKind = NotifyKind.NEW_ESCALATION
    id: str = ""
    reasons: tuple[str, ...] = ()
    roles: tuple[str, ...] = field(default=())
    type: ClassVar[str] = "notify"

    @property
    def key(self) -> str:
        return f"{self.ext}:notify:{self.id}"


_TYPES: dict[str, type[Intent]] = {t.type: t for t in (
    CreateEpic, UpsertRecord, CreatePlanIssue, SetFields, AddWatcher, LinkTicket, Comment, Transition, Notify,
    AssignIssue, AddLabel)}


def from_dict(data: Mapping[str, Any]) -> Intent:
    """An intent from :meth:`Intent.to_dict`; unknown keys are a clear error."""
    kind = _TYPES.get(str(data.get("type")))
    if kind is None:
        raise ValueError(f"intent type: unknown {data.get('type')!r}; one of {', '.join(_TYPES)}")
    names = {f.name for f in fields(kind)}
    values = {k: v for k, v in data.items() if k in names}
    for name in ("reasons", "roles"):
        if name in values:
            values[name] = tuple(values[name])
    if kind is Notify:
        values["kind"] = NotifyKind(values["kind"])
    return kind(**values)


def merge(existing: Iterable[Intent], new: Iterable[Intent]) -> list[Intent]:
    """Pending intents plus new ones, each key once (the first kept), in order."""
    out: dict[str, Intent] = {}
    for intent in (*existing, *new):
        out.setdefault(intent.key, intent)
    return list(out.values())


# --- deriving intents from decisions ---------------------------------------------------------

def sequence(esc: Escalation) -> int:
    """The escalation's update sequence: its timeline length plus its communication log's count
    (both append-only, so monotonic: a new log entry alone gets fresh record and epic keys)."""
    return len(esc.timeline) + len(esc.communications) + esc.communications_earlier


def _steps(esc: Escalation) -> dict[str, PlanStep]:
    return {p.step: p for p in (*esc.plan, *esc.recovery)}


def notify_kinds(prev: Escalation | None, new: Escalation) -> list[NotifyKind]:
    """What is worth telling, from the facts: a severe opening, a tier that rose, a breach
    added, an executive sponsor newly required (or required sooner)."""
    kinds = []
    if prev is None and int(new.severity) <= 2:
        kinds.append(NotifyKind.NEW_ESCALATION)
    if prev is not None and new.tier > prev.tier:
        kinds.append(NotifyKind.TIER_RISE)
    if prev is not None and len(new.breaches) > len(prev.breaches):
        kinds.append(NotifyKind.SLA_BREACH)
    was = prev.exec_sponsor if prev is not None else None
    now = new.exec_sponsor
    if now.required and (was is None or not was.required or now.due != was.due):
        kinds.append(NotifyKind.EXEC_SPONSOR)
    return kinds


def notify_id(kind: NotifyKind, esc: Escalation) -> str:
    """The same happening gives the same key (``connectors.notify.event_key``'s format)."""
    if kind is NotifyKind.TIER_RISE:
        return f"{esc.id}|tier_rise|{esc.tier}"
    if kind is NotifyKind.SLA_BREACH and esc.breaches:
        last = esc.breaches[-1]
        return f"{esc.id}|sla_breach|{last.clock}|{last.due:%Y%m%dT%H%M%SZ}"
    if kind is NotifyKind.EXEC_SPONSOR:
        due = esc.exec_sponsor.due
        return f"{esc.id}|exec_sponsor|{f'{due:%Y%m%dT%H%M%SZ}' if due else '-'}"
    return f"{esc.id}|{kind.value}"


def _shown(esc: Escalation) -> tuple[object, ...]:
    """What the epic's own fields show (summary, priority, description's timeline)."""
    return (esc.summary, esc.severity, esc.tier, len(esc.timeline), esc.owner, esc.stakeholders,
            esc.exec_sponsor, esc.status, len(esc.communications) + esc.communications_earlier)


def intents_for(prev: Escalation | None, new: Escalation, *, reasons: Sequence[str] = (),
                evidence: bool = False, roles: tuple[str, ...] = ()) -> list[Intent]:
    """The writes that take the outside world from ``prev`` (None: nothing yet) to ``new``.

    ``evidence`` marks an update that added evidence (a poll decision): it is told on the epic
    once, under the update's sequence. ``roles`` select the notification routes.
    """
    ext, seq = new.id, sequence(new)
    out: list[Intent] = []
    if prev is None:
        out.append(CreateEpic(ext))
    if prev is None or new != prev:
        out.append(UpsertRecord(ext, seq=seq))
    before = _steps(prev) if prev is not None else {}
    for name, step in _steps(new).items():
        old = before.get(name)
        if old is None:
            out.append(CreatePlanIssue(ext, step=name))
        elif old.due != step.due:
            out.append(SetFields(ext, step=name, seq=seq))
    if prev is not None and _shown(prev) != _shown(new):
        out.append(SetFields(ext, step=None, seq=seq, priority=prev.severity != new.severity))
        if evidence and reasons:
            text = "escalation-sync update:\n" + "\n".join(f"- {r}" for r in reasons)
            out.append(Comment(ext, id=f"update:{seq}", text=text))
    had = set(prev.stakeholders) if prev is not None else set()
    out.extend(AddWatcher(ext, email=e) for e in new.stakeholders if e not in had)
    linked = set(prev.tickets) if prev is not None else set()
    out.extend(LinkTicket(ext, ticket=t) for t in new.tickets if t not in linked)
    out.extend(Notify(ext, kind=k, id=notify_id(k, new), reasons=tuple(reasons), roles=roles)
               for k in notify_kinds(prev, new))
    return out


def lifecycle_intents(prev: Escalation, new: Escalation, *, key: str, comment: str | None,
                      reasons: Sequence[str] = (), roles: tuple[str, ...] = ()) -> list[Intent]:
    """A lifecycle decision's writes: the escalation's diff plus its own comment (on ``key``)."""
    out = intents_for(prev, new, reasons=reasons, roles=roles)
    if comment:
        out.append(Comment(new.id, id=key, text=comment))
    return out
