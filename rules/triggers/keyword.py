"""``keyword``: a watched word in customer-authored text (POLICY.md section 2)."""

from __future__ import annotations

from rules.config import KeywordConfig
from rules.events import CommentAdded, Event, TicketOpened
from rules.models import Trigger
from rules.state import AccountState
from rules.text import customer_ticket_text, find_words, is_customer_comment
from rules.triggers.base import Context, TriggerKindBase


class Keyword(TriggerKindBase):
    kind = "keyword"

    def detect(
        self, event: Event, state: AccountState, found: list[Trigger], ctx: Context
    ) -> list[Trigger]:
        cfg: KeywordConfig = ctx.cfg.triggers.keyword
        if isinstance(event, TicketOpened):
            text, ident, where = customer_ticket_text(event.ticket), event.ticket.key, "ticket"
        elif isinstance(event, CommentAdded) and is_customer_comment(event.comment):
            text = event.comment.body
            ident = f"{event.ticket.key}#{event.comment.identity}"
            where = "public customer comment"
        else:
            return []
        words = find_words(text, cfg.words)
        if not words:
            return []
        return [
            Trigger(
                id=f"keyword:{ident}",
                kind=self.kind,
                account=event.account,
                at=event.at,
                tickets=(event.ticket.key,),
                words=tuple(words),
                reason=f"watched word {', '.join(repr(w) for w in words)} in {where} "
                f"{event.ticket.key}",
            )
        ]
