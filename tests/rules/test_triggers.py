"""POLICY.md section 2, one test per row and per boundary."""

from __future__ import annotations

import pytest

from tests.rules.builders import (
    AGENT,
    account,
    at,
    comment,
    config,
    customer,
    health,
    kinds,
    only,
    replay,
    ticket,
)

# --- keyword -----------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["we will cancel", "Cancellation notice", "data was breached",
                                  "LEGAL team", "talk to our legal counsel"])
def test_keyword_matches_at_a_word_start_case_insensitively(text):
    assert kinds(replay([account()], [ticket("T-1", at(), text)])) == ["keyword"]


@pytest.mark.parametrize("text", ["that would be illegal", "uncancelled order", "paralegal review",
                                  "nothing to see"])
def test_keyword_ignores_words_that_only_contain_a_watched_word(text):
    assert replay([account()], [ticket("T-1", at(), text)]).escalations() == []


def test_keyword_in_an_agent_reported_ticket_does_not_fire():
    r = replay([account()], [ticket("T-1", at(), "customer wants to cancel", reporter=AGENT.model_copy(
        update={"email": "x@a.example"}))])
    assert r.escalations() == []


def test_keyword_in_agent_comment_or_internal_note_does_not_fire():
    t = ticket("T-1", at(), "export broken", comments=(
        comment(at(1), "they may cancel", by=AGENT),
        comment(at(2), "we will cancel", public=False),  # a customer's words, but not public
    ))
    assert replay([account()], [t]).escalations() == []


def test_keyword_in_public_customer_comment_fires_at_the_comment_time():
    t = ticket("T-1", at(), "export broken", comments=(comment(at(hours=5), "we will cancel"),))
    esc = only(replay([account()], [t]))
    assert esc.opened == at(hours=5)
    assert esc.triggers[0].kind == "keyword"


def test_keyword_list_is_configurable():
    cfg = config(triggers={"keyword": {"words": ["churn"]}})
    assert kinds(replay([account()], [ticket("T-1", at(), "we might churn")], cfg)) == ["keyword"]
    assert replay([account()], [ticket("T-1", at(), "we will cancel")], cfg).escalations() == []


# --- ticket_burst ------------------------------------------------------------------------


def burst(times, components=("Sync",), cfg=None, texts=None):
    texts = texts or [f"issue {i}" for i in range(len(times))]
    tickets = [ticket(f"T-{i}", t, texts[i], components=components) for i, t in enumerate(times)]
    return replay([account()], tickets, cfg)


def test_burst_of_three_tickets_on_one_component_fires_at_the_third():
    esc = only(burst([at(), at(days=2), at(days=5)]))
    assert [t.kind for t in esc.triggers] == ["ticket_burst"]
    assert esc.opened == at(days=5)
    assert esc.triggers[0].tickets == ("T-0", "T-1", "T-2")


def test_two_tickets_are_no_burst():
    assert burst([at(), at(days=1)]).escalations() == []


def test_burst_counts_a_third_ticket_exactly_seven_days_after_the_first():
    assert only(burst([at(), at(days=3), at(days=7)])).opened == at(days=7)


def test_burst_ignores_a_third_ticket_one_minute_past_seven_days():
    assert burst([at(), at(days=3), at(days=7, minutes=1)]).escalations() == []


def test_burst_needs_the_same_component():
    tickets = [ticket("T-1", at(), "a", components=("Sync",)),
               ticket("T-2", at(1), "b", components=("Billing",)),
               ticket("T-3", at(2), "c", components=("Sync",))]
    assert replay([account()], tickets).escalations() == []


def test_burst_by_label_when_configured():
    cfg = config(triggers={"ticket_burst": {"same_issue": "label"}})
    tickets = [ticket(f"T-{i}", at(i), "x", labels=("sync-bug",)) for i in range(3)]
    assert kinds(replay([account()], tickets, cfg)) == ["ticket_burst"]


