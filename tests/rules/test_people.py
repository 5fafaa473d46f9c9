"""POLICY.md sections 4 (stakeholders), 5 (owner) and 6 (executive sponsor)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.rules.builders import USERS, V, account, at, customer, only, replay, ticket, user

# --- owner -------------------------------------------------------------------------------


def test_tier2_owner_is_the_csms_manager():
    assert only(replay([account(owner="dana")], [ticket("T-1", at(), "cancel")])).owner == "lee" + V
    assert only(replay([account(owner="sam")], [ticket("T-1", at(), "cancel")])).owner == "kai" + V


def test_tier3_owner_is_the_director_in_the_chain():
    esc = only(replay([account(arr=600_000)], [ticket("T-1", at(), "cancel")]))
    assert esc.tier == 3 and esc.owner == "rosa" + V


def test_tier3_owner_without_a_director_in_the_chain_is_the_least_loaded_director():
    users = tuple(u for u in USERS if u.email != "lee" + V) + (user("lee", "cs_manager", None),)
    esc = only(replay([account(arr=600_000)], [ticket("T-1", at(), "cancel")], users=users,
                      load={"rosa" + V: 2}))
    assert esc.owner == "omar" + V


def test_tier4_owner_is_a_cro():
    esc = only(replay([account()], [ticket("T-1", at(), "cancel", labels=("press",))]))
    assert esc.owner == "cora" + V


def test_owner_with_four_open_escalations_still_takes_the_fifth():
    assert only(replay([account()], [ticket("T-1", at(), "cancel")], load={"lee" + V: 4})).owner == "lee" + V


def test_owner_with_five_open_escalations_is_skipped_and_the_skip_is_written():
    esc = only(replay([account()], [ticket("T-1", at(), "cancel")], load={"lee" + V: 5, "kai" + V: 1}))
    assert esc.owner == "kai" + V
    assert any("escalation fatigue" in e.text and "lee" in e.text for e in esc.timeline)


def test_owner_never_changes_when_the_tier_rises():
    tickets = [ticket("T-1", at(), "cancel"), ticket("T-2", at(days=1), "we are taking legal action")]
    esc = only(replay([account()], tickets))
    assert esc.tier == 4 and esc.owner == "lee" + V
    assert "cora" + V in esc.stakeholders and "max" + V in esc.stakeholders


def test_missing_role_falls_to_the_next_tier_up():
    users = tuple(u for u in USERS if u.role.value != "cs_director")
    esc = only(replay([account(arr=600_000)], [ticket("T-1", at(), "cancel")], users=users))
    assert esc.owner == "cora" + V


# --- stakeholders ------------------------------------------------------------------------


def test_tier2_stakeholders_are_the_csm_only_when_the_manager_owns():
    assert only(replay([account()], [ticket("T-1", at(), "cancel")])).stakeholders == ("dana" + V,)


def test_tier3_stakeholders_add_directors_vp_cs_and_vp_engineering_not_the_owner():
    esc = only(replay([account(arr=600_000)], [ticket("T-1", at(), "cancel")]))
    assert esc.stakeholders == tuple(sorted(n + V for n in ["dana", "lee", "omar", "vic", "eli"]))


def test_tier4_stakeholders_add_cro_ceo_cto():
    esc = only(replay([account()], [ticket("T-1", at(), "cancel", labels=("press",))]))
    assert {"max" + V, "tess" + V} <= set(esc.stakeholders) and "cora" + V not in esc.stakeholders


# --- executive sponsor -------------------------------------------------------------------


def sponsor(acct=None, **kw):
    esc = only(replay([acct or account()], [ticket("T-1", at(), kw.pop("text", "cancel"), **kw)]))
    return esc.exec_sponsor


def test_no_sponsor_for_a_small_calm_account():
    assert sponsor().required is False


@pytest.mark.parametrize("kw", [dict(labels=("executive-escalation",)), dict(channel="executive_email"),
                                dict(channel="social"), dict(text="our legal team"),
                                dict(labels=("press",)), dict(reporter=customer(title="Chief Revenue Officer")),
                                dict(reporter=customer(title="VP Operations"))])
def test_sponsor_required_at_once(kw):
    s = sponsor(**kw)
    assert s.required and s.due == at()


def test_sponsor_at_once_for_arr_over_100k_but_not_at_100k():
    assert sponsor(account(arr=100_001)).due == at()
    assert sponsor(account(arr=100_000)).required is False


def test_vpn_admin_is_not_an_executive_title():
    assert sponsor(reporter=customer(title="VPN Administrator")).required is False


def test_sponsor_within_24h_when_renewal_is_within_90_days():
    soon = account(renewal_date=at().date() + timedelta(days=90))
    later = account(renewal_date=at().date() + timedelta(days=91))
    assert sponsor(soon).due == at(hours=24)
    assert sponsor(later).required is False


def test_sponsor_stays_required_with_the_earliest_due():
    acct = account(renewal_date=date(2026, 12, 1))  # within 90 days: due +24 h
    tickets = [ticket("T-1", at(), "cancel"), ticket("T-2", at(hours=30), "hi", labels=("executive-escalation",))]
    s = only(replay([acct], tickets)).exec_sponsor
    assert s.required and s.due == at(hours=24)  # the exec flag at +30 h does not move it later
