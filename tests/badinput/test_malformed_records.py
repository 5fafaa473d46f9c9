"""Malformed Jira issues and Salesforce rows, generated, straight into the sandbox.

Nulls where values belong, wrong types, unknown picklist values, huge and binary-looking text,
HTML and Atlassian Document Format bodies, unicode, missing accounts, duplicated keys. For each
generated batch: the cycle completes (no exception), every bad record is logged with its id
(skipped or degraded), and the book's own records still give exactly the backtest's
escalations (the injected records live on quarantined accounts; see ``inject``).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
import redis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from sandbox.server import Sandbox
from sync.runtime import Runtime
from tests.badinput.inject import (
    ADF,
    BINARY_LOOKING,
    BROKEN_ADF,
    HTML,
    HUGE,
    QUARANTINE,
    QUARANTINE_DOMAIN,
    UNICODE,
    add_issue,
    messages,
    now_of,
    only_accounts,
    quarantine_accounts,
    raw_rendering,  # noqa: F401 - a fixture
)
from tests.paths import EXAMPLES
from tests.sync.conftest import settings_for
from tests.sync.outcome import assert_matches_backtest, expected

# Every example starts its own sandbox (~0.5 s): few examples, and no shrinking (it would take
# minutes; the failing example is printed as drawn).
EXAMPLES_PER_TEST = settings(max_examples=25, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
                             suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                                    HealthCheck.data_too_large, HealthCheck.large_base_example])
MISSING = ("missing", None)


def jira_ts(sb: Sandbox, delta: timedelta = timedelta(0)) -> str:
    return (now_of(sb) + delta).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


# --- strategies: ("odd", value) must be accepted as is; ("bad", value) must be logged ---------

wrong_scalar = st.one_of(st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.booleans(),
                         st.lists(st.integers(), max_size=2))
odd_text = st.one_of(st.text(max_size=40), st.sampled_from([HTML, UNICODE, BINARY_LOOKING, "", "   ", ADF]))


def field(odd: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]) -> st.SearchStrategy[tuple[str, Any]]:
    return st.one_of(st.just(MISSING), odd.map(lambda v: ("odd", v)), bad.map(lambda v: ("bad", v)))


person_odd = st.sampled_from([
    None,
    {"emailAddress": f"kim@{QUARANTINE_DOMAIN}", "displayName": "Kim", "accountType": "customer"},
    {"emailAddress": f"KIM@Q1.{QUARANTINE_DOMAIN.upper()}", "displayName": UNICODE, "accountType": "customer"},
    {"emailAddress": "someone@ghost.example", "displayName": "", "accountType": "customer"},
    {"emailAddress": "no-at-sign", "accountType": "customer"},
    {"accountId": "712020:unknown"},
])
person_bad = st.one_of(st.text(max_size=8), st.integers(), st.just([1, 2]),
                       st.just({"emailAddress": 5, "displayName": ["x"], "accountType": "customer"}))


def comment_odd(ts: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({
        "id": st.text(min_size=1, max_size=5), "created": st.just(ts), "author": person_odd,
        "body": odd_text, "jsdPublic": st.booleans()})


def comment_bad(ts: str) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(), st.integers(), st.text(max_size=5),
        st.fixed_dictionaries({"id": st.just("1"), "body": odd_text}),  # no created
        st.fixed_dictionaries({"id": st.just("2"), "created": st.just(ts), "author": person_bad, "body": odd_text}),
        st.fixed_dictionaries({"id": st.just("3"), "created": st.just(ts), "author": person_odd,
                               "body": st.one_of(wrong_scalar, st.just(HUGE))}),
    )


@st.composite
def issue_specs(draw: st.DrawFn, ts: str, future: str) -> dict[str, Any]:
    fields = {
        "summary": draw(field(odd_text, st.one_of(st.none(), wrong_scalar, st.just(HUGE)))),
        "description": draw(field(st.one_of(st.none(), odd_text, st.just(BROKEN_ADF)),
                                  st.one_of(wrong_scalar, st.just(HUGE)))),
        "labels": draw(field(st.lists(st.sampled_from(["q-a", "ünï", "x" * 255, "executive-escalation"]),
                                      max_size=3),
                             st.one_of(st.text(min_size=1, max_size=5), st.integers(),
                                       st.lists(st.one_of(st.none(), st.integers()), min_size=1, max_size=3)))),
        "components": draw(field(
            st.lists(st.sampled_from(["q-x", "q-ü", "q-" + "y" * 100]).map(lambda n: {"name": n}), max_size=2),
            st.one_of(st.text(min_size=1, max_size=3), st.integers(),
                      st.lists(st.sampled_from([None, 5, {}, {"name": None}, "q-bare"]), min_size=1, max_size=3)))),
        "priority": draw(field(st.sampled_from([None, {"name": "Highest"}, {"name": "Blocker"}, {"name": UNICODE}]),
                               st.sampled_from(["High", 7, [1], {"name": 5}]))),
        "reporter": draw(field(person_odd, person_bad)),
        "customfield_10010": draw(field(st.sampled_from([None, {"value": "email"}, "phone", {}, {"value": None}]),
                                        st.sampled_from(["carrier pigeon", {"value": "fax"}, 5, ["email"]]))),
        "customfield_10011": draw(field(st.sampled_from([None, "", "   ", *QUARANTINE, "001000000000999AAA"]),
                                        st.sampled_from([5, {"id": QUARANTINE[0]}, [QUARANTINE[0]], True]))),
        "customfield_10012": draw(field(st.one_of(st.none(), odd_text.filter(lambda v: not isinstance(v, dict))),
                                        st.sampled_from([5, ["CEO"], {"title": "CEO"}, 1.5]))),
        "created": draw(field(st.sampled_from([ts, future]), st.sampled_from([None, "yesterday", 5, ""]))),
        "updated": draw(field(st.just(ts), st.sampled_from(["soon", 5, ["x"]]))),
        "comment": draw(field(
            st.lists(comment_odd(ts), max_size=2).map(lambda cs: {"comments": cs, "total": len(cs)}),
            st.one_of(st.sampled_from(["garbage", 5, {"comments": "x"}, {"comments": [], "total": "many"},
                                       {"comments": None, "total": 3}]),
                      st.lists(comment_bad(ts), min_size=1, max_size=3).map(
                          lambda cs: {"comments": cs, "total": len(cs)})))),
    }
    top = draw(field(st.just({}), st.sampled_from([{"fields": None}, {"fields": "x"}, {"fields": []},
                                                   {"key": None}])))
    return {"fields": fields, "top": top, "duplicate": draw(st.booleans())}


def run_cycle(sb: Sandbox, redis_url: str) -> Runtime:
    redis.Redis.from_url(redis_url).flushall()
    rt = Runtime(settings_for(sb, redis_url))
    poll, flush = rt.cycle()  # must not raise
    assert not flush.deferred
    return rt


def logged(caplog: pytest.LogCaptureFixture, *names: str) -> bool:
    return any(any(n and n in m for n in names) for m in messages(caplog))


# --- Jira ---------------------------------------------------------------------------------------


@EXAMPLES_PER_TEST
@given(data=st.data())
def test_malformed_jira_issues_are_logged_and_the_rest_gives_the_backtest(raw_rendering, redis_url, caplog,  # noqa: F811
                                                                         data):
    caplog.clear()
    caplog.set_level(logging.WARNING)
    with Sandbox(EXAMPLES / "small_book.yaml") as sb:
        quarantine_accounts(sb)
        ts, future = jira_ts(sb, timedelta(minutes=-1)), jira_ts(sb, timedelta(days=365 * 900))
        specs = data.draw(st.lists(issue_specs(ts, future), min_size=1, max_size=4), label="issues")
        injected = []
        for n, spec in enumerate(specs):
            raw = {name: value for name, (kind, value) in spec["fields"].items() if kind != "missing"}
            top = spec["top"][1] if spec["top"][0] != "missing" else {}
            iss = add_issue(sb, f"SUP-{9000 + n}", raw, top, duplicate=spec["duplicate"])
            bad = spec["top"][0] == "bad" or any(kind == "bad" for kind, _ in spec["fields"].values())
            injected.append((iss.key, str(iss.id), bad))
        run_cycle(sb, redis_url)
        for key, ident, bad in injected:
            if bad:
                assert logged(caplog, key, ident), (key, list(messages(caplog))[-8:])
        assert_matches_backtest(only_accounts(sb, set(QUARANTINE)), expected(sb))


def test_every_good_issue_returned_twice_changes_nothing(raw_rendering, redis_url):  # noqa: F811
    """Duplicated keys: each book ticket appears twice in one search (as when an issue moves
    between pages while they are read)."""
    with Sandbox(EXAMPLES / "small_book.yaml") as sb:
        with sb.lock:
            for key, iss in list(sb.site.indexed.items()):
                if iss.project == "SUP":
                    sb.site.indexed[f"{key}#twin"] = iss
        run_cycle(sb, redis_url)
        assert_matches_backtest(sb, expected(sb))


def test_one_kitchen_sink_issue_per_kind_of_damage(raw_rendering, redis_url, caplog):  # noqa: F811
    caplog.set_level(logging.WARNING)
    with Sandbox(EXAMPLES / "small_book.yaml") as sb:
        quarantine_accounts(sb)
        ts = jira_ts(sb, timedelta(minutes=-1))
        cases = {
            "no fields": ({}, {"fields": None}),
            "fields not an object": ({}, {"fields": ["summary"]}),
            "null summary": ({"summary": None, "customfield_10011": QUARANTINE[0]}, {}),
            "huge ADF description": ({"description": {"type": "doc", "content": [
                {"type": "paragraph", "content": [{"type": "text", "text": HUGE}]}]},
                "customfield_10011": QUARANTINE[0]}, {}),
            "labels as a string": ({"labels": "executive-escalation", "customfield_10011": QUARANTINE[0]}, {}),
            "unknown channel": ({"customfield_10010": {"value": "carrier pigeon"},
                                 "customfield_10011": QUARANTINE[1]}, {}),
            "comment total not a number": ({"comment": {"comments": [], "total": "many"}}, {}),
            "comment block a string": ({"comment": "see attachment"}, {}),
            "comment without a date": ({"comment": {"comments": [{"id": "1", "body": "cancel"}], "total": 1},
                                        "customfield_10011": QUARANTINE[2]}, {}),
            "bad created": ({"created": "last tuesday"}, {}),
            "missing account": ({"customfield_10011": "001000000000999AAA"}, {}),
            "binary reporter": ({"reporter": {"emailAddress": BINARY_LOOKING, "accountType": "customer"}}, {}),
        }
        keys = {}
        for n, (name, (raw, top)) in enumerate(cases.items()):
            keys[name] = add_issue(sb, f"SUP-{9100 + n}", {**raw, "updated": raw.get("updated", ts)}, top).key
        run_cycle(sb, redis_url)
        for name, key in keys.items():
            assert logged(caplog, key), (name, key, list(messages(caplog))[-6:])
        assert_matches_backtest(only_accounts(sb, set(QUARANTINE)), expected(sb))


# --- Salesforce ---------------------------------------------------------------------------------

SF_QUARANTINE = tuple(f"0019{n:011d}SAA" for n in range(1, 6))

account_fields = {
    "Name": field(st.sampled_from([UNICODE, HTML, "n" * 255, "  "]), st.sampled_from([None, 5, ["x"], {"a": 1}])),
    "ARR__c": field(st.sampled_from([None, 0, 0.0]),
                    st.sampled_from(["abc", "NaN", "Infinity", "-Infinity", [1], {"v": 1}, "12,000"])),
    "Segment__c": field(st.sampled_from([None, "smb", "enterprise"]), st.sampled_from(["galactic", 5, [], ""])),
    "OwnerId": field(st.sampled_from(["005000000000000AAA", "garbage", None]), st.nothing()),
    "Customer_Since__c": field(st.sampled_from([None, "2019-03-01"]),
                               st.sampled_from(["someday", 5, "2026-13-45", {"d": 1}])),
    "Renewal_Date__c": field(st.sampled_from([None, "2027-01-15"]), st.sampled_from(["never", 20270115, []])),
    "Email_Domains__c": field(st.sampled_from([None, "", " ; , ", f"z.{QUARANTINE_DOMAIN}", "ü.example"]),
                              st.sampled_from([5, ["a.example"], {"d": "a.example"}, True])),
    "Health_Score__c": field(st.sampled_from([None, 50.0, 0]), st.sampled_from(["abc", "NaN", [50], {"s": 1}])),
}


@st.composite
def account_rows(draw: st.DrawFn) -> dict[str, tuple[str, Any]]:
    return {name: draw(strategy) for name, strategy in account_fields.items()}


history_values = st.one_of(
    st.tuples(st.sampled_from(SF_QUARANTINE[:2] + ("001000000000999AAA",)),
              field(st.sampled_from([10.0, 0.0, 100.0]), st.sampled_from(["abc", None, "NaN", [], {"v": 1}]))),
    # the book's own accounts get only values that must be refused
    st.tuples(st.sampled_from(["001000000000001AAA", "001000000000004AAA"]),
              st.sampled_from(["abc", None, "NaN", "Infinity", [], {"v": 1}]).map(lambda v: ("bad", v))),
)
user_rows = st.fixed_dictionaries({
    "Email": st.sampled_from([None, 5, "", f"ghost@{QUARANTINE_DOMAIN}"]),
    "Escalation_Role__c": st.sampled_from(["wizard", 5, None, "cs_manager"]),
    "Name": st.sampled_from([None, UNICODE, 7]),
    "ManagerId": st.sampled_from([None, "garbage"]),
}).filter(lambda u: not (u["Email"] == f"ghost@{QUARANTINE_DOMAIN}" and u["Escalation_Role__c"] == "cs_manager"
                         and u["Name"] in (None, UNICODE)))  # a well-formed user would be a real new owner


@EXAMPLES_PER_TEST
@given(accounts=st.lists(account_rows(), min_size=1, max_size=len(SF_QUARANTINE)),
       history=st.lists(history_values, max_size=4), users=st.lists(user_rows, max_size=2))
def test_malformed_salesforce_rows_are_logged_and_the_rest_gives_the_backtest(redis_url, caplog, accounts,
                                                                             history, users):
    caplog.clear()
    caplog.set_level(logging.WARNING)
    with Sandbox(EXAMPLES / "small_book.yaml") as sb:
        bad_ids = []
        with sb.lock:
            now = sb.clock.now()
            org = sb.org
            for ident, row in zip(SF_QUARANTINE, accounts, strict=False):
                values = {name: value for name, (kind, value) in row.items() if kind != "missing"}
                org.insert_raw("Account", {"Id": ident, "Name": "Quarantine", "ARR__c": 0.0,
                                           "OwnerId": org.integration_user_id, **values}, at=now)
                if any(kind == "bad" for kind, _ in row.values()):
                    bad_ids.append(ident)
            for account, (kind, value) in history:
                if kind == "missing":
                    continue
                org.insert_raw("AccountHistory", {"AccountId": account, "Field": "Health_Score__c",
                                                  "DataType": "Double", "OldValue": 90.0, "NewValue": value}, at=now)
                if kind == "bad":
                    bad_ids.append(account)
            for user in users:
                row = org.insert_raw("User", {"Username": f"u{len(bad_ids)}@x", "IsActive": True, **user},
                                     at=now - timedelta(days=1))
                if user["Escalation_Role__c"] is not None:  # the query itself leaves role-less users out
                    bad_ids.append(row["Id"])
        run_cycle(sb, redis_url)
        for ident in bad_ids:
            assert logged(caplog, ident), (ident, list(messages(caplog))[-8:])
        assert_matches_backtest(only_accounts(sb, set(SF_QUARANTINE)), expected(sb))


def test_non_finite_arr_cannot_take_the_top_ten_from_real_accounts(redis_url, caplog):
    """Ten accounts whose ARR reads as infinity (or NaN) would fill the top ten by ARR and
    empty the ARR share of every real account; they are refused, by id, and nothing changes."""
    caplog.set_level(logging.WARNING)
    with Sandbox(EXAMPLES / "small_book.yaml") as sb:
        with sb.lock:
            ids = []
            for n in range(10):
                row = sb.org.insert_raw("Account", {
                    "Id": f"0019{n:011d}PAA", "Name": f"Poison {n}", "OwnerId": sb.org.integration_user_id,
                    "ARR__c": "Infinity" if n % 2 else float("nan")})
                ids.append(row["Id"])
        run_cycle(sb, redis_url)
        for ident in ids:
            assert logged(caplog, ident)
        assert_matches_backtest(sb, expected(sb))


def test_one_salesforce_row_per_kind_of_damage(redis_url, caplog):
    caplog.set_level(logging.WARNING)
    accounts = {
        "domains not text": {"Email_Domains__c": 5},
        "owner email not text": {},  # Owner.Email comes from the owner row below
        "NaN ARR": {"ARR__c": "NaN"},
        "unknown segment": {"Segment__c": "galactic"},
        "null name": {"Name": None},
        "health not a number": {"Health_Score__c": "abc"},
        "bad date": {"Customer_Since__c": "2026-13-45"},
    }
    with Sandbox(EXAMPLES / "small_book.yaml") as sb:
        expect = []
        with sb.lock:
            org, now = sb.org, sb.clock.now()
            odd_owner = org.insert_raw("User", {"Username": "odd@x", "Email": 5, "IsActive": True,
                                                "Escalation_Role__c": "cs_manager"}, at=now - timedelta(days=1))
            no_email = org.insert_raw("User", {"Username": "none@x", "Email": None, "IsActive": True,
                                               "Escalation_Role__c": "cs_manager"}, at=now - timedelta(days=1))
            expect += [odd_owner["Id"], no_email["Id"]]
            for n, (name, values) in enumerate(accounts.items()):
                row = org.insert_raw("Account", {
                    "Id": SF_QUARANTINE[0][:-5] + f"{n:02d}SAA", "Name": name, "ARR__c": 0.0,
                    "OwnerId": odd_owner["Id"] if name == "owner email not text" else org.integration_user_id,
                    **values}, at=now)
                expect.append(row["Id"])
            for value in ("NaN", "Infinity", "abc"):
                org.insert_raw("AccountHistory", {"AccountId": "001000000000004AAA", "Field": "Health_Score__c",
                                                  "DataType": "Double", "OldValue": 90.0, "NewValue": value}, at=now)
            expect.append("001000000000004AAA")
        run_cycle(sb, redis_url)
        for ident in expect:
            assert logged(caplog, ident), (ident, list(messages(caplog))[-10:])
        assert_matches_backtest(only_accounts(sb, {SF_QUARANTINE[0][:-5] + f"{n:02d}SAA" for n in range(9)}),
                                expected(sb))
