"""``keyword``: a watched word in customer-authored text (POLICY.md section 2)."""

from __future__ import annotations

from datetime import datetime

from rules.config import KeywordConfig, RulesConfig
from rules.events import CommentAdded, Event, TicketOpened
from rules.models import Trigger
from rules.state import AccountState
from rules.text import customer_ticket_text, find_words, is_customer_comment
from rules.triggers.base import Context, TriggerKindBase


class Keyword(TriggerKindBase):
    kind = "keyword"
    events = (TicketOpened, CommentAdded)
    detect_only = frozenset({"words"})

    def sponsor(self, trigger: Trigger, cfg: RulesConfig) -> tuple[datetime, str] | None:
        """A legal word (``legal_words``) requires the executive sponsor at once."""
        legal = [w for w in trigger.words if w in cfg.triggers.keyword.legal_words]
        return (trigger.at, f"legal is involved (watched word {legal[0]!r})") if legal else None

    def detect(
        self, event: Event, state: AccountState, found: list[Trigger], ctx: Context
    ) -> list[Trigger]:
        cfg: KeywordConfig = ctx.cfg.triggers.keyword
        slot = ctx.shared.get("keyword")  # the event's words under these settings, when already looked for
        known = slot is not None and slot[0] is event and slot[1] == cfg.words
        if known and not slot[2]:  # type: ignore[index]
            return []
        if isinstance(event, TicketOpened):
            text, where = customer_ticket_text(event.ticket), "ticket"
        elif isinstance(event, CommentAdded) and is_customer_comment(event.comment):
            text, where = event.comment.body, "public customer comment"
        else:
            return []
        if known:
            words = slot[2]  # type: ignore[index]
        else:
            words = find_words(text, cfg.words)
            ctx.shared["keyword"] = (event, cfg.words, words)
        if not words:
            return []
        ident = f"{event.ticket.key}#{event.comment.identity}" if isinstance(event, CommentAdded) else event.ticket.key
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
