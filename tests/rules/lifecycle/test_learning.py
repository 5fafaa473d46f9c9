"""POLICY.md section 11: five closures with one root cause in a quarter open one action item."""

from __future__ import annotations

from datetime import UTC, datetime

from rules.lifecycle.learning import action_items_to_open, item_id, systemic_patterns
from tests.rules.builders import account, config
from tests.rules.lifecycle.world import ctx, esc

ACCOUNTS = [account("A", arr=50_000), account("B", arr=80_000, owner="sam"),
            account("C", arr=20_000)]
CTX = ctx(accounts=ACCOUNTS)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def closed(n: int, when: datetime, cause: str | None = "product_bug", acct: str = "A",
           status: str = "Closed"):
    opened = utc(2026, 1, 1, 9, n)  # distinct ids
    return esc(acct=acct, opened=opened, status=status, resolved_at=when,
               closed_at=when if status == "Closed" else None, root_cause=cause)


def five_in_q4():
    dates = [utc(2026, 10, 1), utc(2026, 10, 20), utc(2026, 11, 5), utc(2026, 12, 1),
             utc(2026, 12, 31, 23, 59)]
    accounts = ["A", "B", "A", "C", "B"]
    return [closed(i, d, acct=a) for i, (d, a) in enumerate(zip(dates, accounts, strict=True))]


def test_five_closures_with_one_root_cause_in_a_quarter_open_one_action_item():
    [item] = action_items_to_open(five_in_q4(), set(), CTX)
    assert item.id == "LEARN-2026-Q4-product_bug" == item_id("2026-Q4", "product_bug")
    assert item.key == ("2026-Q4", "product_bug")
    assert item.function == "engineering"
    assert item.arr_at_risk == 150_000  # A + B + C, each once
    assert item.accounts == ("A", "B", "C") and len(item.escalations) == 5
    assert item.title == "Systemic product bug: 5 escalations in 2026-Q4"
    assert "ARR at risk: $150,000 across 3 account(s)." in item.description
    assert item.description.count("\n- ESC-") == 5


def test_four_closures_are_not_a_pattern():
    assert action_items_to_open(five_in_q4()[:4], set(), CTX) == ()


def test_five_closures_split_across_two_quarters_are_not_a_pattern():
    escs = five_in_q4()[:4] + [closed(9, utc(2027, 1, 1))]
    assert action_items_to_open(escs, set(), CTX) == ()
    assert systemic_patterns(escs, CTX) == ()


def test_running_twice_opens_exactly_one_item():
    escs = five_in_q4()
    first = action_items_to_open(escs, set(), CTX)
    opened = {i.key for i in first}
    assert action_items_to_open(escs, opened, CTX) == ()
    assert action_items_to_open(escs, {i.id for i in first}, CTX) == ()
    assert action_items_to_open(escs + [closed(7, utc(2026, 12, 2))], opened, CTX) == ()


def test_only_closed_escalations_with_that_root_cause_count():
    escs = five_in_q4()[:4] + [closed(8, utc(2026, 11, 1), status="Resolved")]
    assert action_items_to_open(escs, set(), CTX) == ()
    escs = five_in_q4()[:4] + [closed(8, utc(2026, 11, 1), cause="routing_failure")]
    assert action_items_to_open(escs, set(), CTX) == ()
    escs = five_in_q4()[:4] + [closed(8, utc(2026, 11, 1), cause=None)]
    assert action_items_to_open(escs, set(), CTX) == ()


def test_two_versions_of_one_escalation_count_once():
    escs = five_in_q4()
    assert action_items_to_open(escs[:4] + [escs[0]], set(), CTX) == ()


def test_each_root_cause_routes_to_its_function_and_unrouted_ones_to_the_vp_of_support():
    kb = [closed(i, utc(2026, 4, 1 + i), cause="knowledge_base_gap") for i in range(5)]
    odd = [closed(10 + i, utc(2026, 4, 1 + i), cause="gremlins") for i in range(5)]
    items = {i.root_cause: i.function for i in action_items_to_open(kb + odd, set(), CTX)}
    assert items == {"knowledge_base_gap": "support_ops", "gremlins": "vp_support"}


def test_the_threshold_is_configurable():
    cfg = config(learning={"pattern_threshold": 4})
    assert len(action_items_to_open(five_in_q4()[:4], set(), ctx(cfg, ACCOUNTS))) == 1


def test_quarters_are_read_in_the_calendars_time_zone():
    cfg = config(calendar={"timezone": "America/New_York"})
    # 2026-10-01 02:00 UTC is still 30 September in New York: Q3 there
    escs = five_in_q4()[1:] + [closed(9, utc(2026, 10, 1, 2))]
    assert action_items_to_open(escs, set(), ctx(cfg, ACCOUNTS)) == ()
    assert len(action_items_to_open(escs, set(), CTX)) == 1
