"""``backtest``: replay a book as the live connector would have seen it, and report.

Pure: a book and a config in, the contract's JSON-able result out (ARCHITECTURE.md, "The
command line"). A book holds no acknowledgements or resolutions, so every escalation is still
open and the SLA watch does not run.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rules.book_stream import BookSource, ordered_events
from rules.config import RulesConfig
from rules.directory import Directory, account_of
from rules.events import Event, health_events, ticket_events
from rules.models import Book, Escalation
from rules.replay import Replay
from rules.sharing import feed_together, share_scratch
from rules.triggers import Context


def book_events(book: Book, directory: Directory, now: datetime) -> tuple[list[Event], list[str]]:
    """The book as events up to ``now``, and the keys of tickets matching no account."""
    events: list[Event] = []
    unmatched: list[str] = []
    for ticket in book.tickets:
        if ticket.created > now:
            continue
        owner = account_of(ticket, directory)
        if owner is None:
            unmatched.append(ticket.key)
            continue
        seen = ticket.model_copy(update={"comments": tuple(c for c in ticket.comments if c.at <= now)})
        events.extend(ticket_events(seen, owner))
    for account in book.accounts:
        events.extend(health_events(account.id, (s for s in account.health if s.at <= now)))
    return events, sorted(unmatched)


def run_backtest(book: Book | BookSource, cfg: RulesConfig, now: datetime | None = None,
                 keep_decisions: bool = True) -> Replay:
    """Replay a book (in memory, or a stream over a file) in time order through the engine."""
    source = book if isinstance(book, BookSource) else BookSource.of(book)
    if now is not None and now != source.now:
        source = source.at(now)
    directory = Directory.build(source.users, source.accounts, cfg.tiers.top_accounts)
    replay = Replay(ctx=Context(cfg=cfg, directory=directory), keep_decisions=keep_decisions,
                    keep_timeline=keep_decisions)
    unmatched: list[str] = []
    replay.feed_ordered(ordered_events(source, directory, unmatched.append))
    replay.unmatched = sorted(unmatched)
    return replay


def run_many(
    book: Book | BookSource,
    cfgs: Sequence[RulesConfig],
    now: datetime | None = None,
) -> list[Replay]:
    """Replay one book under several rule sets at once: the book is read and ordered once, each
    event goes to every replay in turn, and a step the first replay took is shared by the others
    where it cannot differ (:mod:`rules.sharing`; ``--compare``, ``--sweep``)."""
    source = book if isinstance(book, BookSource) else BookSource.of(book)
    if now is not None and now != source.now:
        source = source.at(now)
    replays = []
    for cfg, scratch in zip(cfgs, share_scratch(cfgs), strict=True):
        directory = Directory.build(source.users, source.accounts, cfg.tiers.top_accounts)
        replays.append(Replay(ctx=Context(cfg=cfg, directory=directory, shared=scratch), keep_decisions=False,
                              keep_timeline=False))
    unmatched: list[str] = []
    feed_together(replays, ordered_events(source, replays[0].ctx.directory, unmatched.append))
    for replay in replays:
        replay.unmatched = sorted(unmatched)
    return replays


def result_of(replay: Replay) -> dict[str, Any]:
    """A replay's result in the backtest contract's shape."""
    return {
        "escalations": [escalation_json(e) for e in replay.escalations()],
        "unmatched_tickets": replay.unmatched,
    }


def iso(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else None


def escalation_json(esc: Escalation) -> dict[str, Any]:
    """One escalation in the backtest contract's shape."""
    return {
        "account": esc.account,
        "account_name": esc.account_name,
        "opened": iso(esc.opened),
        "severity": esc.severity.label,
        "tier": esc.tier,
        "owner": esc.owner,
        "stakeholders": list(esc.stakeholders),
        "triggers": [
            {"kind": t.kind, "at": iso(t.at), "tickets": list(t.tickets)} for t in esc.triggers
        ],
        "exec_sponsor": {"required": esc.exec_sponsor.required, "due": iso(esc.exec_sponsor.due)},
        "plan": [{"step": p.step, "owner": p.owner, "due": iso(p.due)} for p in esc.plan],
    }


def backtest(book: Book | BookSource, cfg: RulesConfig, now: datetime | None = None) -> dict[str, Any]:
    """The backtest result: ``{"escalations": [...], "unmatched_tickets": [...]}``."""
    return result_of(run_backtest(book, cfg, now, keep_decisions=False))
