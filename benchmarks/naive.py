"""Ours against a naive per-record connector: API calls and wall time for the same cycle.

    python benchmarks/naive.py --tickets 2000 --accounts 400

The naive connector is written here, for the comparison only: the same pipeline, rules, Redis
state and writer, with connectors that make one call per record read and per record written,
the way a first integration often does:

- Salesforce: list the changed account ids, then GET each Account and its owner's User; the
  health history one SOQL query per account; users one GET each (and their manager); one
  upsert (PATCH by external id) per escalation record.
- Jira: search for issue ids only, then GET each issue with its fields; one POST per epic and
  per plan issue (no bulk create).

Watchers, links and user lookups are one call each in both (Jira has no batch for them).
Each connector runs one full cycle (the first backfill) against its own sandbox loaded with the
same generated book and its own empty Redis; the escalations written must be the same. Prints
JSON: calls by kind, total calls and wall time for both, and the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simple_salesforce.format import format_soql  # noqa: E402

from benchmarks.cycle_calls import kind  # noqa: E402
from benchmarks.generate import generate  # noqa: E402
from connectors.jira import JiraConnector  # noqa: E402
from connectors.salesforce import SalesforceConnector, account_from_row, number, sf_datetime  # noqa: E402
from rules.book import parse_book  # noqa: E402
from rules.models import Account, HealthSample, Role, User  # noqa: E402
from sandbox.server import Sandbox  # noqa: E402
from sync.broker import RedisServer  # noqa: E402
from sync.runtime import Runtime  # noqa: E402
from sync.settings import Settings  # noqa: E402


class NaiveSalesforce(SalesforceConnector):
    """One call per record: ids by SOQL, then a GET for each record (and each related one)."""

    def _get(self, sobject: str, ident: str) -> dict[str, Any]:
        return self.call(f"get {sobject}", lambda c: getattr(c, sobject).get(ident))

    def _ids(self, soql: str) -> list[str]:
        return [row["Id"] for row in self.query("ids", soql)]

    def users(self) -> list[User]:
        out = []
        for ident in self._ids(f"SELECT Id FROM User WHERE IsActive = true AND {self.role_field} != null"):
            row = self._get("User", ident)
            manager = self._get("User", row["ManagerId"]) if row.get("ManagerId") else {}
            try:
                out.append(User(email=(row.get("Email") or "").lower(), name=row.get("Name") or "",
                                role=Role(row[self.role_field]), manager=(manager.get("Email") or "").lower() or None))
            except (ValueError, KeyError):
                continue
        return out

    def accounts_since(self, cursor: datetime | None) -> Iterator[tuple[Account, datetime, float | None]]:
        soql = "SELECT Id FROM Account"
        if cursor is not None:
            soql += format_soql(" WHERE SystemModstamp > {}", cursor)
        for ident in self._ids(soql + " ORDER BY SystemModstamp ASC"):
            row = self._get("Account", ident)
            owner = self._get("User", row["OwnerId"]) if row.get("OwnerId") else {}
            row["Owner"] = {"Email": owner.get("Email")}
            stamp = sf_datetime(row["SystemModstamp"])
            if cursor is not None and stamp is not None and stamp <= cursor:
                continue
            health = row.get(self.health_field)
            yield account_from_row(row), stamp, number(health) if health is not None else None  # type: ignore[misc]

    def health_since(self, cursor: datetime | None) -> Iterator[tuple[str, HealthSample]]:
        rows = []
        for ident in self._ids("SELECT Id FROM Account"):
            soql = format_soql("SELECT AccountId, NewValue, CreatedDate FROM AccountHistory WHERE AccountId = {} "
                               "AND Field = {}", ident, self.health_field)
            if cursor is not None:
                soql += format_soql(" AND CreatedDate > {}", cursor)
            rows.extend(self._history("health history", soql, cursor))
        yield from sorted(rows, key=lambda r: r[1].at)

    def upsert(self, sobject: str, external_field: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for record in records:
            body = {k: v for k, v in record.items() if k != external_field}
            path = f"{external_field}/{record[external_field]}"
            self.call(f"upsert {sobject}", lambda c, p=path, b=body: getattr(c, sobject).upsert(p, b))
            out.append({"success": True, "id": None})
        return out


class NaiveJira(JiraConnector):
    """Search for ids, GET every issue; create issues one by one."""

    def search(self, what: str, jql: str, fields: list[str]) -> Iterator[dict[str, Any]]:
        token: str | None = None
        keys = []
        while True:
            page = self.call(what, lambda t=token: self.client.enhanced_search_issues(
                jql, nextPageToken=t, maxResults=100, fields=["id"], json_result=True))
            keys += [issue["key"] for issue in page.get("issues", [])]
            token = page.get("nextPageToken")
            if not token:
                break
        for key in keys:
            yield self.send("get issue", "GET", f"issue/{key}?fields={','.join(fields)}")

    def create(self, issues: list[dict[str, Any]]) -> list[str | None]:
        return [self.send("create issue", "POST", "issue", {"fields": fields})["key"] for fields in issues]


def category(r: dict[str, Any]) -> str:
    """``cycle_calls.kind`` plus the per-record calls only the naive connector makes."""
    name = kind(r)
    if not name.startswith("other "):
        return name
    method, path = r["method"], r["path"]
    if "/sobjects/" in path and method == "GET":
        return "sf.get_record"
    if "/sobjects/" in path and method == "PATCH":
        return "sf.upsert_one"
    if path.endswith("/rest/api/2/issue") and method == "POST":
        return "jira.create_one"
    if "/rest/api/2/issue/" in path and method == "GET":
        return "jira.get_issue"
    return name


def one_cycle(book: Any, naive: bool) -> dict[str, Any]:
    redis_server = RedisServer()
    try:
        with Sandbox(book, daily_api_limit=10_000_000) as sb:
            env = sb.env()
            values = {k.lower(): v for k, v in env.items() if k.startswith(("SALESFORCE_", "JIRA_"))}
            rt = Runtime(Settings(_env_file=None, redis_url=redis_server.url, backfill_days=8,  # type: ignore[call-arg]
                                  requests_ca_bundle=env["REQUESTS_CA_BUNDLE"], **values))
            if naive:
                rt.salesforce.__class__ = NaiveSalesforce
                rt.jira.__class__ = NaiveJira
            sb.clear_requests()
            started = time.perf_counter()
            poll, flush = rt.cycle()
            wall = time.perf_counter() - started
            calls = Counter(category(r) for r in sb.requests(bodies=False))
            landed = sorted((r["Account__c"], r["Severity__c"], int(r["Tier__c"]), r["Owner_Email__c"])
                            for r in sb.escalations())
    finally:
        redis_server.stop()
    return {"wall_s": round(wall, 2), "calls": dict(sorted(calls.items())), "total_calls": sum(calls.values()),
            "escalations": poll.opened, "epics": flush.epics_created, "plan_issues": flush.steps_created,
            "_landed": landed}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tickets", type=int, default=2000)
    p.add_argument("--accounts", type=int, default=400)
    a = p.parse_args()
    book = parse_book(generate(a.tickets, a.accounts, days=7, seed=5))
    ours = one_cycle(book, naive=False)
    naive = one_cycle(book, naive=True)
    same = ours.pop("_landed") == naive.pop("_landed")
    print(json.dumps({
        "tickets": a.tickets, "accounts": a.accounts, "same_escalations_written": same,
        "ours": ours, "naive": naive,
        "calls_ratio": round(naive["total_calls"] / ours["total_calls"], 2),
        "wall_ratio": round(naive["wall_s"] / ours["wall_s"], 2),
        "cpus": os.cpu_count(), "python": platform.python_version(),
    }, indent=2))


if __name__ == "__main__":
    main()
