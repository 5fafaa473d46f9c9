"""Going live: when an escalation became visible, and what an escalation found in history gets.

An escalation's trigger can lie hours or days before anyone could see it: the connector's
first backfill finds weeks of history, or Jira refused the epic for an hour. Its SLA clocks
then start when its epic was created (``shown_at``), not at the trigger: a deadline that fell
before the epic existed could not have been met and is never a breach (:mod:`rules.lifecycle.sla`).
A gap up to one poll interval is ordinary latency and changes nothing: the exact-minute
boundaries of the policy stay.

The go-live choice (setting ``GO_LIVE``) says what escalations found in the first backfill get:

* ``quiet`` (default): records and epics written, no per-escalation notification, one digest
  notification listing them all;
* ``skip``: nothing written for them (listed in the log and in ``status``); new evidence after
  go-live is judged as new;
* ``notify``: each notified as it would be live (with the clocks above, so no breach storm).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from rules.lifecycle.decisions import LifecycleDecision, csm_of, stamp, with_notes
from rules.models import Escalation
from rules.plans import plan_for
from rules.triggers.base import Context

GoLive = Literal["quiet", "skip", "notify"]
GO_LIVE_CHOICES: tuple[GoLive, ...] = ("quiet", "skip", "notify")
FOUND_MARK = "found in history"


def found_in_history(opened: datetime, go_live: datetime, poll: timedelta) -> bool:
    """Opened before the first cycle's start minus a poll interval: history, not news."""
    return opened < go_live - poll


def became_visible(esc: Escalation, shown: datetime, poll: timedelta, ctx: Context,
                   go_live: datetime | None = None, latency: timedelta | None = None) -> LifecycleDecision | None:
    """Record when the escalation's epic was created, and start its clocks then if it is late.

    Args:
        esc: the escalation as stored.
        shown: when its epic was created (Jira's ``created``).
        poll: the poll interval: a gap up to this long is latency, not history.
        ctx: config and directory (the plan's due dates are recomputed from the new start).
        go_live: the first cycle's start, when known: marks ``found_in_history``.
        latency: how late an epic may come and still be news, not history (default ``poll``;
            the shell passes the poll interval plus the cursor overlap: a ticket is seen within
            one poll, or one overlap when Jira indexed it late, and its epic seconds after).

    Returns:
        None when ``shown_at`` is already recorded; else a ``shown`` decision. When the epic
        came more than ``poll`` after the trigger, the clocks start at ``shown`` and the
        timeline says so once: "found in history: opened X, first shown Y".
    """
    if esc.shown_at is not None:
        return None
    update: dict[str, object] = {"shown_at": shown}
    if go_live is not None and found_in_history(esc.opened, go_live, poll):
        update["found_in_history"] = True
    notes: list[str] = []
    late = shown - esc.opened > (poll if latency is None else latency)
    if late:
        update["clocks_from"] = shown
        notes.append(f"{FOUND_MARK}: opened {stamp(esc.opened)}, first shown {stamp(shown)}; "
                     f"SLA clocks start {stamp(shown)}")
    new = esc.model_copy(update=update)
    if late and new.plan:
        new = new.model_copy(update={"plan": plan_for(new, csm_of(esc, ctx), ctx.cfg)})
    new = with_notes(new, shown, notes)
    return LifecycleDecision(action="shown", escalation=new, reasons=tuple(notes) or (f"epic shown {stamp(shown)}",),
                             key=f"{esc.id}:shown")


@dataclass(frozen=True)
class GoLiveTreatment:
    """What an opening escalation gets under a go-live choice."""

    write: bool       # record and epic written
    notify: bool      # its own notifications (new escalation, tier rise, ...)
    digest: bool      # listed in the one go-live digest notification


def treatment(choice: GoLive, history: bool) -> GoLiveTreatment:
    """Live escalations are always written and notified; the choice is about history ones."""
    if not history or choice == "notify":
        return GoLiveTreatment(write=True, notify=True, digest=False)
    if choice == "skip":
        return GoLiveTreatment(write=False, notify=False, digest=False)
    return GoLiveTreatment(write=True, notify=False, digest=True)


def skipped_still(esc: Escalation, go_live: datetime, poll: timedelta) -> bool:
    """A skipped escalation stays unwritten while all its evidence is from before go-live."""
    return all(found_in_history(t.at, go_live, poll) for t in esc.triggers) and found_in_history(
        esc.opened, go_live, poll)


def digest_lines(escalations: Iterable[Escalation]) -> tuple[str, ...]:
    """One line per escalation found in history, most severe first (the digest's body)."""
    ordered = sorted(escalations, key=lambda e: (int(e.severity), -e.tier, e.account_name))
    return tuple(f"{e.account_name}: {e.severity.label}, tier {e.tier}, owner {e.owner or 'nobody'}, "
                 f"opened {stamp(e.opened)} ({', '.join(sorted({t.kind for t in e.triggers})) or 'no trigger'})"
                 for e in ordered)


def parse_choice(value: str) -> GoLive:
    """``GO_LIVE`` read strictly: a typo is refused at start, naming the choices."""
    text = value.strip().lower()
    if text not in GO_LIVE_CHOICES:
        raise ValueError(f"GO_LIVE: {value!r} is not one of {', '.join(GO_LIVE_CHOICES)}")
    return text
