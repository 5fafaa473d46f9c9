"""Same issue: when two tickets are about the same thing (by component, label or summary)."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import compress, repeat
from operator import attrgetter, contains

from rules.config import RulesConfig
from rules.state import TicketFacts
from rules.text import similarity


def issue_keys(facts: TicketFacts, cfg: RulesConfig) -> tuple[str, ...]:
    """The keys under which a ticket is grouped with others on the same issue."""
    mode = cfg.triggers.ticket_burst.same_issue
    if mode == "component":
        return tuple(f"component:{c}" for c in facts.components)
    if mode == "label":
        return tuple(f"label:{label}" for label in facts.labels)
    return (f"summary:{facts.key}",) if facts.words else ()


def same_issue(a: TicketFacts, b: TicketFacts, cfg: RulesConfig) -> bool:
    if cfg.triggers.ticket_burst.same_issue == "summary":
        threshold = cfg.triggers.ticket_burst.summary_similarity
        return similarity(frozenset(a.words), frozenset(b.words)) >= threshold
    return bool(set(issue_keys(a, cfg)) & set(issue_keys(b, cfg)))


def grouped_with(
    new: TicketFacts, others: Iterable[TicketFacts], cfg: RulesConfig
) -> dict[str, list[TicketFacts]]:
    """For each issue of ``new``: the tickets (``new`` included) on that same issue."""
    mode = cfg.triggers.ticket_burst.same_issue
    key = new.key
    if mode == "component" and len(new.components) == 1:  # the usual ticket: one pass, no pool
        name = new.components[0]
        # the filter by component runs in C (``map``/``compress``): an account's tickets include the
        # hundreds an escalation open for months still links
        listed = others if isinstance(others, list | tuple) else list(others)
        same = compress(listed, map(contains, map(_COMPONENTS, listed), repeat(name)))
        return {f"component:{name}": [new, *(f for f in same if f.key != key)]}
    pool = [f for f in others if f.key != key]
    if mode == "summary":
        mates = [f for f in pool if same_issue(new, f, cfg)]
        if not new.words:
            return {}
        earliest = min([new, *mates], key=lambda f: (f.created, f.key))
        return {f"summary:{earliest.key}": [new, *mates]}
    groups: dict[str, list[TicketFacts]] = {}
    # the same as ``key in issue_keys(f, cfg)``, without building every other ticket's keys
    for name in dict.fromkeys(new.components if mode == "component" else new.labels):
        on = [f for f in pool if name in (f.components if mode == "component" else f.labels)]
        groups[f"{mode}:{name}"] = [new, *on]
    return groups


_COMPONENTS = attrgetter("components")
