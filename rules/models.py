"""The domain: what the rules read (a book of business) and what they decide (escalations).

Every model is immutable and refuses unknown keys, so a typo in a book or a change in an API
shape is an error that names the key instead of a silently ignored value. Times are aware UTC
datetimes; a naive time in the input is read as UTC.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from enum import IntEnum, StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def _as_utc(value: datetime) -> datetime:
    if value.tzinfo is UTC:  # already normalised (most values: models built from models)
        return value
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]
"""A datetime normalised to UTC (naive input is read as UTC)."""


class Frozen(BaseModel):
    """Base of every domain model: immutable, unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Role(StrEnum):
    SUPPORT_AGENT = "support_agent"
    CSM = "csm"
    CS_MANAGER = "cs_manager"
    CS_DIRECTOR = "cs_director"
    VP_CS = "vp_cs"
    VP_ENGINEERING = "vp_engineering"
    CTO = "cto"
    CRO = "cro"
    CEO = "ceo"


class Severity(IntEnum):
    """Lower is more severe, so ``min`` picks the highest severity."""

    SEV1 = 1
    SEV2 = 2
    SEV3 = 3
    SEV4 = 4

    @property
    def label(self) -> str:
        return f"SEV-{self.value}"

    @classmethod
    def parse(cls, text: str | int) -> Severity:
        """Read ``"SEV-2"``, ``"sev2"``, ``"2"`` or ``2``."""
        raw = str(text).upper().replace("SEV", "").replace("-", "").strip()
        return cls(int(raw))


Channel = Literal["portal", "email", "phone", "social", "executive_email"]
Segment = Literal["enterprise", "mid_market", "smb"]


class User(Frozen):
    """A person at the vendor (Salesforce ``User``): who can own or watch an escalation."""

    email: str
    name: str = ""
    role: Role
    manager: str | None = None


class HealthSample(Frozen):
    at: UtcDatetime
    score: float


class Account(Frozen):
    """A customer account (Salesforce ``Account``)."""

    id: str
    name: str
    arr: float = 0
    segment: Segment = "mid_market"
    owner: str | None = None
    customer_since: date | None = None
    renewal_date: date | None = None
    domains: tuple[str, ...] = ()
    health: tuple[HealthSample, ...] = ()


class Person(Frozen):
    """A ticket's reporter or a comment's author."""

    email: str = ""
    name: str = ""
    title: str = ""
    customer: bool = False


class Comment(Frozen):
    at: UtcDatetime
    author: Person
    body: str = ""
    public: bool = True
    id: str | None = None

    @property
    def identity(self) -> str:
        """A stable id: the source's id, else a digest of what the comment is."""
        if self.id:
            return self.id
        raw = f"{self.at.isoformat()}|{self.author.email}|{self.body}"
        return hashlib.sha1(raw.encode("utf-8")).hexdigest()[:12]


class Ticket(Frozen):
    """A support ticket (a Jira issue in a support project) as last seen."""

    key: str
    account: str | None = None
    created: UtcDatetime
    updated: UtcDatetime | None = None
    summary: str = ""
    description: str = ""
    priority: str | None = None
    labels: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    channel: Channel = "portal"
    status: str | None = None
    reporter: Person = Person()
    comments: tuple[Comment, ...] = ()


class BookEscalation(Frozen):
    """An escalation that exists (exported from the org), with the people's judgement on it.

    ``status: Dismissed`` means someone said it was not an escalation; any other status means it
    was kept. ``backtest --compare`` and ``--sweep`` count, per rule set, the dismissed ones it
    would still open and the kept ones it would no longer open (matched by account).
    """

    id: str
    account: str
    opened: UtcDatetime | None = None
    status: Literal["Open", "In Progress", "Resolved", "Closed", "Dismissed"] = "Open"
    dismissed_at: UtcDatetime | None = None
    dismissed_by: str | None = None
    kinds: tuple[str, ...] = Field(default=(), description="trigger kinds that fired")
    severity: str | None = None
    tier: int | None = None
    owner: str | None = None
    root_cause: str | None = None

    @property
    def dismissed(self) -> bool:
        return self.status == "Dismissed"


class Book(Frozen):
    """A small book of business: the world as of ``now`` (ARCHITECTURE.md, "The book")."""

    now: UtcDatetime
    users: tuple[User, ...] = ()
    accounts: tuple[Account, ...] = ()
    tickets: tuple[Ticket, ...] = ()
    escalations: tuple[BookEscalation, ...] = ()


# --- What the rules decide -------------------------------------------------------------------

TriggerKind = str
"""A trigger kind's name: one of the kinds in ``rules/triggers/`` (the registry knows them all)."""


class Trigger(Frozen):
    """One reason to escalate: kind, when it became true, and its evidence."""

    id: str = Field(description="deterministic: the same evidence always gives the same id")
    kind: TriggerKind
    account: str
    at: UtcDatetime
    tickets: tuple[str, ...] = ()
    issue: str | None = Field(default=None, description="the same-issue key, when it has one")
    words: tuple[str, ...] = Field(default=(), description="watched words found (keyword)")
    reason: str = ""


