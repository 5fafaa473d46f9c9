"""A ticket's business impact: the facts severity, tier and sponsor rules read (sections 3, 4, 6).

Only impact counts. Priority, impact labels and impact phrases in customer-authored text raise
a ticket's severity; exclamation marks, capitals and angry words never do.
"""

from __future__ import annotations

from functools import lru_cache

from rules.config import RulesConfig
from rules.copying import assemble
from rules.models import Comment, Severity, Ticket
from rules.state import TicketFacts
from rules.text import (
    customer_ticket_text,
    find_words,
    has_any_word,
    has_whole_word,
    is_customer_comment,
    labels_in,
    summary_words,
)


def ticket_facts(ticket: Ticket, cfg: RulesConfig, quiet: bool | None = None) -> TicketFacts:
    """The facts of a newly seen ticket (its own fields; comments come as their own events).

    ``quiet``: the caller already knows that the ticket's text holds no impact or tier-4 phrase
    (True) or may (False); None: look.
    """
    sev_cfg = cfg.severity
    severity: Severity | None = None
    reason = ""
    if ticket.priority and ticket.priority in sev_cfg.priorities:
        severity = _severity(sev_cfg.priorities[ticket.priority])
        reason = f"priority {ticket.priority}"
    text = customer_ticket_text(ticket)
    if quiet is None:
        quiet = not text or not has_any_word(text, (cfg.severity.impact_phrases, cfg.tiers.tier4_phrases))
    if quiet:
        text = ""  # one scan says neither list is there (most tickets): the two below read labels only
    labels = ticket.labels
    if labels or text:
        impact = _impact(labels, text, cfg)
        if impact and (severity is None or _severity(sev_cfg.impact_severity) < severity):
            severity, reason = _severity(sev_cfg.impact_severity), impact
        tier4 = _tier4(labels, text, cfg)
    else:  # no label and no phrase (most tickets): neither can be found
        tier4 = None
    title = ticket.reporter.title
    exec_title = (
        title
        if ticket.reporter.customer and title and has_whole_word(title, cfg.exec_sponsor.executive_titles)
        else None
    )
    # the values are the validated ticket's own or made here of the fields' types: no validation again;
    # every field, in declaration order (``assemble``)
    return assemble(TicketFacts, {
        "key": ticket.key,
        "created": ticket.created,
        "components": ticket.components,
        "labels": tuple(label.lower() for label in labels) if labels else (),
        "words": tuple(sorted(summary_words(ticket.summary))),
        "channel": ticket.channel,
        "severity": severity,
        "severity_reason": reason,
        "tier4_reason": tier4,
        "tier4_at": ticket.created if tier4 else None,
        "exec_title": exec_title,
    })


def with_comment(facts: TicketFacts, comment: Comment, cfg: RulesConfig) -> TicketFacts:
    """The facts after a comment: a customer's public words can reveal impact or legal action."""
    if not is_customer_comment(comment):
        return facts
    if not has_any_word(comment.body, (cfg.severity.impact_phrases, cfg.tiers.tier4_phrases)):
        return facts  # no impact or tier-4 phrase in it (most comments): one scan instead of two
    update: dict[str, object] = {}
    impact = _impact((), comment.body, cfg)
    impact_sev = _severity(cfg.severity.impact_severity)
    if impact and (facts.severity is None or impact_sev < facts.severity):
        update.update(severity=impact_sev, severity_reason=f"{impact} in a customer comment")
    tier4 = _tier4((), comment.body, cfg)
    if tier4 and not facts.tier4_reason:
        update.update(tier4_reason=f"{tier4} in a customer comment", tier4_at=comment.at)
    return facts.model_copy(update=update) if update else facts


def _impact(labels: tuple[str, ...], text: str, cfg: RulesConfig) -> str:
    found = labels_in(labels, cfg.severity.impact_labels)
    if found:
        return f"impact label {found[0]}"
    phrases = find_words(text, cfg.severity.impact_phrases)
    return f"impact phrase '{phrases[0]}'" if phrases else ""


def _tier4(labels: tuple[str, ...], text: str, cfg: RulesConfig) -> str | None:
    found = labels_in(labels, cfg.tiers.tier4_labels)
    if found:
        return f"tier-4 label {found[0]}"
    phrases = find_words(text, cfg.tiers.tier4_phrases)
    return f"tier-4 phrase '{phrases[0]}'" if phrases else None


_severity = lru_cache(maxsize=64)(Severity.parse)  # the config's few severity names, parsed once each
