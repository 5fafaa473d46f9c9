"""The customer communication log (seed 004's "Customer Communication Log"), from the tickets.

What the vendor told the customer is already written down: the public comments the vendor's
people left on the customer's tickets (and on the epic). Each becomes one log entry: when, on
which channel, who, and the comment's first line. Internal notes (``public`` false) never do,
and neither does anything the customer wrote: the log is what *we* said, so an owner can see at
a glance when the customer last heard from us. Pure: the shell passes the linked tickets.
"""

from __future__ import annotations

from collections.abc import Iterable

from rules.models import Channel, Comment, Frozen, Ticket, UtcDatetime

FIRST_LINE_LIMIT = 200
EPIC_CHANNEL = "jira"
"""The channel shown for a comment on the epic itself (it has no support channel)."""


class LogEntry(Frozen):
    """One communication to the customer: time, channel, author, the first line said."""

    at: UtcDatetime
    channel: str
    author: str
    summary: str
    ticket: str | None = None
    id: str = ""


def first_line(body: str, limit: int = FIRST_LINE_LIMIT) -> str:
    """The first non-empty line of ``body``, cut at ``limit`` characters with an ellipsis."""
    line = next((ln.strip() for ln in body.splitlines() if ln.strip()), "")
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "\u2026"


CONNECTOR_PREFIX = "escalation-sync"
"""The connector's own comments on the epic start so; they are not communications."""


def _by_vendor(comment: Comment) -> bool:
    body = comment.body.strip()
    return comment.public and not comment.author.customer and bool(body) and \
        not body.startswith(CONNECTOR_PREFIX)


def _entry(comment: Comment, channel: Channel | str, ticket: str | None) -> LogEntry:
    who = comment.author.name or comment.author.email or "someone at the vendor"
    return LogEntry(at=comment.at, channel=channel, author=who, summary=first_line(comment.body),
                    ticket=ticket, id=f"{ticket or 'epic'}:{comment.identity}")


def communication_log(tickets: Iterable[Ticket], epic_comments: Iterable[Comment] = ()) -> tuple[LogEntry, ...]:
    """The log, oldest first: every public vendor comment on ``tickets`` and on the epic.

    A ticket's comments are shown under the ticket's channel (portal, email, phone...), the
    epic's under :data:`EPIC_CHANNEL`. A comment seen twice (a ticket passed twice) counts once.
    """
    seen: dict[str, LogEntry] = {}
    for t in tickets:
        for c in t.comments:
            if _by_vendor(c):
                entry = _entry(c, t.channel, t.key)
                seen.setdefault(entry.id, entry)
    for c in epic_comments:
        if _by_vendor(c):
            entry = _entry(c, EPIC_CHANNEL, None)
            seen.setdefault(entry.id, entry)
    return tuple(sorted(seen.values(), key=lambda e: (e.at, e.id)))


def log_text(entries: Iterable[LogEntry]) -> str:
    """The log as plain lines for the Salesforce record: ``2026-11-19 10:00Z  email  Dana  text``."""
    return "\n".join(f"{e.at:%Y-%m-%d %H:%M}Z  {e.channel}  {e.author}"
                     f"{f' on {e.ticket}' if e.ticket else ''}: {e.summary}" for e in entries)
