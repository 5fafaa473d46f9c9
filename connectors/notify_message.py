"""The words of a notification: what a person posting in the channel would have written.

One lead sentence names the account, its ARR, the severity, the tier and the owner; then *why*
(the trigger in one line), *what is due next* (the plan step due soonest, with its time), and
links to the Jira epic and the Salesforce record. Two shapes of the same message:

* **Block Kit** (``blocks`` + ``text`` as the notification preview) for Slack, which renders it;
* **text** alone (Slack ``mrkdwn``, ``<url|label>`` links) for the Slack-compatible webhooks that
  ignore blocks (Mattermost, Rocket.Chat, Discord's ``/slack`` endpoint, ...).

Everything that came from people (account names, reasons) is escaped, so a customer's text can
never form a link or a ``<!channel>`` mention.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rules.models import Escalation
from rules.tracking import next_due, trigger_line


def esc_text(text: str) -> str:
    """Slack mrkdwn escaping: user text can never form a link or a mention."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M}Z" if value else "-"


def spoken(value: datetime) -> str:
    """``Mon 2 Nov 10:00 UTC``: how a person writes a deadline."""
    return f"{value:%a} {value.day} {value:%b %H:%M} UTC"


def money(arr: float | None) -> str | None:
    if arr is None:
        return None
    if arr >= 1_000_000:
        return f"${arr / 1_000_000:.1f}M ARR".replace(".0M", "M")
    if arr >= 1_000:
        return f"${arr / 1_000:.0f}K ARR"
    return f"${arr:,.0f} ARR"


def title(esc: Escalation, kind: str) -> str:
    return {
        "new_escalation": f"New {esc.severity.label} escalation: {esc.account_name}",
        "tier_rise": f"Escalation raised to tier {esc.tier}: {esc.account_name}",
        "sla_breach": f"SLA breach on the {esc.severity.label} escalation of {esc.account_name}",
        "exec_sponsor": f"Executive sponsor required: {esc.account_name}",
        "go_live_digest": "escalation-sync is live: escalations found in history",
    }.get(kind, f"Escalation update: {esc.account_name}")


def lead(esc: Escalation, kind: str, arr: float | None, owner: str) -> str:
    """The first sentence, in plain words (escaped)."""
    who = esc_text(esc.account_name) + (f" ({money(arr)})" if arr is not None else "")
    sev = f"{esc.severity.label}, tier {esc.tier}"
    if kind == "tier_rise":
        return f"The {esc.severity.label} escalation of {who} is now at tier {esc.tier}; {owner} still owns it."
    if kind == "sla_breach" and esc.breaches:
        last = esc.breaches[-1]
        return (f"{who} missed its {last.clock} deadline ({spoken(last.due)}) on a {sev} escalation "
                f"owned by {owner}.")
    if kind == "exec_sponsor":
        due = f" by {spoken(esc.exec_sponsor.due)}" if esc.exec_sponsor.due else ""
        return f"{who} needs an executive sponsor{due} ({sev}, owned by {owner})."
    if kind == "new_escalation":
        return f"{who} has a new {sev} escalation, owned by {owner}."
    return f"The {sev} escalation of {who}, owned by {owner}, changed."


def why(esc: Escalation, kind: str, reasons: Sequence[str]) -> str | None:
    """The reason in one line: the rules' first reason, else the trigger that opened it."""
    if kind == "new_escalation" and esc.triggers:
        return trigger_line(esc.triggers[0])
    if reasons:
        return reasons[0]
    return trigger_line(esc.triggers[-1]) if esc.triggers else None


def due_next(esc: Escalation) -> str | None:
    found = next_due(esc)
    return f"{found[0]}, due {spoken(found[1])}" if found else None


def links(epic_key: str | None, epic_url: str | None, record_url: str | None) -> list[str]:
    out = []
    label = f"Jira epic {esc_text(epic_key)}" if epic_key else "Jira epic"
    if epic_url:
        out.append(f"<{epic_url}|{label}>")
    elif epic_key:
        out.append(f"Jira epic {esc_text(epic_key)}")
    if record_url:
        out.append(f"<{record_url}|Salesforce record>")
    return out