def test_burst_by_similar_summary_when_configured():
    cfg = config(triggers={"ticket_burst": {"same_issue": "summary"}})
    r = burst([at(), at(1), at(2)], components=(), cfg=cfg,
              texts=["nightly export fails", "the nightly export fails again", "nightly export fails"])
    assert kinds(r) == ["ticket_burst"]
    r = burst([at(), at(1), at(2)], components=(), cfg=cfg,
              texts=["nightly export fails", "cannot add user", "invoice wrong"])
    assert r.escalations() == []


def test_fourth_ticket_joins_the_burst_instead_of_opening_another_trigger():
    esc = only(burst([at(), at(1), at(2), at(3)]))
    assert [t.kind for t in esc.triggers] == ["ticket_burst"]
    assert esc.triggers[0].tickets == ("T-0", "T-1", "T-2", "T-3")


# --- health_drop -------------------------------------------------------------------------


def drop(high, low, gap_days=3.0):
    acct = account(health=health((at(), high), (at(days=gap_days), low)))
    return replay([acct])


def test_health_drop_of_exactly_30_points_fires():
    esc = only(drop(80, 50))
    assert esc.triggers[0].kind == "health_drop" and esc.opened == at(days=3)


def test_health_drop_of_29_points_does_not_fire():
    assert drop(80, 51).escalations() == []


def test_health_drop_counts_the_high_exactly_seven_days_before():
    assert only(drop(80, 50, gap_days=7)).opened == at(days=7)


def test_health_drop_ignores_a_high_older_than_seven_days():
    assert drop(80, 50, gap_days=7.01).escalations() == []


def test_health_slide_over_several_samples_is_one_drop():
    acct = account(health=health((at(), 90), (at(days=1), 60), (at(days=2), 55), (at(days=3), 50)))
    assert kinds(replay([acct])) == ["health_drop"]


def test_health_drop_threshold_is_configurable():
    acct = account(health=health((at(), 80), (at(days=1), 61)))
    assert kinds(replay([acct], cfg=config(triggers={"health_drop": {"points": 15}}))) == ["health_drop"]


# --- flags and channels ------------------------------------------------------------------


def test_executive_flag_label_fires_whoever_set_it():
    t = ticket("T-1", at(), "please look", labels=("Executive-Escalation",), reporter=AGENT.model_copy(
        update={"email": "agent@a.example"}))
    assert kinds(replay([account()], [t])) == ["executive_flag"]


def test_ceo_email_fires_on_the_executive_email_channel():
    assert kinds(replay([account()], [ticket("T-1", at(), "hello", channel="executive_email")])) == ["ceo_email"]


def test_social_fires_on_the_social_channel():
    assert kinds(replay([account()], [ticket("T-1", at(), "hello", channel="social")])) == ["social"]


def test_a_disabled_trigger_kind_never_fires():
    cfg = config(triggers={"social": {"enabled": False}})
    assert replay([account()], [ticket("T-1", at(), "hello", channel="social")], cfg).escalations() == []


# --- repeat ------------------------------------------------------------------------------


def test_fresh_ticket_on_the_same_issue_while_open_is_a_repeat():
    tickets = [ticket("T-1", at(), "we will cancel", components=("Sync",)),
               ticket("T-2", at(days=2), "still broken, cancel", components=("Sync",))]
    esc = only(replay([account()], tickets))
    assert [t.kind for t in esc.triggers] == ["keyword", "keyword", "repeat"]
    assert esc.exec_sponsor.required and esc.exec_sponsor.due == at(days=3)


def test_second_comment_on_a_linked_ticket_is_not_a_repeat():
    t = ticket("T-1", at(), "we will cancel", components=("Sync",),
               comments=(comment(at(days=1), "we really will cancel"),))
    assert kinds(replay([account()], [t])) == ["keyword", "keyword"]


def test_fresh_ticket_on_another_issue_is_not_a_repeat():
    tickets = [ticket("T-1", at(), "we will cancel", components=("Sync",)),
               ticket("T-2", at(days=2), "cancel", components=("Billing",))]
    assert kinds(replay([account()], tickets)) == ["keyword", "keyword"]


def test_unmatched_tickets_are_reported_not_dropped():
    t = ticket("T-9", at(), "cancel", reporter=customer("nowhere"))
    r = replay([account()], [t])
    assert r.unmatched == ["T-9"] and r.escalations() == []
