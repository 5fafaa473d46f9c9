"""One scan of a text for several word lists says what scanning for each list would say.

The engine looks for the impact phrases, the tier-4 phrases and the watched words in one pass
(``rules.text.has_any_word``) and skips the three scans when it finds none; that is only right if
the one pass finds something exactly when one of the lists' own scans (``find_words``) would.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from rules.text import find_words, has_any_word

WORDS = ["cancel", "legal", "outage", "data loss", "down", "breach", "lawyer", "vp", "service down"]
_pieces = st.sampled_from([*WORDS, "illegal", "Cancellation", "DATA   LOSS", "x", "servicedown", "  ", "\n", ".", "-"])
texts = st.lists(_pieces, max_size=12).map(" ".join) | st.text(max_size=40)
lists = st.lists(st.lists(st.sampled_from(WORDS), max_size=4).map(tuple), min_size=1, max_size=3).map(tuple)


@given(texts, lists)
def test_one_scan_finds_a_word_exactly_when_some_list_would(text: str, word_lists: tuple[tuple[str, ...], ...]) -> None:
    assert has_any_word(text, word_lists) == any(find_words(text, words) for words in word_lists)


def test_a_word_inside_another_word_is_not_found_by_either() -> None:
    assert not has_any_word("an illegal move", (("legal",), ("outage",)))
    assert has_any_word("Cancellation requested", (("legal",), ("cancel",)))


def test_empty_lists_and_empty_text_find_nothing() -> None:
    assert not has_any_word("legal action", ((), ()))
    assert not has_any_word("", (("legal",),))
