"""The pipeline end to end against the sandbox and a real Redis, synchronously (no Celery)."""

from __future__ import annotations

import logging
from datetime import timedelta

from rules.config import parse_config
from sync.runtime import Runtime
from tests.sync.conftest import settings_for
from tests.sync.outcome import assert_matches_backtest, expected, landed


def writes(sb) -> list[dict]:
    return [r for r in sb.requests(bodies=False) if r["method"] in ("POST", "PUT", "PATCH", "DELETE")
            and "oauth2/token" not in r["path"]]


def test_a_seeded_book_ends_with_the_backtest_escalations(sandbox, runtime: Runtime):
    poll, flush = runtime.cycle()
    assert poll.opened == len(expected(sandbox)) and not flush.deferred
    assert_matches_backtest(sandbox, expected(sandbox))


def test_a_second_cycle_writes_nothing(sandbox, runtime: Runtime):
    runtime.cycle()
    sandbox.clear_requests()
    poll, flush = runtime.cycle()
    assert (poll.opened, poll.updated, flush.written) == (0, 0, 0)
    assert writes(sandbox) == []


def test_an_idle_cycle_makes_one_query_per_system(sandbox, runtime: Runtime):
    runtime.cycle()
    runtime.cycle()  # the tickets inside the overlap window are read once more, then not
    sandbox.clear_requests()
    runtime.cycle()
    calls = [(r["system"], r["method"], r["path"]) for r in sandbox.requests(bodies=False)]
    assert sorted(c[0] for c in calls) == ["jira", "salesforce"], calls


def test_a_new_ticket_updates_the_open_escalation_without_a_duplicate(sandbox, runtime: Runtime):
    runtime.cycle()
    before = landed(sandbox)["001000000000001AAA"]
    assert before["record"]["Tier__c"] == 2
    sandbox.add_ticket({
        "key": "SUP-7001", "summary": "Legal action", "priority": "Medium", "components": ["Reporting"],
        "description": "Our counsel is preparing a lawsuit over the failed exports.",
        "reporter": {"email": "kim@acme.example", "name": "Kim Ops", "customer": True},
    })
    poll, _ = runtime.cycle()
    assert poll.updated >= 1 and poll.opened == 0
    after = landed(sandbox)["001000000000001AAA"]
    assert after["epic"]["key"] == before["epic"]["key"]
    assert after["record"]["Id"] == before["record"]["Id"]
    assert int(after["record"]["Tier__c"]) == 4  # a lawsuit: tier-4 phrase
    assert after["record"]["Owner_Email__c"] == before["record"]["Owner_Email__c"]
    assert "SUP-7001" in after["record"]["Timeline__c"]
    assert "cora@vendor.example" in after["epic"]["watchers"]  # tier 4 engages the CRO
    assert sandbox.jira_issue(after["epic"]["key"]).comments  # the update is told on the epic


def test_an_unmatched_ticket_is_logged_and_counted(sandbox, runtime: Runtime, caplog):
    sandbox.add_ticket({"key": "SUP-7002", "summary": "hello", "reporter": {"email": "x@nowhere.example",
                                                                           "customer": True}})
    poll, _ = runtime.cycle()
    assert "SUP-7002" in poll.unmatched
    assert runtime.store.stats()["unmatched"] >= 1
    assert any("SUP-7002" in r.getMessage() and "matches no account" in r.getMessage() for r in caplog.records)


def test_rules_reload_on_change_and_a_bad_edit_keeps_the_last_good_rules(sandbox, redis_url, tmp_path, caplog):
    from tests.sync.conftest import settings_for

    rules = tmp_path / "rules.yaml"
    rules.write_text("triggers:\n  keyword:\n    enabled: false\n")
    rt = Runtime(settings_for(sandbox, redis_url, escalation_rules=rules))
    assert rt.rules.triggers.keyword.enabled is False
    rules.write_text("triggers:\n  keyword:\n    enabled: true\n    words: [cancel, lawsuit]\n")
    assert rt.rules.triggers.keyword.words == ("cancel", "lawsuit")  # reloaded, no restart
    rules.write_text("triggers:\n  keyword:\n    wrds: [oops]\n")
    assert rt.rules.triggers.keyword.words == ("cancel", "lawsuit")  # refused: last good rules
    assert any("triggers.keyword.wrds" in r.getMessage() for r in caplog.records)
    assert rt.store.stats()["rules_reload_errors"] == 1
    poll, _ = rt.cycle()  # the cycle runs on the last good rules: "breach" is no longer watched
    assert poll.opened == len(expected(sandbox, cfg=parse_config({"triggers": {"keyword": {
        "words": ["cancel", "lawsuit"]}}}))) == len(expected(sandbox)) - 1


