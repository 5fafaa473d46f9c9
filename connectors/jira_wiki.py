"""The tracking document as Jira wiki markup (Data Center's description format, REST v2).

The same sections as the ADF document (:mod:`connectors.jira_adf`): ``h2.`` headings,
``||header||`` tables, ``{panel}`` blocks and ``[KEY-1]`` issue links. Text that came from
people (summaries, timeline entries, comments) is escaped so it cannot open a macro, a link or
a table cell, and is kept on one line inside a table.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from connectors.jira_adf import COMMUNICATIONS_OMITTED, PLAN_ISSUE_UNKNOWN, SEVERITY_MEANING, breach_text
from rules.tracking import PlanRow, TrackingDocument, owner_text, plan_owner_text

_SPECIAL = re.compile(r"([\\{}\[\]|*_!]|(?<!\S)[-+^~#?](?=\S))")
PANEL_COLOUR = {"SEV-1": "#FFEBE6", "SEV-2": "#FFFAE6", "SEV-3": "#EAE6FF", "SEV-4": "#DEEBFF"}
SEVERITY_COLOUR = {"SEV-1": "red", "SEV-2": "orange", "SEV-3": "blue", "SEV-4": "gray"}


def esc(value: str) -> str:
    """``value`` with wiki specials escaped and line breaks folded, safe in a table cell."""
    return _SPECIAL.sub(r"\\\1", " ".join(value.split()))


def when(value: datetime | None, empty: str = "-") -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC" if value else empty


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Cells are already wiki text (escape them with :func:`esc`); an empty cell shows as a space."""
    lines = ["||" + "||".join(header) + "||"]
    lines += ["|" + "|".join(c or " " for c in row) + "|" for row in rows]
    return lines


def panel(title: str, colour: str, body: str) -> list[str]:
    return [f"{{panel:title={esc(title)}|bgColor={colour}}}", body, "{panel}"]


def _plan(rows: Sequence[PlanRow], known: bool = True) -> list[str]:
    missing = "not created yet" if known else esc(PLAN_ISSUE_UNKNOWN)
    return table(["Step", "Action", "Owner", "Due", "Plan issue"], [
        [str(r.number), esc(r.action), esc(plan_owner_text(r)), when(r.due, "once resolved"),
         f"[{r.key}]" if r.key else missing] for r in rows])


def render(doc: TrackingDocument) -> str:
    """The whole tracking document as wiki markup, in seed 004's section order."""
    sev = doc.severity
    arr = "not known to the connector" if doc.arr is None else f"${doc.arr:,.0f}"
    out = [f"_{esc(doc.ownership_note)}_", ""]
    facts = [("Escalation ID", esc(doc.escalation_id)), ("Customer", esc(f"{doc.customer} ({doc.account})")),
             ("ARR", esc(arr)),
             ("Severity", f"{{color:{SEVERITY_COLOUR.get(sev, 'black')}}}*{sev}*{{color}} tier {doc.tier}"),
             ("Status", esc(doc.status)), ("Owner", esc(owner_text(doc))), ("Opened", when(doc.opened)),
             ("Target Resolution", when(doc.target_resolution, "not set"))]
    out += [f"||{label}|{value}|" for label, value in facts]
    breaches = breach_text(doc) if doc.breaches else ""
    out += [""] + panel(f"Severity {sev}, tier {doc.tier}", PANEL_COLOUR.get(sev, "#DEEBFF"),
                        f"*{sev}*, tier {doc.tier}: {esc(SEVERITY_MEANING.get(sev, sev))}."
                        + (f" *SLA breached:* {esc(breaches)}." if breaches else ""))
    sponsor = doc.sponsor
    if sponsor.required:
        reasons = esc("; ".join(sponsor.reasons))
        out += panel("Executive sponsor", "#FFFAE6", f"*Required* by {when(sponsor.due)}"
                     + (f": {reasons}." if reasons else "."))
    else:
        out += panel("Executive sponsor", "#E3FCEF", "Not required so far.")
    if doc.shortened:
        out += ["", "_Long texts are shortened here to stay within Jira's size limit; the Salesforce record "
                "holds them in full._"]
    out += ["", "h2. Issue Summary", esc(doc.summary)]
    if doc.triggers:
        out += ["", "*Why it was escalated*"] + [f"* {esc(t)}" for t in doc.triggers]
    out += ["", "h2. Timeline of Events"]
    if doc.timeline_omitted:
        out.append(f"_{doc.timeline_omitted} earlier entries are not shown here to stay within Jira's size "
                   "limit; the Salesforce record's Timeline holds them all._")
    out += table(["When", "Event"], [[when(e.at), esc(e.text)] for e in doc.timeline]) if doc.timeline \
        else ["Nothing recorded yet."]
    out += ["", "h2. Root Cause", esc(doc.root_cause or "Not identified yet."), "", "h2. Resolution Plan"]
    out += _plan(doc.plan, doc.plan_keys_known) if doc.plan else ["No plan yet."]
    out += ["", "h2. Customer Communication Log"]
    if doc.communications_omitted:
        out.append(f"_{COMMUNICATIONS_OMITTED.format(doc.communications_omitted)}_")
    out += table(["When", "Channel", "Author", "Said"], [
        [when(c.at), esc(c.channel) + (f", [{c.ticket}]" if c.ticket else ""), esc(c.author), esc(c.summary)]
        for c in doc.communications]) if doc.communications else ["No public reply to the customer yet."]
    out += ["", "h2. Internal Stakeholders Notified"]
    out += table(["Name", "Role", "Notified"], [[esc(s.name), esc(s.role or "-"), when(s.notified)]
                                                for s in doc.stakeholders]) if doc.stakeholders \
        else ["Nobody beyond the owner."]
    if doc.stakeholders_omitted:
        out.append(f"_{doc.stakeholders_omitted} more stakeholders are not shown here to stay within Jira's "
                   "size limit; the Salesforce record lists them all._")
    out += ["", "h2. Resolution Summary"]
    if doc.resolved_at or doc.resolution_summary:
        concession = {True: "a concession was given", False: "resolved without concession",
                      None: "concession not recorded"}[doc.concession_given]
        out.append(esc(doc.resolution_summary or "No summary written yet.")
                   + f" Resolved {when(doc.resolved_at, 'not yet')}; {concession}.")
    else:
        out.append("Not resolved yet.")
    out += ["", "h2. Post-Escalation Actions"]
    out += _plan(doc.post_actions, doc.plan_keys_known) if doc.post_actions else [
        "The recovery plan (week 1 to month 6) is added once the escalation is resolved."]
    out += ["", "----", f"_{esc(doc.ownership_note)}_"]
    return "\n".join(out)
