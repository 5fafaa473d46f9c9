"""A Jira support issue (REST JSON) as a :class:`rules.models.Ticket`.

Shapes only, no policy. A malformed issue raises :class:`SkippableRecordError` naming the issue
and the field; odd but usable values degrade (an unknown channel reads as ``portal``, an
Atlassian Document Format body is flattened to text, HTML is kept as text).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from connectors.errors import SkippableRecordError
from rules.errors import describe
from rules.models import Comment, Person, Ticket

log = logging.getLogger(__name__)
CHANNELS = {"portal", "email", "phone", "social", "executive_email"}
MAX_TEXT = 200_000  # characters kept of one text; the rest cannot change a decision


def jira_time(value: Any) -> datetime:
    """Jira's ``2026-11-19T10:00:00.000+0000`` (or ISO 8601) as an aware UTC datetime."""
    text = str(value).strip().replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
        text = text[:-2] + ":" + text[-2:]
    return datetime.fromisoformat(text).astimezone(UTC)


def plain_text(value: Any, limit: int | None = MAX_TEXT) -> str:
    """A v2 string, or the text of an Atlassian Document Format tree, capped in size."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value[:limit]
    if isinstance(value, dict):
        parts: list[str] = []

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                if isinstance(node.get("text"), str):
                    parts.append(node["text"])
                for child in node.get("content") or []:
                    walk(child)
                if node.get("type") in ("paragraph", "heading", "listItem"):
                    parts.append("\n")
            elif isinstance(node, list):
                for child in node:
                    walk(child)

        walk(value)
        return "".join(parts)[:limit]
    return str(value)[:limit]


def _listed(value: Any) -> Any:
    """One string where a list belongs is a list of it (not a list of its characters)."""
    return [value] if isinstance(value, str) else value or []


def degradations(f: dict[str, Any], field_ids: dict[str, str]) -> list[str]:
    """What in an issue's fields is malformed but usable, read with a default (for the log)."""
    notes: list[str] = []

    def typed(name: str, value: Any, *types: type) -> bool:
        if value is not None and not isinstance(value, types):
            notes.append(f"{name} is a {type(value).__name__}")
            return False
        return True

    def text(name: str, value: Any) -> None:
        if typed(name, value, str, dict) and len(plain_text(value, None)) > MAX_TEXT:
            notes.append(f"{name} cut to {MAX_TEXT:,} characters")

    if f.get("summary") is None:
        notes.append("summary is null")
    text("summary", f.get("summary"))
    text("description", f.get("description"))
    if typed("labels", f.get("labels"), list) and any(not isinstance(x, str) for x in f.get("labels") or []):
        notes.append("labels that are not text")
    if typed("components", f.get("components"), list) and any(
            not isinstance(c, dict) or not isinstance(c.get("name"), str) or not c["name"]
            for c in f.get("components") or []):
        notes.append("components without a name")
    typed("priority", f.get("priority"), dict)
    for role, user in [("reporter", f.get("reporter"))] + [
            (f"comment author {c.get('id')}", c.get("author"))
            for c in ((f.get("comment") or {}).get("comments") or []) if isinstance(c, dict)]:
        if typed(role, user, dict) and isinstance(user, dict):
            typed(f"{role} emailAddress", user.get("emailAddress"), str)
            typed(f"{role} displayName", user.get("displayName"), str)
    raw = f.get(field_ids.get("channel", ""))
    channel = raw.get("value") if isinstance(raw, dict) else raw
    if channel is not None and channel not in CHANNELS:
        notes.append(f"unknown channel {str(channel)[:40]!r} read as portal")
    typed("account", f.get(field_ids.get("account", "")), str)
    typed("reporter title", f.get(field_ids.get("title", "")), str)
    block = f.get("comment")
    if isinstance(block, dict):
        listed = block.get("comments")
        if typed("comments", listed, list):
            kept = [c for c in listed or [] if isinstance(c, dict) and c.get("created")]
            if len(kept) < len(listed or []):
                notes.append(f"{len(listed or []) - len(kept)} comments without a date dropped")
            for c in kept:
                text(f"comment {c.get('id')} body", c.get("body"))
        total = block.get("total")
        if total is not None and not (isinstance(total, int) or str(total).isdigit()):
            notes.append(f"comment total {str(total)[:20]!r} is not a number")
    return notes


