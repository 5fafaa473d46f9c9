"""What a test compares: escalations as the sandbox's Salesforce and Jira show them, and as
``backtest`` gives them for the same (shifted) book."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rules.backtest import backtest
from rules.config import RulesConfig, default_config
from sandbox.server import Sandbox


def expected(sb: Sandbox, now: datetime | None = None, cfg: RulesConfig | None = None) -> dict[str, dict[str, Any]]:
    """Backtest of the sandbox's own book, by account id."""
    result = backtest(sb.book, cfg or default_config(), now or sb.book.now)
    return {e["account"]: e for e in result["escalations"]}


def landed(sb: Sandbox) -> dict[str, dict[str, Any]]:
    """The escalations in the sandbox, joined record <-> epic, by account id.

    Raises AssertionError on a duplicate: two records or two epics for one escalation id.
    """
    state = sb.state("ESC")
    records = state["salesforce"]["Escalation__c"]
    ids = [r["External_Id__c"] for r in records]
    assert len(ids) == len(set(ids)), f"duplicate records: {sorted(ids)}"
    epics = {}
    for epic in state["jira"]["epics"]:
        ext = [label for label in epic["labels"] if label.startswith("ESC-")]
        assert len(ext) == 1, epic
        assert ext[0] not in epics, f"duplicate epic for {ext[0]}"
        epics[ext[0]] = epic
    issues = {i["key"]: i for i in state["jira"]["issues"]}
    out = {}
    for record in records:
        ext = record["External_Id__c"]
        epic = epics.get(ext)
        children = [issues[k] for k in (epic or {}).get("children", [])]
        steps = {}
        for child in children:
            step = [label[5:] for label in child["labels"] if label.startswith("plan-")]
            assert len(step) == 1 and step[0] not in steps, f"duplicate plan step in {epic['key']}"
            steps[step[0]] = child
        out[record["Account__c"]] = {"record": record, "epic": epic, "steps": steps}
    assert len(epics) == len(out), f"epics without records: {set(epics) - {r['External_Id__c'] for r in records}}"
    return out


def assert_matches_backtest(sb: Sandbox, want: dict[str, dict[str, Any]]) -> None:
    got = landed(sb)
    assert sorted(got) == sorted(want), (sorted(got), sorted(want))
    for account, exp in want.items():
        g = got[account]
        record, epic, steps = g["record"], g["epic"], g["steps"]
        assert record["Severity__c"] == exp["severity"], account
        assert int(record["Tier__c"]) == exp["tier"], account
        assert record["Owner_Email__c"] == exp["owner"], account
        assert record["Opened_At__c"][:19] == exp["opened"][:19], account
        assert record["Exec_Sponsor_Required__c"] is exp["exec_sponsor"]["required"], account
        assert record["Jira_Epic_Key__c"] == epic["key"], account  # record -> epic
        assert record["External_Id__c"] in epic["labels"], account  # epic -> record
        assert epic["assignee"] == exp["owner"], account
        assert "escalation-sync" in epic["labels"]
        assert set(epic["watchers"]) >= set(exp["stakeholders"]), account
        linked = {lk["inward"] for lk in epic["links"]} | {lk["outward"] for lk in epic["links"]}
        assert {k for t in exp["triggers"] for k in t["tickets"]} <= linked, account
        assert sorted(steps) == sorted(p["step"] for p in exp["plan"]), account
        shown_late = CLOCKS_MARK in (record.get("Timeline__c") or "")
        shows = plan_dues(record.get("Plan__c") or "")
        for p in exp["plan"]:
            child = steps[p["step"]]
            assert child["assignee"] == p["owner"], (account, p["step"])
            decided = p["due"][:10] if p["due"] else None
            if shown_late:  # found in history: its clocks, so its dues, start when its epic was created
                # the plan issue says what the record (and the epic's description) say from the first write
                assert child["duedate"] == shows[p["step"]], (account, p["step"], shows)
                assert (child["duedate"] or "9") >= (decided or "9"), (account, p["step"])  # later, never earlier
            else:
                assert child["duedate"] == decided, (account, p["step"])


CLOCKS_MARK = "SLA clocks start"  # rules.lifecycle.visible: the clocks of an escalation shown late


def plan_dues(plan: str) -> dict[str, str | None]:
    """``Plan__c`` ("step: owner due 2026-01-02T10:00:00Z" a line, or "due when resolved") -> step -> day."""
    out: dict[str, str | None] = {}
    for line in plan.splitlines():
        step, _, rest = line.partition(": ")
        due = rest.rsplit(" due ", 1)[-1]
        out[step] = None if due == "when resolved" else due[:10]
    return out
