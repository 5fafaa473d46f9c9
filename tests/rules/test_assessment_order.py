"""Severity, tier and sponsor weigh their candidates in order and the first of the most wins.

The assessors read an escalation's linked tickets with C-level passes and write only the winning
reason (an escalation open for months links hundreds of tickets); these properties hold them to
the plain reading of POLICY.md sections 3, 4 and 6: every candidate listed in order (triggers,
then each linked ticket), the first of the highest taken, every sponsor reason kept.
"""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from rules.directory import Directory
from rules.models import ExecSponsor, Severity, Trigger
from rules.severity import assess_severity
from rules.sponsor import assess_sponsor
from rules.state import TicketFacts
from rules.tiers import assess_tier
from rules.triggers import kind_of
from tests.rules.builders import BALLAST, USERS, account, at, config

KINDS = ("ticket_burst", "health_drop", "keyword", "executive_flag", "ceo_email", "social", "repeat")
COMPONENTS = ("api", "billing", "login")
CFG = config()

facts_st = st.builds(
    lambda i, day, comps, sev, t4, title: TicketFacts(
        key=f"T-{i}", created=at(days=day), components=comps, severity=sev,
        severity_reason=f"why {i}" if sev else "", tier4_reason=t4, tier4_at=at(days=day + 1) if t4 else None,
        exec_title=title),
    st.integers(0, 40), st.integers(0, 30), st.lists(st.sampled_from(COMPONENTS), max_size=2, unique=True).map(tuple),
    st.none() | st.sampled_from(list(Severity)), st.none() | st.sampled_from(["legal", "security"]),
    st.none() | st.sampled_from(["CEO", "CTO"]))
linked_st = st.lists(facts_st, max_size=12, unique_by=lambda f: f.key)
triggers_st = st.lists(st.builds(
    lambda n, kind, day, keys, words: Trigger(
        id=f"{kind}:{n}", kind=kind, account="A", at=at(days=day), tickets=tuple(f"T-{k}" for k in keys),
        words=tuple(words), reason=f"reason {n}"),
    st.integers(0, 99), st.sampled_from(KINDS), st.integers(0, 30),
    st.lists(st.integers(0, 40), max_size=4, unique=True), st.lists(st.sampled_from(["lawsuit", "cancel"]))),
    max_size=8, unique_by=lambda t: t.id)
multi_st = st.dictionaries(st.sampled_from(COMPONENTS), st.just(at()), max_size=2)


def severity_in_order(triggers, linked):
    candidates = [(kind_of(t.kind).settings(CFG).sev, f"{t.kind} trigger") for t in triggers]
    candidates += [(f.severity, f"{f.key}: {f.severity_reason}") for f in linked if f.severity is not None]
    return min(candidates, key=lambda c: c[0]) if candidates else (Severity.SEV4, "no impact known")


def tier_in_order(acct, triggers, linked, multi, directory):
    tiers = CFG.tiers
    candidates = [(1, "tier 1 by default")]
    candidates += [(kind_of(t.kind).settings(CFG).min_tier, f"{t.kind} trigger") for t in triggers]
    if acct.arr > tiers.arr_tier3:
        candidates.append((3, f"ARR {acct.arr:,.0f} exceeds {tiers.arr_tier3:,.0f}"))
    for f in linked:
        shared = [c for c in f.components if c in multi]
        if shared:
            candidates.append((tiers.multi_customer.tier, f"multi-customer issue on {shared[0]} ({f.key})"))
        if f.tier4_reason:
            candidates.append((4, f"{f.key}: {f.tier4_reason}"))
    if acct.id in directory.top_accounts:
        candidates.append((4, f"top {tiers.top_accounts} account by ARR"))
    if directory.total_arr > 0 and acct.arr / directory.total_arr > tiers.arr_share:
        candidates.append((4, f"{acct.arr / directory.total_arr:.1%} of total ARR exceeds {tiers.arr_share:.0%}"))
    return max(candidates, key=lambda c: c[0])


def sponsor_in_order(acct, triggers, linked, opened, when):
    rules = CFG.exec_sponsor
    linked_at = {}
    for t in triggers:
        for key in t.tickets:
            linked_at[key] = min(linked_at.get(key, t.at), t.at)
    found = [due for t in triggers if (due := kind_of(t.kind).sponsor(t, CFG)) is not None]
    for f in linked:
        link = max(linked_at.get(f.key, opened), opened)
        if f.exec_title:
            found.append((max(link, f.created), f"a customer executive reported {f.key} ({f.exec_title})"))
        if f.tier4_reason:
            found.append((max(link, f.tier4_at or link), f"security, compliance or legal: {f.tier4_reason}"))
    if acct.arr > rules.arr_over:
        found.append((opened, f"ARR {acct.arr:,.0f} exceeds {rules.arr_over:,.0f}"))
    if acct.renewal_date is not None:
        stamp = max(when, opened)
        if timedelta(0) <= acct.renewal_date - stamp.date() <= rules.renewal_within:
            found.append((stamp + rules.within,
                          f"renewal on {acct.renewal_date} is within {rules.renewal_within.days} days"))
    if not found:
        return ExecSponsor()
    return ExecSponsor(required=True, due=min(d for d, _ in found), reasons=tuple(sorted({r for _, r in found})))


arr_st = st.sampled_from([50_000, 600_000, 3_000_000, 400_000_000])


@settings(max_examples=300, deadline=None)
@given(triggers_st, linked_st, multi_st, arr_st)
def test_severity_and_tier_are_the_first_of_the_highest_candidate_in_order(triggers, linked, multi, arr):
    acct = account(arr=arr)
    directory = Directory.build(USERS, (acct, *BALLAST), CFG.tiers.top_accounts)
    assert assess_severity(triggers, linked, CFG) == severity_in_order(triggers, linked)
    assert assess_tier(acct, triggers, linked, multi, directory, CFG) == tier_in_order(
        acct, triggers, linked, multi, directory)


@settings(max_examples=300, deadline=None)
@given(triggers_st, linked_st, arr_st, st.integers(0, 30), st.none() | st.integers(0, 120))
def test_the_sponsor_keeps_every_reason_and_the_earliest_due_time(triggers, linked, arr, day, renewal):
    acct = account(arr=arr, renewal_date=(at(days=renewal).date() if renewal is not None else None))
    opened, when = at(days=day), at(days=day + 3)
    assert assess_sponsor(acct, triggers, linked, opened, when, CFG) == sponsor_in_order(
        acct, triggers, linked, opened, when)
