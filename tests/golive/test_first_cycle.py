"""Going live on a book whose escalations began hours to days earlier (issue 12, items 1-2).

The sandbox shifts the book so its ``now`` is the present: every escalation the first cycle
finds began before the connector existed. The connector's clock is the sandbox's clock.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from connectors.notify import NotifyEvent
from sandbox.server import Sandbox
from sync.golive import go_live_at, skipped
from sync.runtime import Runtime
from tests.sync.conftest import settings_for
from tests.sync.outcome import expected

POLL = 60.0
DIGEST_TITLE = "escalation-sync is live: escalations found in history"


def runtime_on(sb: Sandbox, redis_url: str, **overrides) -> Runtime:
    return Runtime(settings_for(sb, redis_url, poll_interval_seconds=POLL, **overrides), clock=sb.clock.now)


def go_live(sb: Sandbox, rt: Runtime, watches: int = 3) -> list[NotifyEvent]:
    """The first minute: a cycle, then a watch every 20 s (the sandbox clock moved by hand)."""
    told: list[NotifyEvent] = []
    rt.cycle(notify=told.append)
    for _ in range(watches):
        sb.clock.advance(20)
        rt.watch(notify=told.append)
    return told


def test_quiet_go_live_writes_everything_breaches_nothing_and_sends_one_digest(any_sandbox, redis_url):
    sb = any_sandbox
    rt = runtime_on(sb, redis_url)
    told = go_live(sb, rt)
    escalations = rt.store.escalations()
    assert len(escalations) >= 5
    assert sum(len(e.breaches) for e in escalations.values()) == 0
    backtest = expected(sb)
    for esc in escalations.values():
        assert esc.tier <= backtest[esc.account]["tier"]
        assert esc.found_in_history and esc.shown_at is not None and esc.clocks_from == esc.shown_at
        marks = [e.text for e in esc.timeline if e.text.startswith("found in history: opened ")]
        assert len(marks) == 1 and "first shown" in marks[0]
    assert [e.kind for e in told] == ["go_live_digest"]
    digest = told[0]
    assert sum(1 for line in digest.reasons[1:]) == len(escalations)
    assert len(sb.escalations()) == len(escalations)  # every record written
    assert all(rt.store.index(x).get("epic") for x in escalations)  # and every epic


def test_after_go_live_a_deadline_counts_from_the_epic_and_keeps_its_exact_minute(sandbox, redis_url):
    rt = runtime_on(sandbox, redis_url)
    go_live(sandbox, rt, watches=1)
    esc = next(e for e in rt.store.escalations().values() if e.severity.label == "SEV-2")
    ack_due = esc.clocks_from + timedelta(hours=1)
    sandbox.clock.set(ack_due - timedelta(minutes=1))
    rt.watch()
    assert rt.store.escalations([esc.id])[esc.id].breaches == ()
    sandbox.clock.set(ack_due)
    summary, _ = rt.watch()
    after = rt.store.escalations([esc.id])[esc.id]
    assert [(b.clock, b.due) for b in after.breaches] == [("acknowledge", ack_due)]
    assert after.tier == esc.tier + 1
    for other in rt.store.escalations().values():
        assert all(b.due >= other.shown_at for b in other.breaches)
        assert other.tier <= expected(sandbox)[other.account]["tier"] + 1  # at most one raise in one pass


def test_a_restart_is_not_a_go_live(sandbox, redis_url):
    rt = runtime_on(sandbox, redis_url)
    go_live(sandbox, rt, watches=1)
    first = go_live_at(rt.store)
    sandbox.clock.advance(120)
    again = runtime_on(sandbox, redis_url)  # a new process: same Redis
    sandbox.add_ticket({"key": "SUP-8101", "summary": "Integration blocked", "priority": "High",
                        "description": "Our sync is blocked; we may cancel.",
                        "reporter": {"email": "ops@umbrella.example", "customer": True}})
    told: list[NotifyEvent] = []
    again.cycle(notify=told.append)
    assert go_live_at(again.store) == first
    assert "go_live_digest" not in [e.kind for e in told]
    umbrella = [e for e in again.store.escalations().values() if e.account_name.startswith("Umbrella")]
    assert umbrella and not any(e.found_in_history for e in umbrella if e.opened > first)


def test_skip_writes_nothing_for_history_and_lists_it(sandbox, redis_url):
    rt = runtime_on(sandbox, redis_url, go_live="skip")
    told = go_live(sandbox, rt)
    assert told == []
    assert sandbox.escalations() == []
    assert [e for e in sandbox.state("ESC")["jira"]["epics"]] == []
    listed = skipped(rt.store)
    assert len(listed) == len(expected(sandbox)) >= 5
    assert rt.store.outbox() == {} and rt.store.open_ids() == set() and rt.store.escalations() == {}
    held = [s.escalation for s in rt.store.states(rt.store.accounts()).values() if s.escalation is not None]
    assert {e.id for e in held} == set(listed)  # kept in the rules state: their evidence fired once


def test_skip_still_writes_an_escalation_that_opens_after_go_live(sandbox, redis_url):
    rt = runtime_on(sandbox, redis_url, go_live="skip")
    go_live(sandbox, rt, watches=1)
    sandbox.clock.advance(300)
    sandbox.add_ticket({"key": "SUP-8102", "summary": "SSO down", "priority": "Highest",
                        "description": "Production down for everyone; we will cancel.",
                        "reporter": {"email": "it@initech.example", "customer": True}})
    told: list[NotifyEvent] = []
    rt.cycle(notify=told.append)
    records = sandbox.escalations()
    assert len(records) == 1
    esc = rt.store.escalations([records[0]["External_Id__c"]])[records[0]["External_Id__c"]]
    assert esc.account_name.startswith("Initech")
    assert any(t.at > go_live_at(rt.store) for t in esc.triggers)


@pytest.mark.parametrize("choice", ["notify"])
def test_notify_tells_each_escalation_but_breaches_nothing_in_the_first_minute(sandbox, redis_url, choice):
    rt = runtime_on(sandbox, redis_url, go_live=choice)
    told = go_live(sandbox, rt)
    kinds = [e.kind for e in told]
    assert "go_live_digest" not in kinds and "sla_breach" not in kinds  # what opening says, no breach storm
    assert sum(len(e.breaches) for e in rt.store.escalations().values()) == 0
    severe = [e for e in rt.store.escalations().values() if e.severity.label in ("SEV-1", "SEV-2")]
    assert kinds.count("new_escalation") == len(severe)


def test_status_lists_what_skip_left_out(sandbox, redis_url, monkeypatch, capsys):
    from sync.cli import main

    rt = runtime_on(sandbox, redis_url, go_live="skip")
    go_live(sandbox, rt, watches=0)
    for name, value in {**sandbox.env(), "REDIS_URL": redis_url}.items():
        monkeypatch.setenv(name, value)
    capsys.readouterr()
    assert main(["status"]) == 0
    text = capsys.readouterr().out
    assert "with GO_LIVE=skip" in text
    assert text.count("  skipped: ") == len(skipped(rt.store)) == len(expected(sandbox)) >= 5


@pytest.mark.parametrize("choice", ["quiet", "skip"])
def test_a_dry_run_first_is_not_the_go_live_and_notifies_nobody(sandbox, redis_url, choice):
    dry = runtime_on(sandbox, redis_url, dry_run=True, go_live=choice)
    told: list[NotifyEvent] = []
    dry.cycle(notify=told.append)
    dry.cycle(notify=told.append)
    assert told == [] and go_live_at(dry.store) is None and sandbox.escalations() == []
    sandbox.clock.advance(300)
    live = runtime_on(sandbox, redis_url, go_live=choice)
    live.cycle(notify=told.append)
    assert go_live_at(live.store) is not None
    decided = live.store.escalations() if choice == "quiet" else expected(sandbox)
    if choice == "quiet":
        assert [e.kind for e in told] == ["go_live_digest"] and len(told[0].reasons) == len(decided) + 1
        assert len(sandbox.escalations()) == len(decided)
    else:
        assert told == [] and sandbox.escalations() == [] and len(skipped(live.store)) == len(decided)


def test_after_go_live_a_ticket_seen_a_poll_late_keeps_the_exact_minute_boundary(sandbox, redis_url):
    rt = runtime_on(sandbox, redis_url)
    go_live(sandbox, rt, watches=1)
    ticket = sandbox.add_ticket({"key": "SUP-8401", "summary": "Integration blocked", "priority": "High",
                                 "description": "Our sync is blocked; we may cancel.",
                                 "reporter": {"email": "ops@umbrella.example", "customer": True}})
    sandbox.clock.advance(POLL + 30)  # the poll sees it 90 s late, the epic comes seconds after
    rt.cycle()
    sandbox.clock.advance(5)
    rt.watch()
    esc = next(e for e in rt.store.escalations().values() if "SUP-8401" in e.tickets)
    assert esc.clocks_from is None and esc.shown_at is not None and not esc.found_in_history
    assert abs(esc.opened - ticket.created) < timedelta(seconds=1)
    sandbox.clock.set(esc.opened + timedelta(minutes=59))
    rt.watch()
    assert rt.store.escalations([esc.id])[esc.id].breaches == ()
    sandbox.clock.set(esc.opened + timedelta(hours=1))
    rt.watch()
    assert [b.due for b in rt.store.escalations([esc.id])[esc.id].breaches] == [esc.opened + timedelta(hours=1)]


def test_the_digest_message_lists_the_escalations_not_one_accounts_fields():
    from connectors.notify import slack_message
    from sync.golive import digest_event
    from tests.rules.lifecycle.world import at, esc

    a, b = esc(acct="A"), esc(acct="B", opened=at(hours=1))
    event = digest_event([a, b], at(days=1))
    message = slack_message(event.escalation, event.kind, event.reasons)
    assert message["blocks"][0]["text"]["text"] == DIGEST_TITLE
    body = message["blocks"][1]["text"]["text"]
    assert "Account A" in body and "Account B" in body and "2 escalation(s) found in history" in body
    assert len(message["blocks"]) == 2 and "Account A" in message["text"]


def test_the_digest_survives_a_failed_flush_and_is_sent_once_with_its_epic(sandbox, redis_url):
    import json

    import httpx
    import respx

    from sandbox.faults import Fault
    from tests.faults.support import drive

    hook = "https://hooks.example/services/T000/B000/golive-token"
    rt = runtime_on(sandbox, redis_url, notify_webhooks={"default": [hook]})
    sandbox.faults.add(Fault("jira", status=500, count=1, path_contains="/issue/bulk"))
    with respx.mock(assert_all_called=False) as router:
        posted = router.route(host="hooks.example").mock(return_value=httpx.Response(200, text="ok"))
        router.route().pass_through()
        result = drive(rt)
        assert result.errors and "HTTP 500" in str(result.errors[0])
        rt.cycle()
        rt.watch()
        texts = [json.loads(c.request.content)["text"] for c in posted.calls]
    assert len(texts) == 1 and DIGEST_TITLE in texts[0]
    assert len(sandbox.escalations()) == len(expected(sandbox))
