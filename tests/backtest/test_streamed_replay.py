"""The streamed replay decides exactly what the replay of the whole book in memory decided.

``golden_generated.json`` holds the backtest of two generated books made by the replay before it
streamed (commit "benchmarks/generate.py: shape books like real queues"): every ticket as a model,
every event sorted up front, the multi-customer window counted afresh per ticket. One book is busy
(27 tickets a day on each of 5 components: the window and its fan-out at work), the other sparse
and cut short with ``--now``.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.generate import generate
from rules.backtest import backtest, book_events
from rules.book import parse_book
from rules.book_stream import BookSource, ordered_events
from rules.config import default_config
from rules.directory import Directory
from rules.events import sort_key
from sync.commands.backtest import parse_now

GOLDEN = json.loads((Path(__file__).parent / "golden_generated.json").read_text())


def test_generated_books_backtest_as_the_replay_before_streaming():
    for name, case in GOLDEN.items():
        book = parse_book(generate(**case["shape"]))
        now = parse_now(case["now"]) if case["now"] else None
        assert backtest(book, default_config(), now) == case["result"], name


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), tickets=st.integers(0, 120), accounts=st.integers(1, 15),
       components=st.integers(1, 4), cut=st.integers(0, 30 * 24))
def test_streamed_events_are_the_sorted_events_of_the_whole_book(seed, tickets, accounts, components, cut):
    book = parse_book(generate(tickets, accounts, days=30, seed=seed, components=components))
    now = book.now - timedelta(hours=cut)
    directory = Directory.build(book.users, book.accounts, 10)
    expected, unmatched = book_events(book, directory, now)
    heard: list[str] = []
    streamed = list(ordered_events(BookSource.of(book).at(now), directory, heard.append))
    assert [sort_key(e) for e in streamed] == [sort_key(e) for e in sorted(expected, key=sort_key)]
    assert streamed == sorted(expected, key=sort_key)
    assert sorted(heard) == unmatched


@settings(max_examples=60, deadline=None)
@given(gaps=st.lists(st.tuples(st.integers(0, 20), st.integers(0, 5)), max_size=60),
       count=st.integers(2, 4), late=st.lists(st.integers(0, 59), max_size=3))
def test_the_running_window_counts_as_the_window_counted_afresh(gaps, count, late):
    """Hits mostly in time order (some late): the running count agrees with a fresh count."""
    from datetime import UTC, datetime

    from rules.engine import _span_of
    from rules.hit_window import HitWindow
    from rules.state import ComponentHit

    window = timedelta(hours=24)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    running, plain = HitWindow(window, keep=window * 2), []
    at = start
    for i, (gap, account) in enumerate(gaps):
        at += timedelta(hours=gap)
        when = at - timedelta(hours=30) if i in late else at
        hit = ComponentHit(component="C", account=f"a{account}", key=f"T-{i}", at=when)
        assert _span_of(hit, running, count, window) == _span_of(hit, list(plain), count, window)
        running.add(hit)
        plain.append(hit)
        newest = max(h.at for h in plain)
        plain = sorted((h for h in plain if newest - h.at <= window * 2), key=lambda h: h.at)
        assert [h.key for h in running] == [h.key for h in plain] or sorted(h.key for h in running) == sorted(
            h.key for h in plain)
