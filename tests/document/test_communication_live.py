"""The customer communication log, live: the real clients, the sandbox (Cloud and Data Center), Redis.

After the next poll, a public reply by one of our people on a linked ticket is in the epic's
description (ADF on Cloud, wiki markup on Data Center) and in the record's
``Communication_Log__c``; an internal note and the customer's own comment never are. A person's
public comment on the epic joins it at the next watch; the connector's own comments never do.
A restart reads the same comments again and logs nothing twice.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from connectors.jira_adf import PLAN_ISSUE_UNKNOWN
from connectors.jira_tickets import plain_text
from rules.communication import EPIC_CHANNEL
from rules.models import Comment, Escalation, Person
from sandbox.server import Sandbox
from sync.runtime import Runtime
from tests.golive.test_first_cycle import go_live, runtime_on
from tests.paths import EXAMPLES

AGENT = Person(email="ana@vendor.example", name="Ana Silva")
REPLY = "We found the failing export job and restarted it; next update by 16:00."
NOTE = "Internal: the export queue is saturated, engineering on it."
THEIRS = "Thanks, we are waiting for the fix."


@pytest.fixture
def cloud_site() -> Iterator[Sandbox]:
    with Sandbox(EXAMPLES / "small_book.yaml") as sb:
        yield sb


@pytest.fixture
def private_site() -> Iterator[Sandbox]:
    """Cloud with every Atlassian account's e-mail hidden (profile visibility)."""
    with Sandbox(EXAMPLES / "small_book.yaml", jira_email_privacy="all") as sb:
        yield sb


def description(sb: Sandbox, epic: str) -> str:
    """The epic's description as a person reads it: v3 ADF flattened (Cloud), wiki text (Data Center)."""
    env = sb.env()
    cloud = sb.flavour == "cloud"
    auth = (env["JIRA_EMAIL"], env["JIRA_API_TOKEN"]) if cloud else None
    headers = {} if cloud else {"Authorization": f"Bearer {env['JIRA_PAT']}"}
    answer = requests.get(f"{sb.jira_url}/rest/api/{'3' if cloud else '2'}/issue/{epic}",
                          params={"fields": "description"}, auth=auth, headers=headers, timeout=10)
    answer.raise_for_status()
    value = answer.json()["fields"]["description"]
    assert isinstance(value, dict) == cloud, "ADF on Cloud (v3), wiki markup on Data Center"
    return plain_text(value)


def record_log(sb: Sandbox, ext: str) -> str:
    return next(r for r in sb.escalations() if r["External_Id__c"] == ext)["Communication_Log__c"] or ""


def acme(rt: Runtime) -> Escalation:
    return next(e for e in rt.store.escalations().values() if e.account == "001000000000001AAA" and e.is_open)


def comment(sb: Sandbox, key: str, author: Person, body: str, public: bool = True) -> None:
    sb.world.add_comment(key, Comment(at=sb.clock.now(), author=author, body=body, public=public))


def poll(sb: Sandbox, rt: Runtime) -> None:
    sb.clock.advance(30)
    rt.cycle()


def replied(sb: Sandbox, redis_url: str) -> tuple[Runtime, Escalation]:
    """Gone live; then Ana's public reply on the Acme escalation's ticket, and the next poll."""
    rt = runtime_on(sb, redis_url)
    go_live(sb, rt, watches=1)
    esc = acme(rt)
    sb.clock.advance(60)
    comment(sb, esc.tickets[0], AGENT, REPLY)
    poll(sb, rt)
    return rt, esc


def test_a_public_reply_on_a_linked_ticket_reaches_the_epic_and_the_record_internal_and_customer_never(
        any_sandbox, redis_url):
    sb = any_sandbox
    rt = runtime_on(sb, redis_url)
    go_live(sb, rt, watches=1)
    esc = acme(rt)
    ticket = esc.tickets[0]
    customer = Person(email=f"kim@{rt.store.accounts()[esc.account].domains[0]}", name="Kim Ops", customer=True)
    sb.clock.advance(60)
    comment(sb, ticket, AGENT, REPLY)
    comment(sb, ticket, AGENT, NOTE, public=False)
    comment(sb, ticket, customer, THEIRS)
    poll(sb, rt)

    epic = rt.store.index(esc.id)["epic"]
    shown, logged = description(sb, epic), record_log(sb, esc.id)
    assert REPLY in shown and f"Ana Silva on {ticket}: {REPLY}" in logged
    assert NOTE not in shown and NOTE not in logged, "an internal note is never a communication"
    assert THEIRS not in shown and THEIRS not in logged, "the customer's own words are not ours"
    assert PLAN_ISSUE_UNKNOWN not in shown, "a rewrite after the plan issues exist links them"
    if sb.flavour == "datacenter":
        wiki = sb.jira_issue(epic).description
        assert "h2. Customer Communication Log" in wiki and "||When||Channel||Author||Said||" in wiki
        assert f"|portal, [{ticket}]|Ana Silva|{REPLY}|" in wiki


def test_a_restart_reads_the_same_comments_again_and_logs_nothing_twice(cloud_site, redis_url):
    sb = cloud_site
    rt, esc = replied(sb, redis_url)
    before = acme(rt).communications
    assert [e.summary for e in before].count(REPLY) == 1
    again = runtime_on(sb, redis_url)  # a new process: the overlap window reads the ticket once more
    for _ in range(2):
        poll(sb, again)
        again.watch()
    assert acme(again).communications == before
    assert record_log(sb, esc.id).count(REPLY) == 1
    assert description(sb, again.store.index(esc.id)["epic"]).count(REPLY) == 1


def test_a_persons_public_comment_on_the_epic_joins_the_log_the_connectors_own_never(any_sandbox, redis_url):
    sb = any_sandbox
    rt = runtime_on(sb, redis_url)
    go_live(sb, rt, watches=1)
    esc = acme(rt)
    epic = rt.store.index(esc.id)["epic"]
    said = "Called Kim: fix confirmed for Friday, daily e-mail until then."
    sb.clock.advance(60)
    comment(sb, epic, Person(email="lee@vendor.example", name="Lee Park"), said)
    comment(sb, epic, Person(email="lee@vendor.example", name="Lee Park"), "Internal: ask eng for an ETA",
            public=False)
    ours = "Please set the root cause on this epic before closing it."  # as the connector's requests read
    with sb.lock:
        sb.site.add_comment(sb.site.issue(epic), sb.site.api_user.account_id, ours, True, at=sb.clock.now())
    sb.clock.advance(20)
    rt.watch()
    after = acme(rt)
    assert [(e.channel, e.author, e.summary) for e in after.communications if e.ticket is None] == [
        (EPIC_CHANNEL, "Lee Park", said)]
    assert said in description(sb, epic) and f"{EPIC_CHANNEL}  Lee Park: {said}" in record_log(sb, esc.id)
    assert ours not in record_log(sb, esc.id), "the connector's own comment (by its Jira user) is not ours to log"


def test_with_every_email_hidden_our_people_are_still_ours_and_named(private_site, redis_url):
    sb = private_site
    rt, esc = replied(sb, redis_url)
    entries = [e for e in acme(rt).communications if e.summary == REPLY]
    assert [e.author for e in entries] == ["Ana Silva"], "the display name, never a missing e-mail"
    assert REPLY in record_log(sb, esc.id)
