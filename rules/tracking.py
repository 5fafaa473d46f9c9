"""The escalation tracking document (seed 004), as plain data for any renderer.

The playbook gives every SEV-1 and SEV-2 escalation a formal tracking document; the connector
keeps one for every escalation, as the Jira epic's description. This module decides *what* the
document says (sections, rows, what is cut to fit); :mod:`connectors.jira_adf` and
:mod:`connectors.jira_wiki` decide how Jira Cloud and Data Center show it. Pure: no clock, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from rules.communication import LogEntry
from rules.models import Breach, Escalation, ExecSponsor, Frozen, TimelineEntry, Trigger, User, UtcDatetime

STEP_TITLES: dict[str, str] = {
    "intake": "Intake and ownership: acknowledge the customer",
    "investigation": "Investigation: the full factual picture",
    "solution_design": "Solution design: the cross-functional action",
    "customer_update": "Customer update: findings, actions, committed timeline",
    "closure": "Closure message once the fix is in",
    "follow_up": "Follow-up check-in with the customer",
    "sponsor_brief": "Executive sponsor brief (5-minute written brief)",
    "week1_stabilise": "Week 1: confirm the fix, written resolution summary, CSM call",
    "weeks2_4_check_ins": "Weeks 2-4: double the check-in cadence",
    "month2_mini_qbr": "Month 2: mini-QBR on recovery and momentum",
    "month3_validation": "Month 3: health score stabilised or improving",
    "month6_recovery_check": "Month 6: full recovery check (reference?)",
}
TRIGGER_TITLES: dict[str, str] = {
    "keyword": "Watched words", "ticket_burst": "Ticket burst", "health_drop": "Health drop",
    "executive_flag": "Customer executive", "ceo_email": "Email to our CEO", "social": "Social media",
    "repeat": "Repeat escalation",
}
ROLE_TITLES: dict[str, str] = {
    "support_agent": "Support agent", "csm": "CSM", "cs_manager": "CS manager", "cs_director": "CS director",
    "vp_cs": "VP Customer Success", "vp_engineering": "VP Engineering", "cto": "CTO", "cro": "CRO", "ceo": "CEO",
}
STAKEHOLDERS_SHORT = 12
OWNERSHIP_NOTE = ("This description is the escalation's tracking document, written by escalation-sync "
                  "and rewritten whenever the escalation changes: edits here are overwritten. "
                  "Comment on this epic instead; the Salesforce record holds the same facts.")


def step_title(step: str) -> str:
    """A plan step's action as a person reads it (``solution_design`` -> its playbook title)."""
    return STEP_TITLES.get(step, step.replace("_", " ").capitalize())



BREACHES_SHOWN = 5
"""Breaches listed in the document (the newest); an SLA left unmet for months misses thousands."""

class PlanRow(Frozen):
    number: int
    step: str
    action: str
    owner: str | None
    due: UtcDatetime | None
    key: str | None = None
    owner_name: str = ""
    """The owner's name when the writer knows the people (the table shows it instead of the e-mail)."""


class StakeholderRow(Frozen):
    email: str
    name: str
    role: str
    notified: UtcDatetime


class TrackingDocument(Frozen):
    """Every section of seed 004's tracking document, plus what the connector knows besides."""

    escalation_id: str
    customer: str
    account: str
    arr: float | None
    severity: str
    tier: int
    status: str
    owner: str | None
    opened: UtcDatetime
    target_resolution: UtcDatetime | None
    summary: str
    triggers: tuple[str, ...]
    tickets: tuple[str, ...]
    sponsor: ExecSponsor
    breaches: tuple[Breach, ...]  # the newest BREACHES_SHOWN; the count of all in breaches_total
    breaches_total: int
    timeline: tuple[TimelineEntry, ...]
    timeline_omitted: int
    root_cause: str | None
    plan: tuple[PlanRow, ...]
    communications: tuple[LogEntry, ...]
    communications_omitted: int
    stakeholders: tuple[StakeholderRow, ...]
    resolution_summary: str
    resolved_at: UtcDatetime | None
    closed_at: UtcDatetime | None
    concession_given: bool | None
    post_actions: tuple[PlanRow, ...]
    plan_keys_known: bool = True
    """False when the writer did not say which plan issues exist (the epic's first write)."""
    stakeholders_omitted: int = 0
    owner_name: str = ""
    """The owner's name, when the writer knows the people (shown beside the e-mail)."""
    shortened: bool = False
    """Long texts were cut to fit Jira's limit (the Salesforce record has them whole)."""
    ownership_note: str = OWNERSHIP_NOTE