def slack_message(esc: Escalation, kind: str, reasons: Sequence[str] = (), *, epic_key: str | None = None,
                  epic_url: str | None = None, arr: float | None = None, owner_name: str | None = None,
                  record_url: str | None = None, blocks: bool = True) -> dict[str, Any]:
    """The webhook payload for one event: ``text`` (the whole message, readable alone) and,
    with ``blocks``, the Block Kit layout of the same facts."""
    if kind == "go_live_digest":  # one message listing many escalations: no single account's fields
        head = title(esc, kind)
        listed = "\n".join(f"• {esc_text(r)}" for r in reasons)
        text = f"*{esc_text(head)}*\n{listed}"[:3000]
        if not blocks:
            return {"text": text}
        return {"text": text, "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": head[:150], "emoji": False}},
            {"type": "section", "text": {"type": "mrkdwn", "text": listed[:3000] or "none"}}]}
    owner = esc_text(owner_name or esc.owner or "nobody yet")
    arr = esc.arr if arr is None else arr
    first, reason, nxt = lead(esc, kind, arr, owner), why(esc, kind, reasons), due_next(esc)
    lines = [f"*{esc_text(title(esc, kind))}*", first]
    if reason:
        lines.append(f"*Why:* {esc_text(reason)}")
    if nxt:
        lines.append(f"*Next:* {esc_text(nxt)}")
    linked = links(epic_key, epic_url, record_url)
    if linked:
        lines.append(" · ".join(linked))
    text = "\n".join(lines)[:3000]
    if not blocks:
        return {"text": text}
    return {"text": text, "blocks": _blocks(esc, kind, reasons, first, reason, nxt, arr, owner,
                                            epic_key, epic_url, record_url)}


def _blocks(esc: Escalation, kind: str, reasons: Sequence[str], first: str, reason: str | None, nxt: str | None,
            arr: float | None, owner: str, epic_key: str | None, epic_url: str | None,
            record_url: str | None) -> list[dict[str, Any]]:
    epic = (f"<{epic_url}|{esc_text(epic_key or epic_url)}>" if epic_url
            else esc_text(epic_key) if epic_key else "not created yet")
    fields = [
        f"*Account*\n{esc_text(esc.account_name)} ({esc_text(esc.account)})",
        f"*ARR*\n{money(arr) or 'not known'}",
        f"*Severity*\n{esc.severity.label}",
        f"*Tier*\n{esc.tier}",
        f"*Owner*\n{owner if esc.owner else 'unassigned'}",
        f"*Jira epic*\n{epic}",
    ]
    if record_url:
        fields.append(f"*Salesforce*\n<{record_url}|the record>")
    if esc.exec_sponsor.required:
        fields.append(f"*Executive sponsor*\nrequired by {when(esc.exec_sponsor.due)}")
    summary = first + (f"\n*Why:* {esc_text(reason)}" if reason else "") + (f"\n*Next:* {esc_text(nxt)}" if nxt else "")
    out: list[dict[str, Any]] = [
        # plain_text: shown literally, so it needs no escaping
        {"type": "header", "text": {"type": "plain_text", "text": title(esc, kind)[:150], "emoji": False}},
        {"type": "section", "text": {"type": "mrkdwn", "text": summary[:3000]}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f[:2000]} for f in fields[:10]]},
    ]
    if len(reasons) > 1 or (reasons and reasons[0] != reason):
        more = "*All reasons*\n" + "\n".join(f"• {esc_text(r)}" for r in reasons)
        out.append({"type": "section", "text": {"type": "mrkdwn", "text": more[:3000]}})
    buttons = [{"type": "button", "text": {"type": "plain_text", "text": label}, "url": url}
               for label, url in (("Open the epic", epic_url), ("Open the record", record_url)) if url]
    if buttons:
        out.append({"type": "actions", "elements": buttons})
    out.append({"type": "context", "elements": [{"type": "mrkdwn", "text": esc_text(
        f"Escalation {esc.id} · opened {when(esc.opened)} · {esc.status}")[:2000]}]})
    return out
