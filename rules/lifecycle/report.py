"""The monthly escalation review (POLICY.md section 11): figures from escalations, nothing else.

Every figure is defined on the escalations' own timestamps, so the report of a past month is
the same whenever it is run (unless the data about that month changed). Periods are read in
the business calendar's time zone; the month is the half-open interval ``[start, end)`` of
its first and the next month's first local midnight.

Definitions (an escalation's *finish* is its ``resolved_at``, else its ``closed_at``):

* **opened**: escalations with ``start <= opened < end``.
* **active**: escalations open at some moment of the month: ``opened < end`` and (no finish
  or ``finish >= start``).
* **resolved**: escalations with ``start <= finish < end``.
* **resolution rate**: resolved / active (None when nothing was active): the share of the
  month's workload that was resolved within the month.
* **resolved without concession**: resolved escalations whose ``concession_given`` is
  False; those with True are *with*, those with None *unknown* (never counted as without).
  Its rate is without / resolved.
* **mean time to resolution**: the mean, over the resolved escalations, of the business
  days from opening to finish (working hours / the calendar's hours per day).
* **acknowledge-SLA compliance**: of the escalations opened in the month, those *judged*
  (acknowledged, finished, or with an acknowledge deadline before ``end``), the share whose
  acknowledgement - or finish, when it came first or without one - was at or before the
  acknowledge deadline. An escalation opened at the month's end, unacknowledged and not yet
  due, is not judged.
* **open per owner**: escalations open at ``end``: ``opened < end`` and (no finish or
  ``finish >= end``), counted by owner (``(no owner)`` when none); an escalation marked
  Resolved/Closed without a time is not counted.
* **root causes per quarter**: for the quarter holding the month and the three before it,
  Closed escalations with ``closed_at < end`` counted by (quarter of ``closed_at``, root
  cause); ``(none)`` counts closures without a root cause; a cause at or over
  ``learning.pattern_threshold`` is marked systemic.

An escalation listed more than once (several versions) counts once: the last version wins.
A *dismissed* escalation (a person closed it as not-an-escalation, ``status`` Dismissed) is
no escalation for any of these measures; it counts only against its trigger kinds' precision
(:mod:`rules.lifecycle.trends`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from rules.lifecycle.deadlines import acknowledge_due
from rules.lifecycle.measures import business_days, month_bounds, quarter_of, quarters_up_to
from rules.models import Escalation, Frozen, UtcDatetime
from rules.triggers.base import Context

DISMISSED = "Dismissed"
NO_OWNER = "(no owner)"
NO_ROOT_CAUSE = "(none)"
QUARTERS_SHOWN = 4


class OwnerCount(Frozen):
    owner: str
    open: int


class RootCauseCount(Frozen):
    quarter: str
    root_cause: str
    count: int
    systemic: bool


class Report(Frozen):
    """The month's figures (see the module docstring for each definition)."""

    month: str
    start: UtcDatetime
    end: UtcDatetime
    opened: int
    active: int
    resolved: int
    resolution_rate: float | None
    without_concession: int
    with_concession: int
    concession_unknown: int
    without_concession_rate: float | None
    mean_resolution_days: float | None
    ack_judged: int
    ack_on_time: int
    ack_compliance: float | None
    open_per_owner: tuple[OwnerCount, ...]
    quarters: tuple[str, ...]
    root_causes: tuple[RootCauseCount, ...]
    pattern_threshold: int


def dismissed(esc: Escalation) -> bool:
    """Dismissed by a person as not-an-escalation (POLICY.md section 9)."""
    return str(esc.status) == DISMISSED


def finish(esc: Escalation) -> datetime | None:
    """When the escalation stopped being open: its resolution, else its closure."""
    return esc.resolved_at or esc.closed_at


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _acknowledged_in_time(esc: Escalation, end: datetime, ctx: Context) -> bool | None:
    """True/False when judged, None when not yet judgeable at ``end``."""
    due = acknowledge_due(esc, ctx.cfg)
    moments = [t for t in (esc.acknowledged_at, finish(esc)) if t is not None]
    if not moments:
        return False if due < end else None
    return min(moments) <= due


def _active(esc: Escalation, start: datetime, end: datetime) -> bool:
    done = finish(esc)
    if done is None and not esc.is_open:
        return False
    return esc.opened < end and (done is None or done >= start)


def _open_at(esc: Escalation, moment: datetime) -> bool:
    done = finish(esc)
    if done is None and not esc.is_open:
        return False
    return esc.opened < moment and (done is None or done >= moment)


def monthly_report(escalations: Iterable[Escalation], month: str, ctx: Context) -> Report:
    """The review of ``month`` (``YYYY-MM``) over every escalation known.

    Raises:
        ValueError: when ``month`` is not ``YYYY-MM``.
    """
    cfg = ctx.cfg
    start, end = month_bounds(month, cfg.calendar)
    escs = [e for e in {e.id: e for e in escalations}.values() if not dismissed(e)]

    opened = [e for e in escs if start <= e.opened < end]
    active = [e for e in escs if _active(e, start, end)]
    resolved = [e for e in escs if (f := finish(e)) is not None and start <= f < end]
    concessions = Counter(e.concession_given for e in resolved)
    days = [business_days(e.opened, finish(e), cfg.calendar) for e in resolved]  # type: ignore[arg-type]
    judged = [j for e in opened if (j := _acknowledged_in_time(e, end, ctx)) is not None]

    owners = Counter(e.owner.lower() if e.owner else NO_OWNER for e in escs if _open_at(e, end))
    quarters = quarters_up_to(month, QUARTERS_SHOWN)
    causes: Counter[tuple[str, str]] = Counter()
    for esc in escs:
        if esc.status == "Closed" and esc.closed_at is not None and esc.closed_at < end:
            quarter = quarter_of(esc.closed_at, cfg.calendar)
            if quarter in quarters:
                causes[(quarter, esc.root_cause or NO_ROOT_CAUSE)] += 1
    threshold = cfg.learning.pattern_threshold

    return Report(
        month=month, start=start, end=end,
        opened=len(opened), active=len(active), resolved=len(resolved),
        resolution_rate=_ratio(len(resolved), len(active)),
        without_concession=concessions[False], with_concession=concessions[True],
        concession_unknown=concessions[None],
        without_concession_rate=_ratio(concessions[False], len(resolved)),
        mean_resolution_days=sum(days) / len(days) if days else None,
        ack_judged=len(judged), ack_on_time=sum(judged),
        ack_compliance=_ratio(sum(judged), len(judged)),
        open_per_owner=tuple(OwnerCount(owner=o, open=n)
                             for o, n in sorted(owners.items(), key=lambda i: (-i[1], i[0]))),
        quarters=quarters,
        root_causes=tuple(
            RootCauseCount(quarter=q, root_cause=c, count=n,
                           systemic=n >= threshold and c != NO_ROOT_CAUSE)
            for (q, c), n in sorted(causes.items())
        ),
        pattern_threshold=threshold,
    )
