"""JSON-able dumps of the sandbox's state, for tests and ``GET /state`` on the admin surface.

Salesforce: the ``Escalation__c`` records in the REST shape, record counts, API usage.
Jira: every issue (optionally one project's) with e-mails for people, and the epics with their
children (``parent`` on Cloud, "Epic Link" on Data Center), watchers, links and properties.
"""

from __future__ import annotations

from typing import Any

from sandbox.clock import Clock
from sandbox.org import Org
from sandbox.salesforce_ops import render_row
from sandbox.site import Issue, Site


def escalation_rows(org: Org) -> list[dict[str, Any]]:
    return [render_row(org, "Escalation__c", r, "59.0")
            for r in org.records["Escalation__c"].values() if not r["IsDeleted"]]


def dump_state(org: Org, site: Site, clock: Clock, project: str | None = None) -> dict[str, Any]:
    """Both systems as plain data (call with the sandbox's lock held)."""

    def email(aid: str | None) -> str | None:
        return site.users[aid].email if aid and aid in site.users else None

    def issue_doc(i: Issue) -> dict[str, Any]:
        return {
            "key": i.key, "id": str(i.id), "project": i.project, "issuetype": i.issuetype,
            "summary": i.summary, "status": i.status, "assignee": email(i.assignee),
            "reporter": email(i.reporter), "labels": list(i.labels), "parent": i.parent,
            "epic_link": i.custom.get("customfield_10014"),
            "duedate": i.duedate.isoformat() if i.duedate else None,
            "created": i.created.isoformat(), "updated": i.updated.isoformat(),
            "watchers": [email(a) for a in i.watchers],
            "links": [{"type": lk.type, "inward": lk.inward, "outward": lk.outward}
                      for lk in site.links_of(i.key)],
            "properties": dict(i.properties), "comments": len(i.comments),
            "custom": {k: v for k, v in i.custom.items() if v is not None},
        }

    issues = [issue_doc(i) for i in site.issues.values()
              if project is None or i.project == project.upper()]
    epics = [dict(doc, children=[c.key for c in site.children(doc["key"])])
             for doc in issues if doc["issuetype"] == "Epic"]
    counts = {obj: sum(1 for r in rows.values() if not r.get("IsDeleted"))
              for obj, rows in org.records.items()}
    return {
        "salesforce": {"Escalation__c": escalation_rows(org), "counts": counts,
                       "api_usage": {"used": org.api_used, "max": org.api_max},
                       "tokens": len(org.tokens)},
        "jira": {"issues": issues, "epics": epics, "flavour": site.flavour},
        "now": clock.now().isoformat(),
    }
