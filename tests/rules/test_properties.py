"""Invariants over generated worlds (hypothesis): replays are harmless, escalations only grow."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules.backtest import book_events
from rules.config import default_config
from rules.directory import Directory
from rules.events import sort_key
from rules.models import Account, Comment, HealthSample, Person, Ticket
from rules.replay import Replay
from rules.triggers import Context
from tests.rules.builders import AGENT, T0, book

FRAGMENTS = ["hello", "export fails", "we will cancel", "our legal team", "data breach", "outage",
             "lawsuit", "illegal", "production down", "please help", "breached SLA", "UI glitch"]
ACCOUNTS = ("A", "B", "C")

minutes = st.integers(min_value=0, max_value=12 * 24 * 60)
texts = st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=3).map(" ".join)


@st.composite
def tickets(draw, key: str) -> Ticket:
    acct = draw(st.sampled_from(ACCOUNTS))
    created = T0 + timedelta(minutes=draw(minutes))
    reporter = Person(email=f"p@{acct.lower()}.example", customer=draw(st.booleans()),
                      title=draw(st.sampled_from(["", "VP Ops", "Engineer"])))
    comments = tuple(
        Comment(at=created + timedelta(minutes=draw(st.integers(1, 3000))),
                author=draw(st.sampled_from([reporter, AGENT])), body=draw(texts),
                public=draw(st.booleans()))
        for _ in range(draw(st.integers(0, 2)))
    )
    return Ticket(
        key=key, created=created, summary=draw(texts), description=draw(texts),
        priority=draw(st.sampled_from([None, "Highest", "High", "Medium", "Low"])),
        components=tuple(draw(st.lists(st.sampled_from(["Sync", "SSO", "UI"]), max_size=2, unique=True))),
        labels=tuple(draw(st.lists(st.sampled_from(["executive-escalation", "press", "x"]), max_size=1))),
        channel=draw(st.sampled_from(["portal", "portal", "email", "social", "executive_email"])),
        reporter=reporter, comments=comments,
    )


@st.composite
def worlds(draw):
    accounts = [
        Account(id=a, name=a, arr=draw(st.sampled_from([50_000, 150_000, 600_000])),
                owner=draw(st.sampled_from(["dana@vendor.example", "sam@vendor.example"])),
                domains=(f"{a.lower()}.example",),
                health=tuple(HealthSample(at=T0 + timedelta(minutes=m), score=s) for m, s in
                             draw(st.lists(st.tuples(minutes, st.integers(0, 100)), max_size=4))))
        for a in ACCOUNTS
    ]
    n = draw(st.integers(1, 10))
    return book(accounts, [draw(tickets(f"T-{i}")) for i in range(n)], now=T0 + timedelta(days=20))


def fresh(b) -> tuple[Replay, list]:
    cfg = default_config()
    directory = Directory.build(b.users, b.accounts, cfg.tiers.top_accounts)
    events, _ = book_events(b, directory, b.now)
    return Replay(ctx=Context(cfg=cfg, directory=directory)), events


SETTINGS = settings(settings.default, max_examples=max(60, settings.default.max_examples),
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(worlds())
def test_replaying_the_same_events_twice_changes_nothing(b):
    r, events = fresh(b)
    r.feed(events)
    states = dict(r.states)
    assert r.feed(events) == []
    assert r.states == states


@SETTINGS
@given(worlds(), st.randoms(use_true_random=False))
def test_duplicated_and_chunked_delivery_gives_the_same_escalations(b, rnd):
    once, events = fresh(b)
    once.feed(events)
    twice, _ = fresh(b)
    ordered = sorted(events, key=sort_key)  # chunks follow time (simultaneous events: canonical order)
    i = 0
    while i < len(ordered):  # deliver in time-ordered chunks, each event possibly twice
        step = rnd.randint(1, 4)
        chunk = ordered[i:i + step]
        twice.feed(chunk + [e for e in chunk if rnd.random() < 0.5])
        i += step
    assert twice.escalations() == once.escalations()


@SETTINGS
@given(worlds())
def test_escalations_only_grow(b):
    r, events = fresh(b)
    r.feed(events)
    last = {}
    for d in r.decisions:
        esc = d.escalation
        prev = last.get(esc.account)
        if prev is not None:
            assert esc.id == prev.id and esc.owner == prev.owner  # one escalation, one owner
            assert esc.tier >= prev.tier  # tiers only go up
            assert esc.severity <= prev.severity  # SEV-1 is the smallest
            assert set(prev.stakeholders) <= set(esc.stakeholders)
            assert set(prev.tickets) <= set(esc.tickets)
            assert not prev.exec_sponsor.required or (
                esc.exec_sponsor.required and esc.exec_sponsor.due <= prev.exec_sponsor.due)
        else:
            assert d.action == "open"
        assert esc.owner not in esc.stakeholders
        last[esc.account] = esc


LOUD = st.lists(st.sampled_from(["!!!", "ANGRY", "furious", "WTF", "?!?!", "unacceptable"]), min_size=1)


@SETTINGS
@given(worlds(), LOUD)
def test_loudness_never_changes_severity_or_tier(b, noise):
    quiet, events = fresh(b)
    quiet.feed(events)
    shout = " ".join(noise)
    loud_tickets = tuple(t.model_copy(update={"description": f"{t.description} {shout}".upper(),
                                              "summary": t.summary + " " + shout}) for t in b.tickets)
    loud, events = fresh(b.model_copy(update={"tickets": loud_tickets}))
    loud.feed(events)
    assert [(e.account, e.severity, e.tier) for e in loud.escalations()] == \
           [(e.account, e.severity, e.tier) for e in quiet.escalations()]