class TimelineEntry(Frozen):
    at: UtcDatetime
    text: str


class LogEntry(Frozen):
    """One communication to the customer (the tracking document's "Customer Communication Log"):
    time, channel, author (the display name), the first line said. ``id`` identifies the comment
    it came from (``<ticket or "epic">:<comment id>``), so the same comment is logged once.
    Built by :mod:`rules.communication`."""

    at: UtcDatetime
    channel: str
    author: str
    summary: str
    ticket: str | None = None
    id: str = ""


class PlanStep(Frozen):
    step: str
    owner: str | None
    due: UtcDatetime | None


class SeverityChange(Frozen):
    at: UtcDatetime
    severity: Severity


class ExecSponsor(Frozen):
    required: bool = False
    due: UtcDatetime | None = None
    reasons: tuple[str, ...] = ()


class Breach(Frozen):
    """A missed SLA deadline, acted on once (timeline, tier +1, notification)."""

    clock: Literal["acknowledge", "update", "resolution"]
    due: UtcDatetime
    at: UtcDatetime


class Escalation(Frozen):
    """One escalation of one account: the Salesforce record and the Jira epic are views of it."""

    id: str
    account: str
    account_name: str
    opened: UtcDatetime
    severity: Severity
    tier: int
    owner: str | None
    status: Literal["Open", "In Progress", "Resolved", "Closed", "Dismissed"] = "Open"
    stakeholders: tuple[str, ...] = ()
    triggers: tuple[Trigger, ...] = ()
    tickets: tuple[str, ...] = ()
    issues: tuple[str, ...] = ()
    exec_sponsor: ExecSponsor = ExecSponsor()
    plan: tuple[PlanStep, ...] = ()
    timeline: tuple[TimelineEntry, ...] = ()
    severity_history: tuple[SeverityChange, ...] = ()
    acknowledged_at: UtcDatetime | None = None
    resolved_at: UtcDatetime | None = None
    closed_at: UtcDatetime | None = None
    summary: str = ""
    # --- lifecycle (POLICY.md sections 9-11) ---
    last_update_at: UtcDatetime | None = None
    breaches: tuple[Breach, ...] = ()
    root_cause: str | None = None
    concession_given: bool | None = None
    resolution_summary: str = ""
    recovery: tuple[PlanStep, ...] = ()
    arr: float | None = None
    """The account's ARR as last seen (shown in the tracking document and the notifications)."""
    # --- going live and people on the epic (rules.lifecycle.visible, rules.lifecycle.people) ---
    shown_at: UtcDatetime | None = Field(default=None, description="when its epic was created (first visible)")
    clocks_from: UtcDatetime | None = Field(
        default=None, description="SLA clocks start here, not at opened (shown more than a poll interval later)")
    found_in_history: bool = Field(default=False, description="opened before go-live (the first backfill)")
    dismissed_at: UtcDatetime | None = None
    dismissed_by: str | None = None
    severity_set_at: UtcDatetime | None = Field(
        default=None, description="a person set the severity on the epic then: only later evidence raises it")
    # --- the customer communication log (rules.communication) ---
    communications: tuple[LogEntry, ...] = Field(
        default=(), description="the newest public replies by the vendor's people, oldest first")
    communications_earlier: int = Field(default=0, description="older entries no longer kept")

    @property
    def is_open(self) -> bool:
        return self.status in ("Open", "In Progress")


def external_id(account_id: str, opened: datetime) -> str:
    """The escalation's identity in both systems, derived from (account, opened at).

    Any retry of a crashed attempt computes the same id and so finds what the earlier attempt
    created, in Salesforce (upsert by ``External_Id__c``) and in Jira (JQL on the epic's property).
    """
    return f"ESC-{account_id}-{_as_utc(opened):%Y%m%dT%H%M%SZ}"


def clocked(esc: Escalation) -> Escalation:
    """The escalation as its SLA clocks see it: opened when people could first act on it.

    An escalation found in history (its epic created more than a poll interval after its
    trigger) carries ``clocks_from``; its acknowledge, update, action-plan and resolution
    deadlines then count from that moment, with the severity in force then, so nobody is
    held to a deadline that fell before the epic existed. Otherwise it is returned unchanged.
    """
    start = esc.clocks_from
    if start is None or start <= esc.opened:
        return esc
    changes = sorted(esc.severity_history or (SeverityChange(at=esc.opened, severity=esc.severity),),
                     key=lambda c: c.at)
    before = [c for c in changes if c.at <= start]
    first = before[-1].severity if before else changes[0].severity
    kept = (SeverityChange(at=start, severity=first), *(c for c in changes if c.at > start))
    return esc.model_copy(update={"opened": start, "severity_history": kept})
