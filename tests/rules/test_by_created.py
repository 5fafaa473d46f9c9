"""The index of an account's tickets by creation time answers as a scan of the tickets would,
however it was carried from one mapping to the next (tickets added, replaced, forgotten)."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from rules import by_created
from rules.config import default_config
from rules.directory import Directory
from rules.state import TicketFacts
from rules.triggers import Context
from tests.rules.builders import T0, USERS, account

KEYS = [f"T-{n}" for n in range(12)]
step = st.one_of(
    st.tuples(st.just("put"), st.sampled_from(KEYS), st.integers(0, 40)),  # add or replace (maybe re-dated)
    st.tuples(st.just("drop"), st.integers(0, 40), st.just(0)),  # forget those created before a time
    st.tuples(st.just("ask"), st.integers(0, 40), st.just(0)),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(step, max_size=40))
def test_the_carried_index_finds_what_a_scan_of_the_tickets_finds(steps):
    cfg = default_config()
    ctx = Context(cfg=cfg, directory=Directory.build(USERS, (account(),), cfg.tiers.top_accounts))
    tickets: dict[str, TicketFacts] = {}
    for op, a, b in steps:
        if op == "put":
            facts = TicketFacts(key=a, created=T0 + timedelta(hours=b))
            new = {**tickets, a: facts}
            by_created.added("A", tickets, new, facts, ctx)
            tickets = new
        elif op == "drop":
            cutoff = T0 + timedelta(hours=a)
            gone = by_created.created_before("A", tickets, cutoff, ctx)
            assert sorted(gone) == sorted(k for k, f in tickets.items() if f.created < cutoff)
            kept = {k: f for k, f in tickets.items() if k not in gone}
            by_created.removed("A", tickets, kept, gone, ctx)
            tickets = kept
        else:
            since = T0 + timedelta(hours=a)
            found = by_created.created_since("A", tickets, since, ctx)
            assert sorted(f.key for f in found) == sorted(k for k, f in tickets.items() if f.created >= since)
            assert all(tickets[f.key] is f for f in found)
        assert by_created.index("A", tickets, ctx) == sorted((f.created, k) for k, f in tickets.items())
