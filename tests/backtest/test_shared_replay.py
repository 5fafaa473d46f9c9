"""Several rule sets replayed together decide exactly what each decides replayed alone.

``run_many`` shares the first rule set's steps with the others where they cannot differ
(``rules.sharing``) and the facts and spans of each event between rule sets that read tickets
alike; these tests hold it to separate replays, on busy generated books where accounts' states
agree for a while and then part ways.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.generate import generate
from rules.backtest import result_of, run_backtest, run_many
from rules.book import parse_book
from rules.config import merge, parse_config
from rules.sharing import detect_only_difference
from rules.triggers import kind_of

VARIANTS = [
    {},
    {"triggers": {"ticket_burst": {"count": 2}}},
    {"triggers": {"ticket_burst": {"count": 4}, "health_drop": {"points": 35}}},
    {"triggers": {"health_drop": {"points": 15, "window": "21d"}}},
    {"triggers": {"keyword": {"words": ["cancel"]}}},
    {"triggers": {"ticket_burst": {"severity": "SEV-1"}}},  # not detect-only: replayed on its own
    {"tiers": {"multi_customer": {"accounts": 2}}},  # reads tickets differently: its own facts and spans
    {"severity": {"impact_phrases": ["outage"]}},
]


def _alone(book, cfg):
    replay = run_backtest(book, cfg, keep_decisions=False)
    return result_of(replay), replay.notifications, replay.opened, replay.updated


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), tickets=st.integers(20, 300), accounts=st.integers(2, 12),
       components=st.integers(1, 3), order=st.permutations(range(len(VARIANTS))))
def test_rule_sets_replayed_together_decide_as_each_alone(seed, tickets, accounts, components, order):
    book = parse_book(generate(tickets, accounts, days=30, seed=seed, components=components))
    cfgs = [parse_config(VARIANTS[i]) for i in order[:4]]
    together = run_many(book, cfgs)
    for cfg, replay in zip(cfgs, together, strict=True):
        assert (result_of(replay), replay.notifications, replay.opened, replay.updated) == _alone(book, cfg)


def test_a_follower_keeps_the_leaders_state_until_their_decisions_differ():
    book = parse_book(generate(400, 10, days=30, seed=3, components=2))
    same, stricter = run_many(book, [parse_config({}), parse_config({})]), None
    leader, follower = same
    assert all(follower.states[a] is leader.states[a] for a in leader.states)
    leader, stricter = run_many(book, [parse_config({}), parse_config(VARIANTS[1])])
    shared = [a for a in leader.states if stricter.states[a] is leader.states[a]]
    assert len(shared) < len(leader.states)  # a burst of two parts some accounts' ways


def test_only_detect_only_settings_let_rule_sets_share_steps():
    base = parse_config({})
    assert detect_only_difference(base, parse_config({})) == ()
    kinds = detect_only_difference(base, parse_config(merge(VARIANTS[2], VARIANTS[4])))
    assert kinds is not None
    assert sorted(k.kind for k in kinds) == ["health_drop", "keyword", "ticket_burst"]
    assert all(k is kind_of(k.kind) for k in kinds)  # the registry's own instances
    for variant in VARIANTS[5:]:
        assert detect_only_difference(base, parse_config(variant)) is None, variant
