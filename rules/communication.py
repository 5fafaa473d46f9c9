"""The customer communication log (seed 004's "Customer Communication Log"), from the tickets.

What the vendor told the customer is already written down: the public comments the vendor's
people left on the customer's tickets (and on the epic). Each becomes one log entry: when, on
which channel, who, and the comment's first line. Internal notes (``public`` false) never do,
and neither does anything the customer wrote: the log is what *we* said, so an owner can see at
a glance when the customer last heard from us.

The escalation carries its log (:attr:`rules.models.Escalation.communications`, the newest
:data:`KEEP` entries, and a count of the earlier ones), so the epic and the record show it with
no extra read: the poll adds an entry when it sees a public vendor comment on a linked ticket
(:func:`ticket_reply`), the watch when a person comments on the epic (:func:`epic_reply`).
The log starts when the escalation links the ticket: replies from before it are the ticket's
history, not the escalation's. Pure, and idempotent: a comment seen again changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import compress, repeat
from operator import attrgetter, contains

from rules.models import Channel, Comment, Escalation, LogEntry, Ticket

__all__ = ["EPIC_CHANNEL", "KEEP", "LogEntry", "communication_log", "epic_reply", "first_line", "is_communication",
           "log_record", "log_text", "logged", "ticket_reply"]

FIRST_LINE_LIMIT = 200
EPIC_CHANNEL = "epic"
"""The channel shown for a comment on the epic itself (it has no support channel)."""
KEEP = 50
"""Entries an escalation keeps (the newest); older ones are counted. 50 first lines fit the
record's 32,768-character field and the epic's description with room for everything else."""
LOGGING = ("Open", "In Progress", "Resolved")
"""Statuses whose escalation still logs replies: a resolved one's closure message and follow-up
are communications too; a closed or dismissed one's are not."""


def first_line(body: str, limit: int = FIRST_LINE_LIMIT) -> str:
    """The first non-empty line of ``body``, cut at ``limit`` characters with an ellipsis."""
    line = next((ln.strip() for ln in body.splitlines() if ln.strip()), "")
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "\u2026"


CONNECTOR_PREFIX = "escalation-sync"
"""The connector's own comments on the epic start so; they are not communications."""


def is_communication(comment: Comment) -> bool:
    """A public, non-empty comment by the vendor's people (not the customer, not the connector)."""
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
            if is_communication(c):
                entry = _entry(c, t.channel, t.key)
                seen.setdefault(entry.id, entry)
    for c in epic_comments:
        if is_communication(c):
            entry = _entry(c, EPIC_CHANNEL, None)
            seen.setdefault(entry.id, entry)
    return tuple(sorted(seen.values(), key=lambda e: (e.at, e.id)))


def logged(esc: Escalation, entries: Iterable[LogEntry], keep: int = KEEP) -> Escalation:
    """``esc`` with ``entries`` in its log: each comment once, oldest first, the newest ``keep``.

    An entry already kept is skipped (a ticket read again, a restart). So is one older than the
    oldest kept entry once some were dropped: it was counted then, or would be dropped now.
    Returns ``esc`` itself when nothing is new, so a caller can tell by identity.
    """
    kept = esc.communications
    known = {e.id for e in kept}
    floor = (kept[0].at, kept[0].id) if kept and esc.communications_earlier else None
    new = [e for e in dict((e.id, e) for e in entries).values()
           if e.id not in known and (floor is None or (e.at, e.id) > floor)]
    if not new:
        return esc
    merged = sorted((*kept, *new), key=lambda e: (e.at, e.id))
    dropped = max(0, len(merged) - keep)
    return esc.model_copy(update={"communications": tuple(merged[dropped:]),
                                  "communications_earlier": esc.communications_earlier + dropped})


def ticket_reply(esc: Escalation | None, ticket: Ticket, comment: Comment) -> Escalation | None:
    """The escalation with a public vendor reply on one of its tickets logged; None if not one.

    Only replies after the ticket joined the escalation count: after the first trigger naming it
    (a ticket a burst adds later joins when it is created, before any of its comments). Decided
    from the escalation alone, so a comment delivered again (an overlap window, a replay) gets
    the same answer as the first time, whatever the order it comes in.
    """
    if esc is None or esc.status not in LOGGING or not is_communication(comment):
        return None
    triggers = esc.triggers  # in C: an escalation open for months holds many triggers
    linked = min(compress(map(_AT, triggers), map(contains, map(_TICKETS, triggers), repeat(ticket.key))),
                 default=None)
    if linked is None or comment.at <= linked:
        return None
    new = logged(esc, [_entry(comment, ticket.channel, ticket.key)])
    return None if new is esc else new


def epic_reply(esc: Escalation, comment: Comment) -> Escalation | None:
    """The escalation with a person's public comment on its epic logged; None if not one.

    The shell leaves out the connector's own comments (by its Jira user) before calling this.
    """
    if esc.status not in LOGGING or not is_communication(comment):
        return None
    new = logged(esc, [_entry(comment, EPIC_CHANNEL, None)])
    return None if new is esc else new


def _line(e: LogEntry) -> str:
    return f"{e.at:%Y-%m-%d %H:%M}Z  {e.channel}  {e.author}{f' on {e.ticket}' if e.ticket else ''}: {e.summary}"


def log_text(entries: Iterable[LogEntry]) -> str:
    """The log as plain lines for the Salesforce record: ``2026-11-19 10:00Z  email  Dana  text``."""
    return "\n".join(_line(e) for e in entries)


def log_record(esc: Escalation, limit: int) -> str | None:
    """The record's ``Communication_Log__c``: oldest first, at most ``limit`` characters, the
    newest lines kept when cut; a first line counts the entries left out. None when empty."""
    lines = [_line(e) for e in esc.communications]
    earlier = esc.communications_earlier
    while lines:
        head = [f"({earlier} earlier {'entry' if earlier == 1 else 'entries'} not shown)"] if earlier else []
        text = "\n".join(head + lines)
        if len(text) <= limit:
            return text
        lines.pop(0)
        earlier += 1
    return f"({earlier} earlier entries not shown)"[:limit] if earlier else None


_AT = attrgetter("at")
_TICKETS = attrgetter("tickets")