def person(user: Any, internal_domains: frozenset[str] = frozenset(),
           vendor_names: frozenset[str] = frozenset()) -> Person:
    """A reporter or comment author, and whether they are a customer.

    Never decided by whether an e-mail is visible (Cloud hides it by profile; Data Center's
    "User email visibility: hidden" leaves ``emailAddress`` out of every user object):

    1. Cloud says who is a customer: ``accountType`` ``"customer"`` (a Service Management
       portal customer) is one; ``"atlassian"`` (a licensed user) and ``"app"`` are the vendor's.
    2. Where the site does not say (Data Center), a visible e-mail's domain decides: the
       vendor's own domains (``internal_domains``) are not customers, any other is.
    3. A hidden e-mail: the display name of one of the vendor's people (``vendor_names``,
       case-folded Salesforce user names) is the vendor's; anyone else is a customer, so a
       customer's words are never taken for ours (the communication log) nor ignored (triggers).
    """
    if not isinstance(user, dict):
        return Person()
    email = str(user.get("emailAddress") or "").lower()
    name = str(user.get("displayName") or "")
    kind = user.get("accountType")
    if kind:
        customer = kind == "customer"
    elif email:
        customer = email.rpartition("@")[2] not in internal_domains
    else:
        customer = " ".join(name.split()).casefold() not in vendor_names
    return Person(email=email, name=name, customer=customer)


def vendor_names(names: Iterable[str]) -> frozenset[str]:
    """The vendor's people's names as :func:`person` compares them (whitespace and case folded)."""
    return frozenset(" ".join(n.split()).casefold() for n in names if n and n.strip())


def is_public(comment: dict[str, Any]) -> bool:
    """JSM visibility: ``jsdPublic``, the ``sd.public.comment`` property, or a visibility limit."""
    if comment.get("visibility"):
        return False
    for prop in comment.get("properties") or []:
        if isinstance(prop, dict) and prop.get("key") == "sd.public.comment":
            return not bool((prop.get("value") or {}).get("internal"))
    return bool(comment.get("jsdPublic", True))


def ticket_from_issue(issue: dict[str, Any], field_ids: dict[str, str],
                      internal_domains: frozenset[str] = frozenset(),
                      names: frozenset[str] = frozenset()) -> Ticket:
    """Map one issue. ``field_ids``: "channel", "account", "title" -> custom field id;
    ``internal_domains`` and ``names`` (:func:`vendor_names`): the vendor's e-mail domains and
    people, who are not customers where Jira does not say (Data Center; :func:`person`)."""
    key = str(issue.get("key") or issue.get("id") or "?")
    f = issue.get("fields")
    if not isinstance(f, dict):
        raise SkippableRecordError(key, "the issue has no fields")
    try:
        channel_raw = f.get(field_ids.get("channel", ""))
        channel = (channel_raw or {}).get("value") if isinstance(channel_raw, dict) else channel_raw
        reporter = person(f.get("reporter"), internal_domains, names)
        title = f.get(field_ids.get("title", ""))
        if title:
            reporter = reporter.model_copy(update={"title": str(title)[:200]})
        comments_raw = (f.get("comment") or {}).get("comments") or []
        comments = tuple(
            Comment(id=str(c.get("id")) if c.get("id") else None, at=jira_time(c["created"]),
                    author=person(c.get("author"), internal_domains, names), body=plain_text(c.get("body")),
                    public=is_public(c))
            for c in comments_raw if isinstance(c, dict) and c.get("created")
        )
        account = f.get(field_ids.get("account", ""))
        ticket = Ticket(
            key=key,
            account=str(account).strip() or None if account else None,
            created=jira_time(f["created"]),
            updated=jira_time(f["updated"]) if f.get("updated") else None,
            summary=plain_text(f.get("summary")),
            description=plain_text(f.get("description")),
            priority=(f.get("priority") or {}).get("name") if isinstance(f.get("priority"), dict) else None,
            labels=tuple(str(x) for x in _listed(f.get("labels")) if x is not None),
            components=tuple(str(c.get("name")) for c in _listed(f.get("components"))
                             if isinstance(c, dict) and c.get("name")),
            channel=channel if channel in CHANNELS else "portal",
            status=(f.get("status") or {}).get("name") if isinstance(f.get("status"), dict) else None,
            reporter=reporter,
            comments=comments,
        )
        notes = degradations(f, field_ids)
    except KeyError as exc:
        raise SkippableRecordError(key, f"missing field {exc.args[0]!r}") from exc
    except ValidationError as exc:
        raise SkippableRecordError(key, "; ".join(describe(exc))) from exc
    except (TypeError, ValueError, AttributeError) as exc:
        raise SkippableRecordError(key, f"malformed value: {exc}") from exc
    if notes:
        log.warning("ticket %s degraded: %s", key, "; ".join(notes), extra={"ticket": key})
    return ticket
