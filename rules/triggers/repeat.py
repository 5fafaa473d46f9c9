"""``repeat``: the account escalates again on the same issue while, or soon after, one is open.

"Again" means a fresh contact: a trigger from a ticket not yet linked to the escalation, on
the same issue as a ticket that is. A burst growing by one more ticket is not a repeat (it
joins the burst), nor is a second comment on a ticket already linked.
"""

from __future__ import annotations

from datetime import datetime

from rules.config import RulesConfig
from rules.events import Event
from rules.issues import same_issue
from rules.models import Trigger
from rules.state import AccountState, TicketFacts
from rules.triggers import kind_of
from rules.triggers.base import Context, TriggerKindBase


class Repeat(TriggerKindBase):
    kind = "repeat"
    order = 100  # reads what every other kind found in the same event
    contact = False

    def sponsor(self, trigger: Trigger, cfg: RulesConfig) -> tuple[datetime, str] | None:
        """Escalating twice on the same issue requires the sponsor within ``exec_sponsor.within``."""
        return trigger.at + cfg.exec_sponsor.within, "the account escalated twice on the same issue"

    def detect(
        self, event: Event, state: AccountState, found: list[Trigger], ctx: Context
    ) -> list[Trigger]:
        for trigger in found:
            if not kind_of(trigger.kind).contact:
                continue
            for key in trigger.tickets:
                facts = state.tickets.get(key)
                if facts is None:
                    continue
                earlier = self._earlier(state, facts, trigger, ctx)
                if earlier:
                    return [Trigger(
                        id=f"{self.kind}:{trigger.id}", kind=self.kind, account=trigger.account,
                        at=trigger.at, tickets=(key,),
                        reason=f"{key} escalates again on the same issue as {earlier}",
                    )]
        return []

    def _earlier(
        self, state: AccountState, facts: TicketFacts, trigger: Trigger, ctx: Context
    ) -> str | None:
        cfg = ctx.cfg
        esc = state.escalation
        if esc is not None and esc.is_open and facts.key not in esc.tickets:
            for linked in state.linked_facts():
                if same_issue(facts, linked, cfg):
                    return f"{linked.key} in the open escalation {esc.id}"
        for closed in state.closed:
            recent = trigger.at - closed.closed_at <= cfg.triggers.repeat.window
            if recent and any(same_issue(facts, old, cfg) for old in closed.tickets):
                return f"the escalation {closed.id} closed {closed.closed_at:%Y-%m-%d}"
        return None