def owner_text(doc: TrackingDocument) -> str:
    """The owner as the document shows it: ``Lee Park (lee@vendor.example)``, the e-mail alone
    when the name is unknown, ``unassigned`` without an owner."""
    if not doc.owner:
        return "unassigned"
    return f"{doc.owner_name} ({doc.owner})" if doc.owner_name else doc.owner


def trigger_line(t: Trigger) -> str:
    """One trigger in one line: ``Watched words at 2026-11-18 09:00Z on SUP-101: 'cancel'...``."""
    named = all(k in t.reason for k in t.tickets)
    where = f" on {', '.join(t.tickets)}" if t.tickets and not named else ""
    why = f": {t.reason}" if t.reason else ""
    return f"{TRIGGER_TITLES.get(t.kind, t.kind)} at {t.at:%Y-%m-%d %H:%M}Z{where}{why}"


def _rows(steps: Iterable[tuple[str, str | None, datetime | None]], keys: Mapping[str, str],
          people: Mapping[str, User]) -> tuple[PlanRow, ...]:
    def name(owner: str | None) -> str:
        user = people.get((owner or "").lower())
        return user.name if user is not None and user.name else ""

    return tuple(PlanRow(number=i, step=s, action=step_title(s), owner=o, due=d, key=keys.get(s), owner_name=name(o))
                 for i, (s, o, d) in enumerate(steps, start=1))


def plan_owner_text(row: PlanRow) -> str:
    """A plan step's owner as the table shows it: the name, else the e-mail, else ``unassigned``."""
    return row.owner_name or row.owner or "unassigned"


def _notified(esc: Escalation, email: str) -> datetime:
    """When ``email`` became a stakeholder: the timeline entry naming them, else the opening."""
    return next((e.at for e in esc.timeline if email in e.text), esc.opened)


def _stakeholders(esc: Escalation, people: Mapping[str, User]) -> tuple[StakeholderRow, ...]:
    rows = []
    for email in esc.stakeholders:
        user = people.get(email.lower())
        role = ROLE_TITLES.get(user.role.value, user.role.value) if user else ""
        rows.append(StakeholderRow(email=email, name=(user.name if user and user.name else email),
                                   role=role, notified=_notified(esc, email)))
    return tuple(sorted(rows, key=lambda r: (r.notified, r.email)))


def issue_summary(esc: Escalation) -> str:
    """The one-paragraph summary: what happened, from the triggers, in the customer's words."""
    text = esc.summary.strip() or f"Escalation of {esc.account_name}"
    if text[-1] not in ".!?":
        text += "."
    unnamed = [k for k in esc.tickets if k not in text]
    if unnamed:
        text += f" Linked tickets: {', '.join(unnamed)}."
    return text