def test_dry_run_decides_and_logs_but_writes_nothing(sandbox, redis_url, caplog):
    from tests.sync.conftest import settings_for

    caplog.set_level(logging.INFO)
    rt = Runtime(settings_for(sandbox, redis_url, dry_run=True))
    sandbox.clear_requests()
    poll, flush = rt.cycle()
    assert poll.opened == len(expected(sandbox)) and flush.dry_run and flush.written == 0
    assert writes(sandbox) == [] and landed(sandbox) == {}
    assert sum("dry run: would write" in r.getMessage() for r in caplog.records) == poll.opened


def test_a_data_center_site_gets_the_same_escalations(redis_url):
    from sandbox.server import Sandbox
    from tests.paths import EXAMPLES
    from tests.sync.conftest import settings_for

    with Sandbox(EXAMPLES / "small_book.yaml", flavour="datacenter") as sb:
        rt = Runtime(settings_for(sb, redis_url))
        assert rt.jira.cloud is False
        rt.cycle()
        assert_matches_backtest(sb, expected(sb))
        sb.clear_requests()
        poll, flush = rt.cycle()
        assert (poll.opened, flush.written) == (0, 0)
        assert not any(r["path"].endswith("/search/jql") for r in sb.requests(bodies=False))


def test_health_history_of_an_unknown_account_is_skipped_not_fatal(sandbox, runtime: Runtime, caplog):
    import httpx

    runtime.cycle()
    sandbox.clock.advance(5)
    with sandbox.lock:  # a history row whose account is gone from the accounts the connector knows
        rows = sandbox.org.records["AccountHistory"]
        template = next(iter(rows.values()))
        for n, score in enumerate((90.0, 20.0)):  # a 70-point drop: a trigger for an unknown account
            ghost = dict(template, Id=f"017GHOST00000000{n}AA", AccountId="001GHOST0000000AAA",
                         CreatedDate=sandbox.clock.now() + timedelta(seconds=n), NewValue=score)
            rows[ghost["Id"]] = ghost
    httpx.post(f"{sandbox.admin_url}/health", json={"account": "001000000000004AAA", "score": 20}).raise_for_status()
    poll, _ = runtime.cycle()
    assert poll.opened == 1  # Umbrella's drop still opens its escalation



def test_a_component_becomes_multi_customer_across_cycles_from_the_hits_an_earlier_cycle_kept(sandbox, redis_url):
    """Each cycle reads the component's earlier tickets back (into the running window the backtest
    uses) and counts them: two accounts' tickets in one cycle, the escalated account's in the next."""
    runtime = Runtime(settings_for(sandbox, redis_url), clock=sandbox.clock.now)
    runtime.cycle()
    escalated = expected(sandbox)
    target = next(a for a, e in sorted(escalated.items()) if e["tier"] < 3)
    domains = {a.id: a.domains[0] for a in sandbox.book.accounts}
    others = [a for a in sorted(domains) if a not in escalated][:2]

    def ticket(account: str, text: str = "The widgets export times out.") -> None:
        sandbox.add_ticket({"summary": "Widgets export fails", "priority": "Medium", "components": ["Widgets"],
                            "description": text, "reporter": {"email": f"ops@{domains[account]}", "customer": True}})

    for account in others:
        ticket(account)
    poll, _ = runtime.cycle()
    assert not poll.unmatched and poll.updated == 0  # two accounts: not yet multi-customer
    sandbox.clock.advance(600)
    ticket(target, "The widgets export times out again; we will cancel.")  # a trigger: linked to the escalation
    poll, _ = runtime.cycle()
    assert not poll.unmatched and poll.updated == 1, poll.decisions
    assert "multi" in " ".join(poll.decisions[0]["reasons"]).lower(), poll.decisions
    (record,) = [r for r in sandbox.state("ESC")["salesforce"]["Escalation__c"] if r["Account__c"] == target]
    assert int(record["Tier__c"]) == 3
