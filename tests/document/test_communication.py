"""The customer communication log: what the vendor's people said publicly, never internal notes
and never the customer's own words."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from rules.communication import EPIC_CHANNEL, communication_log, first_line, log_text
from rules.models import Comment, Person, Ticket
from tests.document.test_adf_schema import T0

AGENT = Person(email="sam.agent@vendor.example", name="Sam Agent")
CUSTOMER = Person(email="ops@acme.example", name="Olga Ops", customer=True)


def ticket(key: str, channel: str, *comments: Comment) -> Ticket:
    return Ticket(key=key, account="001", created=T0, channel=channel, comments=comments)


def test_public_vendor_comments_become_entries_in_time_order() -> None:
    tickets = [
        ticket("SUP-2", "email",
               Comment(at=T0 + timedelta(hours=3), author=AGENT, body="\n  Fix deployed.\nDetails follow")),
        ticket("SUP-1", "portal",
               Comment(at=T0, author=CUSTOMER, body="We will cancel"),
               Comment(at=T0 + timedelta(hours=1), author=AGENT, body="Internal: looks like INC-9", public=False),
               Comment(at=T0 + timedelta(hours=2), author=AGENT, body="We are on it, update by 14:00")),
    ]
    log = communication_log(tickets)
    assert [(e.at, e.channel, e.author, e.ticket, e.summary) for e in log] == [
        (T0 + timedelta(hours=2), "portal", "Sam Agent", "SUP-1", "We are on it, update by 14:00"),
        (T0 + timedelta(hours=3), "email", "Sam Agent", "SUP-2", "Fix deployed."),
    ]
    first = "2026-11-18 11:00Z  portal  Sam Agent on SUP-1: We are on it, update by 14:00"
    assert log_text(log).splitlines()[0] == first


def test_epic_comments_count_but_not_the_connectors_own() -> None:
    epic = [Comment(at=T0, author=AGENT, body="Called their VP, agreed a daily update"),
            Comment(at=T0, author=Person(name="escalation-sync"), body="escalation-sync update:\n- tier 3")]
    log = communication_log([], epic)
    assert [(e.channel, e.summary, e.ticket) for e in log] == [
        (EPIC_CHANNEL, "Called their VP, agreed a daily update", None)]


def test_a_ticket_passed_twice_logs_each_comment_once() -> None:
    t = ticket("SUP-1", "phone", Comment(at=T0, author=AGENT, body="Spoke to Olga", id="10001"))
    assert len(communication_log([t, t])) == 1


def test_first_line_is_cut_with_an_ellipsis() -> None:
    assert first_line("x" * 300).endswith("\u2026") and len(first_line("x" * 300)) == 200
    assert first_line("\n\n  hello  \nworld") == "hello"


people = st.builds(Person, email=st.emails(), name=st.text(max_size=10), customer=st.booleans())
comments = st.builds(Comment, at=st.just(T0), author=people, body=st.text(max_size=40), public=st.booleans())


@given(st.lists(st.lists(comments, max_size=5), max_size=4))
def test_no_internal_note_and_no_customer_comment_ever_reaches_the_log(groups) -> None:
    tickets = [ticket(f"SUP-{i}", "portal", *cs) for i, cs in enumerate(groups)]
    log = communication_log(tickets)
    sources = {f"SUP-{i}:{c.identity}": c for i, cs in enumerate(groups) for c in cs}
    for entry in log:
        c = sources[entry.id]
        assert c.public and not c.author.customer
    expected = {k for k, c in sources.items() if c.public and not c.author.customer and c.body.strip()
                and not c.body.strip().startswith("escalation-sync")}
    assert {e.id for e in log} == expected
