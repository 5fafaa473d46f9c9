"""Triggers read off a ticket's own flags: ``executive_flag``, ``ceo_email``, ``social``."""

from __future__ import annotations

from datetime import datetime

from rules.config import ChannelTriggerConfig, RulesConfig
from rules.events import Event, TicketOpened
from rules.models import Trigger
from rules.state import AccountState
from rules.text import labels_in
from rules.triggers.base import Context, TriggerKindBase


class _Immediate(TriggerKindBase):
    """Kinds whose trigger requires the executive sponsor at once (POLICY.md section 6)."""

    because: str = ""

    def sponsor(self, trigger: Trigger, cfg: RulesConfig) -> tuple[datetime, str] | None:
        return trigger.at, self.because


class ExecutiveFlag(_Immediate):
    """A ticket labelled as an executive escalation, by the submitter or an agent."""

    kind = "executive_flag"
    events = (TicketOpened,)
    because = "a customer executive flagged the escalation"

    def detect(
        self, event: Event, state: AccountState, found: list[Trigger], ctx: Context
    ) -> list[Trigger]:
        if not isinstance(event, TicketOpened):
            return []
        hit = labels_in(event.ticket.labels, ctx.cfg.triggers.executive_flag.labels)
        if not hit:
            return []
        key = event.ticket.key
        return [Trigger(id=f"{self.kind}:{key}", kind=self.kind, account=event.account,
                        at=event.at, tickets=(key,), reason=f"label {hit[0]} on {key}")]


class _ChannelTrigger(_Immediate):
    what: str = ""
    events = (TicketOpened,)

    def detect(
        self, event: Event, state: AccountState, found: list[Trigger], ctx: Context
    ) -> list[Trigger]:
        settings: ChannelTriggerConfig = getattr(ctx.cfg.triggers, self.kind)
        if not isinstance(event, TicketOpened) or event.ticket.channel not in settings.channels:
            return []
        key = event.ticket.key
        return [Trigger(id=f"{self.kind}:{key}", kind=self.kind, account=event.account,
                        at=event.at, tickets=(key,), reason=f"{self.what} ({key})")]


class CeoEmail(_ChannelTrigger):
    """A customer executive wrote to the vendor's CEO directly."""

    kind = "ceo_email"
    what = because = "a customer executive wrote to the CEO"


class Social(_ChannelTrigger):
    """A social-media complaint from a named account: the customer may go public."""

    kind = "social"
    what = "a social-media complaint"
    because = "the customer may go public (social media)"
