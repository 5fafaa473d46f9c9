"""The customer communication log: what the vendor's people said publicly, never internal notes
and never the customer's own words."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from rules.communication import (
    EPIC_CHANNEL,
    LogEntry,
    communication_log,
    first_line,
    log_record,
    log_text,
    logged,
    ticket_reply,
)
from rules.models import Comment, Person, Ticket, Trigger
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


# --- the log the escalation carries (rules.communication.logged) ------------------------------

def _escalation():
    from tests.document.test_adf_schema import escalation
    return escalation().model_copy(update={"communications": (), "communications_earlier": 0})


def _entry(n: int) -> LogEntry:
    """Comment ``n``: its id fixes its time (two comments may share a minute)."""
    return LogEntry(at=T0 + timedelta(minutes=n // 2), channel="email", author="Ana", summary=f"reply {n}",
                    ticket="SUP-1", id=f"SUP-1:{n}")


entries = st.integers(0, 30).map(_entry)


@given(st.lists(entries, max_size=40), st.integers(1, 8), st.randoms(use_true_random=False))
def test_the_log_keeps_each_comment_once_oldest_first_and_only_the_newest(items, keep, rnd) -> None:
    distinct = {e.id: e for e in items}
    ordered = sorted(distinct.values(), key=lambda e: (e.at, e.id))
    # in time order, in chunks, every comment delivered twice (an overlap window, a restart)
    esc = _escalation()
    for n in range(0, len(ordered), 3):
        esc = logged(esc, ordered[n:n + 3], keep)
        esc = logged(esc, ordered[: n + 3], keep)
    assert list(esc.communications) == ordered[-keep:] if ordered else esc.communications == ()
    assert esc.communications_earlier == max(0, len(ordered) - keep)
    assert logged(esc, ordered, keep) is esc, "nothing new: the same escalation, so no write"
    # in any order: still unique, oldest first, capped, and never more counted than there were
    shuffled = list(items)
    rnd.shuffle(shuffled)
    any_order = _escalation()
    for e in shuffled:
        any_order = logged(any_order, [e], keep)
    kept = any_order.communications
    assert len({e.id for e in kept}) == len(kept) <= keep
    assert list(kept) == sorted(kept, key=lambda e: (e.at, e.id))
    assert len(kept) + any_order.communications_earlier <= len(distinct)


def test_a_reply_on_a_ticket_the_escalation_does_not_link_is_not_its_communication() -> None:
    esc = _escalation().model_copy(update={"tickets": ("SUP-1",), "triggers": (
        Trigger(id="k", kind="keyword", account="001", at=T0, tickets=("SUP-1",)),)})
    reply = Comment(at=T0 + timedelta(minutes=5), author=AGENT, body="We restarted the job", id="7")
    assert ticket_reply(esc, ticket("SUP-1", "email"), reply.model_copy(update={"at": T0})) is None, \
        "a reply from before the ticket joined the escalation is the ticket's history"
    assert ticket_reply(esc, ticket("SUP-2", "email"), reply) is None
    assert ticket_reply(esc, ticket("SUP-1", "email"), reply.model_copy(update={"public": False})) is None
    assert ticket_reply(esc, ticket("SUP-1", "email"), reply.model_copy(update={"author": CUSTOMER})) is None
    closed = esc.model_copy(update={"status": "Closed"})
    assert ticket_reply(closed, ticket("SUP-1", "email"), reply) is None
    logged_once = ticket_reply(esc, ticket("SUP-1", "email"), reply)
    assert logged_once is not None and [e.summary for e in logged_once.communications] == ["We restarted the job"]
    assert ticket_reply(logged_once, ticket("SUP-1", "email"), reply) is None, "the same comment twice: once"


def test_the_record_field_keeps_the_newest_lines_and_says_how_many_it_left_out() -> None:
    many = tuple(LogEntry(at=T0 + timedelta(minutes=n), channel="email", author="Ana", summary=f"reply {n:02d}",
                          ticket="SUP-1", id=f"SUP-1:{n}") for n in range(40))
    esc = _escalation().model_copy(update={"communications": many, "communications_earlier": 10})
    whole = log_record(esc, 32_768)
    assert whole is not None and whole.splitlines()[0] == "(10 earlier entries not shown)"
    assert whole.splitlines()[-1].endswith("reply 39") and len(whole.splitlines()) == 41
    cut = log_record(esc, 500)
    assert cut is not None and len(cut) <= 500 and cut.splitlines()[-1].endswith("reply 39")
    left_out = int(cut.splitlines()[0].split()[0][1:])
    assert left_out + len(cut.splitlines()) - 1 == 50
    assert log_record(_escalation(), 100) is None


def test_a_new_entry_alone_rewrites_the_epic_and_the_record_under_fresh_keys_and_posts_nothing() -> None:
    from rules.intents import Comment as CommentIntent
    from rules.intents import SetFields, UpsertRecord, intents_for

    esc = _escalation()
    entry = _entry(1)
    new = logged(esc, [entry])
    writes = intents_for(esc, new, evidence=True)
    assert {type(i) for i in writes} == {SetFields, UpsertRecord}
    assert not any(isinstance(i, CommentIntent) for i in writes)
    before = {i.key for i in intents_for(None, esc)}
    assert not before & {i.key for i in writes}, "keys never used before: the executor cannot skip them as done"
    assert intents_for(new, logged(new, [entry])) == [], "the same comment again: nothing to write"
