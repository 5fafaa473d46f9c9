"""Counting what landed against what ``backtest`` says should have, when the SLA watch ran too.

:func:`tests.sync.outcome.assert_matches_backtest` asserts field by field; the backtest does not run
the SLA watch, and a service that ran for minutes has raised tiers (and so owners and stakeholders)
on breaches. So here the facts that cannot change are counted: one record and one epic per
escalation (duplicates), every backtest escalation present (lost), its trigger tickets linked, its
plan steps present, the record and the epic pointing at each other, the severity.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sandbox.server import Sandbox


def compare(sb: Sandbox, want: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The numbers of a run: duplicates, lost escalations, missing links and plan steps, mismatches."""
    state = sb.state("ESC")
    records = state["salesforce"]["Escalation__c"]
    epics = state["jira"]["epics"]
    issues = {i["key"]: i for i in state["jira"]["issues"]}
    record_ids = Counter(r["External_Id__c"] for r in records)
    epic_ids = Counter(label for e in epics for label in e["labels"] if label.startswith("ESC-"))
    out: dict[str, Any] = {
        "escalations": len(record_ids), "expected": len(want),
        "duplicate_records": sum(n - 1 for n in record_ids.values()),
        "duplicate_epics": sum(n - 1 for n in epic_ids.values()),
        "duplicate_steps": 0, "lost": [], "missing_links": [], "missing_steps": [], "mismatched": [],
        "extra": [],
    }
    by_account = {r["Account__c"]: r for r in records}
    epic_of = {label: e for e in epics for label in e["labels"] if label.startswith("ESC-")}
    for account, exp in want.items():
        record = by_account.get(account)
        epic = epic_of.get(record["External_Id__c"]) if record else None
        if record is None or epic is None:
            out["lost"].append(account)
            continue
        if record["Jira_Epic_Key__c"] != epic["key"] or record["Severity__c"] != exp["severity"] \
                or int(record["Tier__c"]) < exp["tier"]:
            out["mismatched"].append(account)
        linked = {lk["inward"] for lk in epic["links"]} | {lk["outward"] for lk in epic["links"]}
        out["missing_links"] += sorted({k for t in exp["triggers"] for k in t["tickets"]} - linked)
        steps = Counter(label[5:] for k in epic.get("children", []) for label in issues[k]["labels"]
                        if label.startswith("plan-"))
        out["duplicate_steps"] += sum(n - 1 for n in steps.values())
        out["missing_steps"] += [f"{account}:{p['step']}" for p in exp["plan"] if p["step"] not in steps]
    out["extra"] = sorted(set(by_account) - set(want))
    return out


def clean(numbers: dict[str, Any]) -> bool:
    return not any(numbers[k] for k in ("duplicate_records", "duplicate_epics", "duplicate_steps", "lost",
                                        "missing_links", "missing_steps", "mismatched", "extra"))
