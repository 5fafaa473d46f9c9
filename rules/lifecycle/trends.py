"""The monthly review over time: six months of the report's figures, per trigger kind, per tier
and severity, and the playbook's own reference figures to read them against.

Built on :func:`rules.lifecycle.report.monthly_report` (each month of the trend is exactly the
report that month would have had), so the definitions live in one place. Added here:

* **per trigger kind** (over the trend's months): *opened* counts the escalations opened in the
  period whose triggers include the kind (an escalation fired by two kinds counts for both);
  *dismissed* counts those of them a person dismissed as not-an-escalation; *precision* is
  ``(opened - dismissed) / opened``, the share of the kind's escalations that were real.
* **per tier and severity** (the report's month): escalations opened in the month, and open at
  its end, by severity and tier (an escalation counts at its tier and severity as last known).
* **reference figures**: the playbook author's record, 13 of 14 executive escalations resolved
  without concession, and about 10 business days to resolution (POLICY.md's preamble and seed 004).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from rules import triggers
from rules.lifecycle.measures import month_bounds, parse_month
from rules.lifecycle.report import Report, _open_at, dismissed, monthly_report
from rules.models import Escalation, Frozen, Severity
from rules.triggers.base import Context

TREND_MONTHS = 6
REFERENCE_WITHOUT_CONCESSION = 13 / 14
"""The playbook's record: 13 of 14 executive escalations resolved without a concession."""
REFERENCE_RESOLUTION_DAYS = 10.0
"""The playbook's figure: about 10 business days from escalation to resolution."""
TIERS = (1, 2, 3, 4)


class KindFigures(Frozen):
    kind: str
    opened: int
    dismissed: int
    precision: float | None


class TierSeverity(Frozen):
    severity: str
    tier: int
    opened: int
    open_at_end: int


class Review(Frozen):
    """The month's report, the months before it, and the breakdowns (module docstring)."""

    month: str
    current: Report
    trend: tuple[Report, ...]
    kinds: tuple[KindFigures, ...]
    cells: tuple[TierSeverity, ...]
    reference_without_concession: float = REFERENCE_WITHOUT_CONCESSION
    reference_resolution_days: float = REFERENCE_RESOLUTION_DAYS

    @property
    def period(self) -> str:
        """The trend's months as ``2026-06 to 2026-11``."""
        return f"{self.trend[0].month} to {self.trend[-1].month}" if self.trend else self.month


def months_up_to(month: str, count: int) -> tuple[str, ...]:
    """``month`` and the ``count - 1`` months before it, oldest first (``YYYY-MM``)."""
    year, mon = parse_month(month)
    index = year * 12 + mon - 1
    return tuple(f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - count + 1, index + 1))


def _kinds(escs: list[Escalation]) -> tuple[KindFigures, ...]:
    opened: Counter[str] = Counter()
    gone: Counter[str] = Counter()
    for esc in escs:
        for kind in {t.kind for t in esc.triggers}:
            opened[kind] += 1
            gone[kind] += dismissed(esc)
    return tuple(KindFigures(kind=k, opened=opened[k], dismissed=gone[k],
                             precision=(opened[k] - gone[k]) / opened[k] if opened[k] else None)
                 for k in dict.fromkeys([*(t.kind for t in triggers.REGISTRY), *sorted(opened)]))


def monthly_review(escalations: Iterable[Escalation], month: str, ctx: Context,
                   months: int = TREND_MONTHS) -> Review:
    """The review of ``month`` with its ``months``-month trend.

    Raises:
        ValueError: when ``month`` is not ``YYYY-MM`` or ``months`` is below 1.
    """
    if months < 1:
        raise ValueError(f"months must be at least 1, not {months}")
    escs = list({e.id: e for e in escalations}.values())
    trend = tuple(monthly_report(escs, m, ctx) for m in months_up_to(month, months))
    current = trend[-1]
    first_start, _ = month_bounds(trend[0].month, ctx.cfg.calendar)
    in_period = [e for e in escs if first_start <= e.opened < current.end]
    real = [e for e in escs if not dismissed(e)]
    in_month = [e for e in real if current.start <= e.opened < current.end]
    opened = Counter((e.severity.label, e.tier) for e in in_month)
    still = Counter((e.severity.label, e.tier) for e in real if _open_at(e, current.end))
    cells = tuple(TierSeverity(severity=s.label, tier=t, opened=opened[(s.label, t)],
                               open_at_end=still[(s.label, t)]) for s in Severity for t in TIERS)
    return Review(month=month, current=current, trend=trend, kinds=_kinds(in_period), cells=cells)


def single(report: Report) -> Review:
    """A review holding one month's report only (no trend, no breakdowns)."""
    return Review(month=report.month, current=report, trend=(report,), kinds=(), cells=())
