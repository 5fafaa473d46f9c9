"""Comparing rule sets over one book: what a change of thresholds would open, drop or change.

Pure: backtest results (the contract's JSON shape) and the book's own escalations in, plain data
out. ``backtest --compare`` diffs two rule sets; ``--sweep`` tabulates many and marks those no
other beats on both errors against the people's judgement (dismissed ones still opened, kept
ones lost).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rules.models import BookEscalation

Result = Mapping[str, Any]  # {"escalations": [...], "unmatched_tickets": [...]}


def by_account(result: Result) -> dict[str, dict[str, Any]]:
    return {e["account"]: e for e in result["escalations"]}


def judged(result: Result, existing: Iterable[BookEscalation]) -> dict[str, int] | None:
    """Against the people's judgement: dismissed escalations this rule set would still open
    (an escalation for that account), kept ones it would not open. None without judgements."""
    existing = list(existing)
    if not existing:
        return None
    opened = set(by_account(result))
    return {
        "dismissed_still_opened": sum(e.dismissed and e.account in opened for e in existing),
        "kept_lost": sum(not e.dismissed and e.account not in opened for e in existing),
        "dismissed": sum(e.dismissed for e in existing),
        "kept": sum(not e.dismissed for e in existing),
    }


def summary(result: Result, notifications: int, existing: Iterable[BookEscalation] = ()) -> dict[str, Any]:
    """Counts by trigger kind, tier and severity; notifications; open escalations per owner."""
    escalations = result["escalations"]
    out: dict[str, Any] = {
        "escalations": len(escalations),
        "by_trigger_kind": dict(sorted(Counter(t["kind"] for e in escalations for t in e["triggers"]).items())),
        "by_tier": {str(k): v for k, v in sorted(Counter(e["tier"] for e in escalations).items())},
        "by_severity": dict(sorted(Counter(e["severity"] for e in escalations).items())),
        "notifications": notifications,
        "open_per_owner": dict(sorted(Counter(e["owner"] or "nobody" for e in escalations).items())),
    }
    people = judged(result, existing)
    if people is not None:
        out["judgement"] = people
    return out


def compare(a: Result, b: Result, summary_a: Mapping[str, Any], summary_b: Mapping[str, Any]) -> dict[str, Any]:
    """``{"added", "removed", "changed": [{"account", "before", "after"}], "summary": {"a", "b"}}``:
    escalations B opens that A does not, those A opens and B does not, and those both open
    differently (any field of the contract's shape)."""
    before, after = by_account(a), by_account(b)
    return {
        "added": [after[k] for k in after if k not in before],
        "removed": [before[k] for k in before if k not in after],
        "changed": [{"account": k, "before": before[k], "after": after[k]}
                    for k in before if k in after and before[k] != after[k]],
        "summary": {"a": dict(summary_a), "b": dict(summary_b)},
    }


def pareto(rows: Sequence[Mapping[str, Any]]) -> list[bool | None]:
    """Rows no other row beats on both judgement errors (at least as good on both, better on one).

    None for every row when the book carries no judgements.
    """
    scores = [r.get("judgement") for r in rows]
    if any(s is None for s in scores):
        return [None] * len(rows)
    pairs = [(s["dismissed_still_opened"], s["kept_lost"]) for s in scores if s is not None]
    return [not any(o[0] <= p[0] and o[1] <= p[1] and o != p for o in pairs) for p in pairs]
