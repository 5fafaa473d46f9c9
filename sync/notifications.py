"""Telling people: the routes a notification engages, and the event a Notify intent sends.

What is worth telling is decided in :mod:`rules.intents` from typed facts (a severe opening, a
tier that rose, a breach added, a sponsor newly required) and stored as a ``Notify`` intent in
the same transaction as the decision. The executor sends it once the epic exists (so the
message carries its key), through :class:`connectors.notify.Notifier`, which deduplicates by
the intent's key in Redis: a failed flush retried later still sends it, a retry after a send
never repeats it.
"""

from __future__ import annotations

from connectors.notify import NotifyEvent
from rules.config import RulesConfig
from rules.intents import Notify
from rules.models import Escalation


def roles_for(esc: Escalation, cfg: RulesConfig) -> tuple[str, ...]:
    """The roles the escalation's current tier engages (selects ``role:<role>`` routes)."""
    roles = [r for r in cfg.tiers.stakeholder_roles.get(esc.tier, ()) if r != "csm_manager"]
    owner = cfg.tiers.owner_roles.get(esc.tier)
    first = [owner.value] if owner else []
    return tuple(dict.fromkeys([*first, *roles]))


def event_for(intent: Notify, esc: Escalation, epic_key: str | None,
              record_id: str | None = None) -> NotifyEvent:
    """The notification of a ``Notify`` intent, about the escalation as last decided; the
    record exists by then (phase 1 writes it right after the epic), so the message links both."""
    return NotifyEvent(intent.kind.value, esc, reasons=intent.reasons, roles=intent.roles,  # type: ignore[arg-type]
                       epic_key=epic_key, key=intent.id, arr=esc.arr, record_id=record_id)
