"""The trigger registry: adding a kind is one module here plus its config branch.

Order matters only for ``repeat``, which reads what the kinds before it found.
"""

from __future__ import annotations

from rules.triggers.base import Context, TriggerKindBase
from rules.triggers.channels import CeoEmail, ExecutiveFlag, Social
from rules.triggers.health_drop import HealthDrop
from rules.triggers.keyword import Keyword
from rules.triggers.repeat import Repeat
from rules.triggers.ticket_burst import TicketBurst

REGISTRY: tuple[TriggerKindBase, ...] = (
    Keyword(),
    TicketBurst(),
    HealthDrop(),
    ExecutiveFlag(),
    CeoEmail(),
    Social(),
    Repeat(),
)

__all__ = ["REGISTRY", "Context", "TriggerKindBase"]
