"""Severity by business impact (POLICY.md section 3): the highest of triggers and tickets."""

from __future__ import annotations

from collections.abc import Iterable

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
    """
    candidates: list[tuple[Severity, str]] = []
    for trigger in triggers:
        candidates.append((kind_of(trigger.kind).settings(cfg).sev, f"{trigger.kind} trigger"))
    for facts in linked:
        if facts.severity is not None:
            candidates.append((facts.severity, f"{facts.key}: {facts.severity_reason}"))
    if not candidates:
        return Severity.SEV4, "no impact known"
    return min(candidates, key=lambda c: c[0])
