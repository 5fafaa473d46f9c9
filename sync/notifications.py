"""Which decisions are worth telling people about, and telling them without blocking.

New SEV-1/SEV-2 escalations, tier rises, an executive sponsor becoming required and SLA
breaches become :class:`connectors.notify.NotifyEvent` s. They are sent after the decisions
are durable and written (so the epic key exists), each under a deterministic key, so a retried
task never posts twice. In Celery they go out from their own task, so a slow webhook never
holds up a poll cycle.
"""

from __future__ import annotations

from collections.abc import Iterable

from connectors.notify import NotifyEvent
from rules.config import RulesConfig
from rules.models import Escalation


def _roles(esc: Escalation, cfg: RulesConfig) -> tuple[str, ...]:
    """The roles the escalation's current tier engages (selects ``role:<role>`` routes)."""
    roles = [r for r in cfg.tiers.stakeholder_roles.get(esc.tier, ()) if r != "csm_manager"]
    owner = cfg.tiers.owner_roles.get(esc.tier)
    first = [owner.value] if owner else []
    return tuple(dict.fromkeys([*first, *roles]))


def kinds_for(action: str, esc: Escalation, reasons: Iterable[str]) -> list[str]:
    """The notification kinds one decision calls for."""
    text = " ".join(reasons)
    kinds = []
    if action == "open" and int(esc.severity) <= 2:
        kinds.append("new_escalation")
    if "Tier raised" in text or (action == "breach" and "tier" in text.lower()):
        kinds.append("tier_rise")
    if action == "breach":
        kinds.append("sla_breach")
    if "Executive sponsor required" in text or (action == "breach" and "executive sponsor" in text.lower()):
        kinds.append("exec_sponsor")
    return list(dict.fromkeys(kinds))


def events_for(action: str, esc: Escalation, reasons: Iterable[str], cfg: RulesConfig,
               epic_key: str | None) -> list[NotifyEvent]:
    reasons = tuple(reasons)
    return [NotifyEvent(kind, esc, reasons=reasons, roles=_roles(esc, cfg), epic_key=epic_key)  # type: ignore[arg-type]
            for kind in kinds_for(action, esc, reasons)]