def tracking_document(esc: Escalation, *, arr: float | None = None, plan_keys: Mapping[str, str] | None = None,
                      communications: Iterable[LogEntry] | None = None, people: Mapping[str, User] | None = None,
                      timeline_keep: int | None = None, communications_keep: int | None = None,
                      text_limit: int | None = None) -> TrackingDocument:
    """The document for ``esc``.

    ``timeline_keep`` / ``communications_keep`` keep only the newest entries of those sections
    (the renderer's way to fit Jira's size limit); the document then says how many it left out.
    ``text_limit`` cuts every free text (summaries, timeline entries, reasons) to that many
    characters and lists at most :data:`STAKEHOLDERS_SHORT` stakeholders: the last resort for
    an escalation whose texts alone are too long.
    ``plan_keys`` (step -> Jira key) lets the plan table link its rows to the plan issues.
    ``communications`` None (the default) is the log the escalation carries, with its count of
    earlier entries; a given log replaces it.
    """
    def cut(text: str) -> str:
        return text if text_limit is None or len(text) <= text_limit else text[: max(0, text_limit - 1)] + "\u2026"

    keys = dict(plan_keys or {})
    target = next((p.due for p in esc.plan if p.step == "solution_design"), None)
    timeline = esc.timeline
    if timeline_keep is not None and len(timeline) > timeline_keep:
        timeline = timeline[len(timeline) - max(0, timeline_keep):] if timeline_keep > 0 else ()
    if text_limit is not None:
        timeline = tuple(e.model_copy(update={"text": cut(e.text)}) for e in timeline)
    all_log = esc.communications if communications is None else tuple(communications)
    earlier = esc.communications_earlier if communications is None else 0
    log = all_log
    if communications_keep is not None and len(log) > communications_keep:
        log = log[len(log) - max(0, communications_keep):] if communications_keep > 0 else ()
    directory = {k.lower(): v for k, v in (people or {}).items()}
    people_rows = _stakeholders(esc, directory)
    owner = directory.get((esc.owner or "").lower())
    shown_people = people_rows if text_limit is None else people_rows[:STAKEHOLDERS_SHORT]
    sponsor = esc.exec_sponsor if text_limit is None else esc.exec_sponsor.model_copy(
        update={"reasons": tuple(cut(r) for r in esc.exec_sponsor.reasons)})
    return TrackingDocument(
        escalation_id=esc.id, customer=esc.account_name, account=esc.account, arr=arr,
        severity=esc.severity.label, tier=esc.tier, status=esc.status, owner=esc.owner,
        opened=esc.opened, target_resolution=target, summary=cut(issue_summary(esc)),
        triggers=tuple(cut(trigger_line(t)) for t in esc.triggers), tickets=esc.tickets,
        sponsor=sponsor, breaches=esc.breaches[-BREACHES_SHOWN:], breaches_total=len(esc.breaches),
        timeline=timeline, timeline_omitted=len(esc.timeline) - len(timeline),
        root_cause=cut(esc.root_cause) if esc.root_cause else None,
        plan=_rows(((p.step, p.owner, p.due) for p in esc.plan), keys, directory),
        communications=log, communications_omitted=earlier + len(all_log) - len(log),
        stakeholders=shown_people, stakeholders_omitted=len(people_rows) - len(shown_people),
        resolution_summary=cut(esc.resolution_summary), shortened=text_limit is not None,
        resolved_at=esc.resolved_at, closed_at=esc.closed_at,
        concession_given=esc.concession_given,
        post_actions=_rows(((p.step, p.owner, p.due) for p in esc.recovery), keys, directory),
        plan_keys_known=plan_keys is not None, owner_name=owner.name if owner is not None else "",
    )


def next_due(esc: Escalation) -> tuple[str, datetime] | None:
    """The plan step due soonest that is still to do: (action, due), or None.

    Intake is done once the escalation is acknowledged; closure and follow-up carry a due time
    only once it is resolved; the recovery steps follow after resolution.
    """
    steps = [p for p in (*esc.plan, *esc.recovery) if p.due is not None]
    if esc.acknowledged_at is not None:
        steps = [p for p in steps if p.step != "intake"]
    if esc.resolved_at is not None:
        steps = [p for p in steps if p.step not in ("intake", "investigation", "solution_design",
                                                   "customer_update", "sponsor_brief")]
    if not steps:
        return None
    first = min(steps, key=lambda p: (p.due, p.step))
    assert first.due is not None
    return step_title(first.step), first.due
