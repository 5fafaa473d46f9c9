"""Matching words and phrases in customer-authored text.

A watched word matches at a word start, case-insensitively: ``cancel`` finds "Cancellation" and
``breach`` finds "breached", while ``legal`` does not find "illegal". Phrases match the same way
with any run of whitespace between their words. Executive titles match as whole words, so "VP"
is found in "VP Operations" but not in "VPN admin".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache

from rules.models import Comment, Ticket


@lru_cache(maxsize=256)
def _word_start_pattern(words: tuple[str, ...], whole: bool) -> re.Pattern[str] | None:
    alternatives = [r"\s+".join(map(re.escape, w.split())) for w in words if w.strip()]
    if not alternatives:
        return None
    tail = r"(?!\w)" if whole else ""
    # Longest first, so "vice president" wins over "president" when both are listed.
    alternatives.sort(key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + ")" + tail, re.IGNORECASE)


def find_words(text: str, words: tuple[str, ...]) -> list[str]:
    """The watched words found at a word start in ``text``, lower-cased, in list order."""
    pattern = _word_start_pattern(words, False)
    if pattern is None or not text:
        return []
    found = {m.group(0).lower() for m in pattern.finditer(text)}
    if not found:
        return []
    return [w for w in words if any(_norm(f).startswith(_norm(w)) for f in found)]


@lru_cache(maxsize=64)
def _any_pattern(lists: tuple[tuple[str, ...], ...]) -> re.Pattern[str] | None:
    return _word_start_pattern(tuple(w for words in lists for w in words), False)


def has_any_word(text: str, lists: tuple[tuple[str, ...], ...]) -> bool:
    """Would :func:`find_words` find anything in ``text`` for any of ``lists``? One scan for all:
    a word of some list starts somewhere exactly when the alternation of all of them matches there."""
    pattern = _any_pattern(lists)
    return bool(pattern and text and pattern.search(text))


def has_whole_word(text: str, words: tuple[str, ...]) -> bool:
    pattern = _word_start_pattern(words, True)
    return bool(pattern and text and pattern.search(text))


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def customer_ticket_text(ticket: Ticket) -> str:
    """The ticket's own text when a customer contact wrote it; else nothing."""
    if not ticket.reporter.customer:
        return ""
    return f"{ticket.summary}\n{ticket.description}"


def is_customer_comment(comment: Comment) -> bool:
    """Public comments by customer contacts; agent comments and internal notes never count."""
    return comment.public and comment.author.customer


def customer_texts(ticket: Ticket) -> Iterator[str]:
    """Every customer-authored text of the ticket: its own text and customers' public comments."""
    own = customer_ticket_text(ticket)
    if own:
        yield own
    for comment in ticket.comments:
        if is_customer_comment(comment):
            yield comment.body


def labels_in(labels: Iterable[str], wanted: tuple[str, ...]) -> list[str]:
    """Labels of ``wanted`` carried by the ticket, compared case-insensitively."""
    if not labels or not wanted:  # (asked three times of every ticket; most carry few labels)
        return []
    have = {label.lower() for label in labels}
    return [w for w in wanted if w.lower() in have]


_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(["a", "an", "and", "are", "for", "from", "in", "is", "it", "of", "on", "or", "the", "to", "with"])


def summary_words(summary: str) -> frozenset[str]:
    """A summary reduced to its meaningful words, for same-issue-by-summary matching."""
    return frozenset(_WORD.findall(summary.lower())) - _STOP


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard similarity of two word sets (1.0 for two empty sets is avoided: they are 0)."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)
