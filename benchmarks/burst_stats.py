"""The figures of ``benchmarks/burst.py``, computed from the sandbox's request log and progress.

Kept apart from the orchestration so each figure is a small pure function over the log:
calls by kind, the true floor, calls in flight, and what became of every 429.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from benchmarks.cycle_calls import kind

TOKEN = "/services/oauth2/token"


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return round(ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo), 3)


def in_flight(calls: list[dict[str, Any]]) -> dict[str, float]:
    """Mean calls in flight over the busy span (first start to last end) and the maximum."""
    spans = [(c["started_unix"], c["started_unix"] + c["duration_ms"] / 1000) for c in calls]
    if not spans:
        return {"mean": 0.0, "max": 0}
    first, last = min(s for s, _ in spans), max(e for _, e in spans)
    busy = sum(e - s for s, e in spans)
    edges = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans], key=lambda x: (x[0], x[1]))
    now = peak = 0
    for _, step in edges:
        now += step
        peak = max(peak, now)
    return {"mean": round(busy / (last - first), 2) if last > first else float(len(spans)), "max": peak}


def floor(book: dict[str, Any], progress: dict[str, Any], calls: list[dict[str, Any]]) -> dict[str, int]:
    """The fewest calls that can read this book and write what was written, by kind.

    Reads: ceil(rows / page) (Salesforce 2,000 rows a page: users, accounts, health history;
    Jira search 100 issues a page); user look-ups as made (one per distinct person, no batch).
    Writes: records in Collections of 200, epics and plan issues in bulk creates of 50 with
    each epic's ticket links inside its create (``update.issuelinks``: 0 link calls), one call
    per watcher (Jira has no batch for watchers). Counts of what was written come from the
    sandbox at the end (the book decides them; the write path must not change them).
    """
    accounts, tickets = len(book["accounts"]), len(book["tickets"])
    history = sum(len(a.get("health", [])) for a in book["accounts"])
    epics, records = len(progress["epics"]), len(set(progress["records"]))
    made = Counter(kind(c) for c in calls)
    return {
        "sf.query": 1 + math.ceil(accounts / 2000) + math.ceil(history / 2000),
        "sf.collections": math.ceil(records / 200),
        "jira.search": math.ceil(tickets / 100),
        "jira.user_search": made["jira.user_search"],
        "jira.bulk_create": math.ceil(epics / 50) + math.ceil(progress["plan_issues"] / 50),
        "jira.watcher": progress["watchers"],
        "jira.link": 0,
    }


def work_calls(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """API calls other than the once-per-process setup (token, serverInfo, field, myself)."""
    return [c for c in calls if kind(c) != "setup"]


def rate_limited(calls: list[dict[str, Any]]) -> dict[str, Any]:
    """Every 429 by reason, and how it ended: a later success of the same method and path
    (retried), or none (given up, or retried under another shape)."""
    out: dict[str, Any] = {"total": 0, "by_reason": {}, "retried_ok": 0, "never_succeeded": 0}
    ordered = sorted(calls, key=lambda c: c["started_unix"])
    later_ok: dict[tuple[str, str], float] = {}
    for c in ordered:
        if c["status"] < 400:
            later_ok[(c["method"], c["path"])] = c["started_unix"]
    for c in ordered:
        if c["status"] != 429:
            continue
        out["total"] += 1
        reason = c.get("rate_limit_reason") or ("salesforce" if c["system"] == "salesforce" else "unknown")
        out["by_reason"][reason] = out["by_reason"].get(reason, 0) + 1
        if later_ok.get((c["method"], c["path"]), 0) > c["started_unix"]:
            out["retried_ok"] += 1
        else:
            out["never_succeeded"] += 1
    return out


def visible_at(first_epic: dict[str, float], first_record: dict[str, float], accounts: set[str],
               t0: float) -> float | None:
    """Seconds from ``t0`` until every account has both its epic and its record."""
    if not accounts:
        return None
    times = [max(first_epic.get(a, math.inf), first_record.get(a, math.inf)) for a in accounts]
    worst = max(times)
    return None if math.isinf(worst) else round(worst - t0, 2)


def account_of(label: str) -> str:
    """``ESC-<18-char account id>-<opened>`` -> the account id."""
    return label[4:].rsplit("-", 1)[0]
