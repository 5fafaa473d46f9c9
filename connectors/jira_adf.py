"""The tracking document as Atlassian Document Format (Jira Cloud's rich text, REST v3).

Only nodes Jira Cloud renders in an issue description: headings, paragraphs, tables, panels,
bullet lists, status lozenges and links. Every document is validated in the tests against
Atlassian's ADF JSON Schema (``tests/document/schema``). ADF refuses empty text nodes, so every
builder here drops empty strings rather than emitting them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rules.tracking import PlanRow, TrackingDocument, owner_text, plan_owner_text

Node = dict[str, Any]
Inline = Node | str

SEVERITY_PANEL = {"SEV-1": "error", "SEV-2": "warning", "SEV-3": "note", "SEV-4": "info"}
SEVERITY_COLOUR = {"SEV-1": "red", "SEV-2": "yellow", "SEV-3": "blue", "SEV-4": "neutral"}
STATUS_COLOUR = {"Open": "blue", "In Progress": "yellow", "Resolved": "green", "Closed": "neutral"}
SEVERITY_MEANING = {
    "SEV-1": "critical: outage, data loss or a business-stopping issue",
    "SEV-2": "high: major functionality degraded, or a customer executive escalated",
    "SEV-3": "medium: partially impacted, a painful workaround exists",
    "SEV-4": "low: minor issue, no significant business impact",
}


def breach_text(doc: Any) -> str:
    """The newest breaches, and how many there are in all (the record's timeline lists every one)."""
    shown = "; ".join(f"{b.clock} was due {when(b.due)}" for b in doc.breaches)
    more = doc.breaches_total - len(doc.breaches)
    return f"{doc.breaches_total} in all, the latest: {shown}" if more > 0 else shown


def when(value: datetime | None, empty: str = "-") -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC" if value else empty


def text(value: str, *marks: Node) -> Node | None:
    if not value:
        return None
    node: Node = {"type": "text", "text": value}
    if marks:
        node["marks"] = list(marks)
    return node


def strong(value: str) -> Node | None:
    return text(value, {"type": "strong"})


def link(value: str, href: str) -> Node | None:
    return text(value, {"type": "link", "attrs": {"href": href}})


def status(label: str, colour: str) -> Node:
    return {"type": "status", "attrs": {"text": label, "color": colour}}


def _inline(items: Sequence[Inline | None]) -> list[Node]:
    out: list[Node] = []
    for item in items:
        node = text(item) if isinstance(item, str) else item
        if node is not None:
            out.append(node)
    return out


def paragraph(*items: Inline | None) -> Node:
    return {"type": "paragraph", "content": _inline(items)}


def heading(value: str, level: int = 2) -> Node:
    return {"type": "heading", "attrs": {"level": level}, "content": _inline([value])}


def panel(kind: str, *blocks: Node) -> Node:
    return {"type": "panel", "attrs": {"panelType": kind}, "content": list(blocks)}


def bullets(lines: Sequence[Sequence[Inline | None]]) -> Node:
    return {"type": "bulletList", "content": [{"type": "listItem", "content": [paragraph(*line)]}
                                              for line in lines]}


def table(header: Sequence[str], rows: Sequence[Sequence[Sequence[Inline | None] | str]]) -> Node:
    """A table with a header row; each cell is a string or a list of inline items."""
    def cell(kind: str, value: Sequence[Inline | None] | str) -> Node:
        items = [value] if isinstance(value, str) else list(value)
        return {"type": kind, "content": [paragraph(*items)]}

    head = {"type": "tableRow", "content": [cell("tableHeader", h) for h in header]}
    body = [{"type": "tableRow", "content": [cell("tableCell", c) for c in row]} for row in rows]
    return {"type": "table", "attrs": {"isNumberColumnEnabled": False, "layout": "default"},
            "content": [head, *body]}


def facts(rows: Sequence[tuple[str, Sequence[Inline | None] | str]]) -> Node:
    """A two-column table of label and value, the labels as header cells."""
    def row(label: str, value: Sequence[Inline | None] | str) -> Node:
        items = [value] if isinstance(value, str) else list(value)
        return {"type": "tableRow", "content": [
            {"type": "tableHeader", "content": [paragraph(label)]},
            {"type": "tableCell", "content": [paragraph(*items)]}]}

    return {"type": "table", "attrs": {"isNumberColumnEnabled": False, "layout": "default"},
            "content": [row(label, value) for label, value in rows]}


def money(arr: float | None) -> str:
    return "not known to the connector" if arr is None else f"${arr:,.0f}"


PLAN_ISSUE_UNKNOWN = "see the epic's child issues"
"""The plan-issue cell before the writer knows the keys (they are created right after the epic)."""


def _issue(key: str | None, jira_url: str | None, known: bool = True) -> list[Inline | None]:
    if not key:
        return ["not created yet" if known else PLAN_ISSUE_UNKNOWN]
    return [link(key, f"{jira_url.rstrip('/')}/browse/{key}" if jira_url else f"/browse/{key}")]


def _plan_table(rows: Sequence[PlanRow], jira_url: str | None, known: bool = True) -> Node:
    return table(["Step", "Action", "Owner", "Due", "Plan issue"], [
        [str(r.number), r.action, plan_owner_text(r), when(r.due, "once resolved"),
         _issue(r.key, jira_url, known)] for r in rows])


def _header(doc: TrackingDocument) -> list[Node]:
    sev, tier = doc.severity, doc.tier
    sponsor = doc.sponsor
    severity_panel = panel(SEVERITY_PANEL.get(sev, "info"), paragraph(
        strong(f"{sev}, tier {tier}"), f": {SEVERITY_MEANING.get(sev, sev)}."),
        *([paragraph(strong("SLA breached: "), breach_text(doc))] if doc.breaches else []))
    if sponsor.required:
        sponsor_panel = panel("warning", paragraph(
            strong("Executive sponsor required"), f" by {when(sponsor.due)}",
            f": {'; '.join(sponsor.reasons)}." if sponsor.reasons else "."))
    else:
        sponsor_panel = panel("success", paragraph(strong("Executive sponsor: "), "not required so far."))
    return [
        panel("info", paragraph(doc.ownership_note)),
        facts([
            ("Escalation ID", doc.escalation_id),
            ("Customer", f"{doc.customer} ({doc.account})"),
            ("ARR", money(doc.arr)),
            ("Severity", [status(sev, SEVERITY_COLOUR.get(sev, "neutral")), f" tier {tier}"]),
            ("Status", [status(doc.status.upper(), STATUS_COLOUR.get(doc.status, "neutral"))]),
            ("Owner", owner_text(doc)),
            ("Opened", when(doc.opened)),
            ("Target Resolution", when(doc.target_resolution, "not set")),
        ]),
        severity_panel, sponsor_panel,
    ]


COMMUNICATIONS_OMITTED = ("{} earlier communications are not shown here; the linked tickets and the epic's "
                          "comments hold them all.")


def _omitted(count: int, what: str, where: str) -> list[Node]:
    if not count:
        return []
    earlier = "" if "stakeholder" in what else "earlier "
    return [paragraph(text(f"{count} {earlier}{what} not shown here to stay within Jira's size limit; "
                           f"{where}.", {"type": "em"}))]


def render(doc: TrackingDocument, jira_url: str | None = None) -> Node:
    """The whole tracking document as one ADF ``doc`` node, in seed 004's section order."""
    content = _header(doc)
    if doc.shortened:
        content.append(paragraph(text("Long texts are shortened here to stay within Jira's size limit; "
                                      "the Salesforce record holds them in full.", {"type": "em"})))
    content += [heading("Issue Summary"), paragraph(doc.summary)]
    if doc.triggers:
        content += [paragraph(strong("Why it was escalated")), bullets([[t] for t in doc.triggers])]
    content.append(heading("Timeline of Events"))
    content += _omitted(doc.timeline_omitted, "entries are",
                        "the Salesforce record's Timeline holds them all")
    content.append(table(["When", "Event"], [[when(e.at), e.text] for e in doc.timeline])
                   if doc.timeline else paragraph("Nothing recorded yet."))
    content += [heading("Root Cause"), paragraph(doc.root_cause or "Not identified yet.")]
    content.append(heading("Resolution Plan"))
    content.append(_plan_table(doc.plan, jira_url, doc.plan_keys_known) if doc.plan else paragraph("No plan yet."))
    content.append(heading("Customer Communication Log"))
    if doc.communications_omitted:
        content.append(paragraph(text(COMMUNICATIONS_OMITTED.format(doc.communications_omitted), {"type": "em"})))
    content.append(table(["When", "Channel", "Author", "Said"],
                         [[when(c.at), [f"{c.channel}, " if c.ticket else c.channel,
                                        *(_issue(c.ticket, jira_url) if c.ticket else [])], c.author, c.summary]
                          for c in doc.communications])
                   if doc.communications else paragraph("No public reply to the customer yet."))
    content.append(heading("Internal Stakeholders Notified"))
    content.append(table(["Name", "Role", "Notified"],
                         [[s.name, s.role or "-", when(s.notified)] for s in doc.stakeholders])
                   if doc.stakeholders else paragraph("Nobody beyond the owner."))
    content += _omitted(doc.stakeholders_omitted, "stakeholders are" if doc.stakeholders_omitted > 1
                        else "stakeholder is", "the Salesforce record lists them all")
    content.append(heading("Resolution Summary"))
    if doc.resolved_at or doc.resolution_summary:
        concession = {True: "a concession was given", False: "resolved without concession",
                      None: "concession not recorded"}[doc.concession_given]
        content.append(paragraph(doc.resolution_summary or "No summary written yet.",
                                 f" Resolved {when(doc.resolved_at, 'not yet')}; {concession}."))
    else:
        content.append(paragraph("Not resolved yet."))
    content.append(heading("Post-Escalation Actions"))
    content.append(_plan_table(doc.post_actions, jira_url, doc.plan_keys_known) if doc.post_actions
                   else paragraph("The recovery plan (week 1 to month 6) is added once the escalation is resolved."))
    content += [{"type": "rule"}, paragraph(text(doc.ownership_note, {"type": "em"}))]
    return {"type": "doc", "version": 1, "content": content}
