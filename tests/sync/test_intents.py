"""The intents a decision asks for (rules/intents.py): pure, keyed, told from facts not text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from rules.intents import (
    AddWatcher,
    Comment,
    CreateEpic,
    CreatePlanIssue,
    LinkTicket,
    Notify,
    NotifyKind,
    SetFields,
    UpsertRecord,
    from_dict,
    intents_for,
    merge,
)
from rules.models import Breach, Escalation, ExecSponsor, PlanStep, Severity, TimelineEntry, external_id

OPENED = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def escalation(severity: int = 2, tier: int = 2, **kw: object) -> Escalation:
    values: dict[str, object] = dict(
        id=external_id("001A", OPENED), account="001A", account_name="Acme", opened=OPENED,
        severity=Severity(severity), tier=tier, owner="rosa@vendor.example",
        stakeholders=("eli@vendor.example",), tickets=("SUP-1",),
        plan=(PlanStep(step="intake", owner="rosa@vendor.example", due=OPENED + timedelta(hours=1)),),
        timeline=(TimelineEntry(at=OPENED, text="Opened"),))
    values.update(kw)
    return Escalation(**values)  # type: ignore[arg-type]


def later(esc: Escalation, note: str, **changes: object) -> Escalation:
    entry = TimelineEntry(at=esc.timeline[-1].at + timedelta(minutes=5), text=note)
    return esc.model_copy(update={"timeline": esc.timeline + (entry,), **changes})


def test_an_opening_asks_for_every_write_and_a_severe_one_for_a_notification():
    esc = escalation(severity=1)
    kinds = [type(i) for i in intents_for(None, esc)]
    assert kinds[:2] == [CreateEpic, UpsertRecord]
    assert {CreatePlanIssue, AddWatcher, LinkTicket, Notify} <= set(kinds)
    notify = [i for i in intents_for(None, esc) if isinstance(i, Notify)]
    assert [n.kind for n in notify] == [NotifyKind.NEW_ESCALATION]
    assert not [i for i in intents_for(None, escalation(severity=3)) if isinstance(i, Notify)]


def test_notifications_follow_the_facts_not_the_words_of_the_reasons():
    prev = escalation()
    same_tier = later(prev, "note")
    assert not [i for i in intents_for(prev, same_tier, reasons=["Tier raised 2 -> 3 (quoted text)"])
                if isinstance(i, Notify)]
    raised = later(prev, "a multi-customer issue", tier=3)
    assert [i.kind for i in intents_for(prev, raised) if isinstance(i, Notify)] == [NotifyKind.TIER_RISE]
    breach = Breach(clock="acknowledge", due=OPENED + timedelta(hours=1), at=OPENED + timedelta(hours=2))
    breached = later(prev, "missed", breaches=(breach,))
    assert [i.kind for i in intents_for(prev, breached) if isinstance(i, Notify)] == [NotifyKind.SLA_BREACH]
    sponsor = later(prev, "sponsor", exec_sponsor=ExecSponsor(required=True, due=OPENED + timedelta(days=1)))
    assert [i.kind for i in intents_for(prev, sponsor) if isinstance(i, Notify)] == [NotifyKind.EXEC_SPONSOR]


def test_an_update_asks_only_for_what_changed():
    prev = escalation()
    new = later(prev, "Linked SUP-2", tickets=("SUP-1", "SUP-2"), stakeholders=("eli@vendor.example",
                                                                             "vic@vendor.example"))
    got = intents_for(prev, new, reasons=["Linked SUP-2"], evidence=True)
    assert [i.ticket for i in got if isinstance(i, LinkTicket)] == ["SUP-2"]
    assert [i.email for i in got if isinstance(i, AddWatcher)] == ["vic@vendor.example"]
    assert not [i for i in got if isinstance(i, (CreateEpic, CreatePlanIssue))]
    assert [i.step for i in got if isinstance(i, SetFields)] == [None]
    assert [i.text for i in got if isinstance(i, Comment)] == ["escalation-sync update:\n- Linked SUP-2"]


def test_a_moved_due_date_sets_that_plan_issue_only():
    prev = escalation()
    moved = later(prev, "acknowledged", plan=(PlanStep(step="intake", owner="rosa@vendor.example",
                                                        due=OPENED + timedelta(hours=3)),))
    fields = [i for i in intents_for(prev, moved) if isinstance(i, SetFields)]
    assert {i.step for i in fields} == {"intake", None}


@given(st.lists(st.integers(min_value=1, max_value=3), min_size=2, max_size=12))
def test_every_evidence_update_has_its_own_comment_key(notes_per_update):
    """The sequence is the timeline length: each update adds entries, so no two updates of an
    escalation share a comment key, however the outbox entry is written and removed between."""
    esc = escalation()
    keys = []
    for n, count in enumerate(notes_per_update):
        new = esc
        for k in range(count):
            new = later(new, f"update {n}.{k}")
        keys += [i.key for i in intents_for(esc, new, reasons=[f"update {n}"], evidence=True)
                 if isinstance(i, Comment)]
        esc = new
    assert len(keys) == len(notes_per_update) == len(set(keys))


@given(st.lists(st.sampled_from(["SUP-1", "SUP-2", "SUP-3"]), max_size=6))
def test_intents_round_trip_and_merge_keeps_each_key_once(tickets):
    prev = escalation()
    new = later(prev, "more", tickets=tuple(dict.fromkeys(("SUP-1", *tickets))))
    first = intents_for(None, prev)
    second = intents_for(prev, new, reasons=["more"], evidence=True)
    merged = merge(first, merge(second, second))
    assert len({i.key for i in merged}) == len(merged)
    assert [from_dict(i.to_dict()) for i in merged] == merged
