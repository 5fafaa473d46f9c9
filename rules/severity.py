"""Severity by business impact (POLICY.md section 3): the highest of triggers and tickets."""

from __future__ import annotations

from collections.abc import Iterable
from operator import attrgetter

from rules.config import RulesConfig
from rules.models import Severity, Trigger
from rules.state import TicketFacts
from rules.triggers import kind_of


def assess_severity(
    triggers: Iterable[Trigger], linked: Iterable[TicketFacts], cfg: RulesConfig
) -> tuple[Severity, str]:
    """The most severe of each trigger's default and each linked ticket's impact, with why.

    Nothing else counts: the number of angry words, capitals or exclamation marks is never
    read, so a calm ticket about a data breach outranks an angry one about a UI change.
    Candidates are weighed in order (triggers, then linked tickets) and the first of the most
    severe wins; the reason is written only for it, and the tickets are read with C-level ``map``,
    because an escalation open for months links hundreds of tickets and is re-assessed often.
    """
    kinds = dict.fromkeys(map(_KIND, triggers))  # first appearance order: the first trigger of a kind
    best: tuple[Severity, str] | None = None
    for name in kinds:
        sev = kind_of(name).settings(cfg).sev
        if best is None or sev < best[0]:
            best = (sev, f"{name} trigger")
    facts = linked if isinstance(linked, list | tuple) else list(linked)
    levels = [*map(_SEVERITY, facts)]
    known = [*filter(None, levels)]  # a Severity is never 0, so only the unknown (None) drop out
    if known:
        top = min(known)
        if best is None or top < best[0]:  # ties: a trigger comes before the tickets
            first = facts[levels.index(top)]
            best = (top, f"{first.key}: {first.severity_reason}")
    return best if best is not None else (Severity.SEV4, "no impact known")


_KIND = attrgetter("kind")
_SEVERITY = attrgetter("severity")
