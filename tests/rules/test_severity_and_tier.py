"""POLICY.md sections 3 and 4: severity by impact, tier by reach; boundaries of each row."""

from __future__ import annotations

import pytest

from rules.models import Severity
from tests.rules.builders import AGENT, account, at, comment, only, replay, ticket

# --- severity ----------------------------------------------------------------------------


@pytest.mark.parametrize("priority,expected", [
    ("Highest", Severity.SEV1), ("Blocker", Severity.SEV1), ("High", Severity.SEV2),
    ("Medium", Severity.SEV3), ("Low", Severity.SEV3), ("Lowest", Severity.SEV3), (None, Severity.SEV3),
])
def test_priority_sets_ticket_impact_but_keyword_default_is_sev3(priority, expected):
    esc = only(replay([account()], [ticket("T-1", at(), "cancel", priority=priority)]))
    assert esc.severity == expected  # Low/Lowest (SEV-4) lose to the keyword's own SEV-3


@pytest.mark.parametrize("label", ["outage", "data-loss", "data-breach", "security-incident"])
def test_impact_label_makes_sev1(label):
    esc = only(replay([account()], [ticket("T-1", at(), "cancel", priority="Low", labels=(label,))]))
    assert esc.severity == Severity.SEV1


@pytest.mark.parametrize("phrase", ["outage", "data loss", "data breach", "security incident", "production down"])
def test_impact_phrase_in_customer_text_makes_sev1(phrase):
    esc = only(replay([account()], [ticket("T-1", at(), f"cancel: we have a {phrase}", priority="Low")]))
    assert esc.severity == Severity.SEV1


def test_impact_phrase_from_an_agent_does_not_raise_severity():
    t = ticket("T-1", at(), "cancel", priority="Medium",
               comments=(comment(at(1), "looks like an outage", by=AGENT),))
    assert only(replay([account()], [t])).severity == Severity.SEV3


def test_executive_triggers_default_to_sev2():
    esc = only(replay([account()], [ticket("T-1", at(), "hi", priority="Low", channel="executive_email")]))
    assert esc.severity == Severity.SEV2


def test_loudness_never_raises_severity():
    calm = only(replay([account()], [ticket("T-1", at(), "there may have been a data breach", priority="Low")]))
    loud = only(replay([account()], [ticket("T-1", at(), "CANCEL!!! THIS UI CHANGE IS AWFUL!!! cancel cancel",
                                            priority="Low")]))
    assert calm.severity == Severity.SEV1 and loud.severity == Severity.SEV3


def test_later_customer_comment_with_impact_raises_severity_and_shortens_intake():
    t = ticket("T-1", at(), "cancel", priority="Medium",
               comments=(comment(at(hours=1), "now production down for everyone"),))
    esc = only(replay([account()], [t]))
    assert esc.severity == Severity.SEV1
    intake = next(p for p in esc.plan if p.step == "intake")
    assert intake.due == at(hours=1, minutes=15)  # SEV-1's 15 min from the raise, not SEV-3's 4 h


# --- tier --------------------------------------------------------------------------------


def test_arr_over_500k_is_tier3_and_exactly_500k_is_not():
    assert only(replay([account(arr=500_001)], [ticket("T-1", at(), "cancel")])).tier == 3
    assert only(replay([account(arr=500_000)], [ticket("T-1", at(), "cancel")])).tier == 2


def test_ceo_email_is_tier3():
    assert only(replay([account()], [ticket("T-1", at(), "hi", channel="executive_email")])).tier == 3


def multi(gap_hours: float, accounts: int = 3):
    accts = [account("A")] + [account(chr(66 + k)) for k in range(accounts - 1)]
    tickets = [ticket("T-A", at(), "cancel, SSO broken", acct="A", components=("SSO",))]
    tickets += [ticket(f"T-{a.id}", at(hours=gap_hours * (k + 1) / (accounts - 1)), "sso broken",
                       acct=a.id, components=("SSO",)) for k, a in enumerate(accts[1:])]
    r = replay(accts, tickets)
    return only(r)


def test_multi_customer_component_within_24h_raises_to_tier3_keeping_owner():
    esc = multi(24)
    assert esc.tier == 3 and esc.owner == "lee@vendor.example"
    assert any("Tier raised 2 -> 3" in e.text for e in esc.timeline)


def test_multi_customer_needs_the_third_account_within_24h():
    assert multi(24.02).tier == 2


def test_multi_customer_needs_three_accounts():
    assert multi(10, accounts=2).tier == 2


def test_top_10_account_by_arr_is_tier4():
    from tests.rules.builders import BALLAST, USERS, book  # noqa: F401
    big = account(arr=20_000_000)  # above every ballast account
    assert only(replay([big], [ticket("T-1", at(), "cancel")])).tier == 4


def test_more_than_one_percent_of_total_arr_is_tier4():
    # total ARR = 200M ballast + this account; 1% is ~2.02M
    assert only(replay([account(arr=2_100_000)], [ticket("T-1", at(), "cancel")])).tier == 4
    assert only(replay([account(arr=1_900_000)], [ticket("T-1", at(), "cancel")])).tier == 3


@pytest.mark.parametrize("label", ["legal-action", "data-breach", "security-incident", "press"])
def test_tier4_label_is_tier4(label):
    assert only(replay([account()], [ticket("T-1", at(), "cancel", labels=(label,))])).tier == 4


@pytest.mark.parametrize("phrase", ["data breach", "security incident", "legal action", "lawsuit"])
def test_tier4_phrase_in_customer_text_is_tier4(phrase):
    assert only(replay([account()], [ticket("T-1", at(), f"cancel or {phrase}")])).tier == 4


def test_tier4_phrase_in_an_internal_note_is_ignored():
    t = ticket("T-1", at(), "cancel", comments=(comment(at(1), "lawsuit coming", public=False),))
    assert only(replay([account()], [t])).tier == 2
