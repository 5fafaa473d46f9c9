"""A finished escalation leaves the account state for ``state.closed``; a new trigger on the
same issue within 30 days of its closure opens a new escalation as a ``repeat`` (sponsor
within 24 h). Driven through the real engine (``rules.replay.Replay``)."""

from __future__ import annotations

from rules.events import ticket_events
from rules.lifecycle.accounts import closed_ref, file_in_state
from rules.lifecycle.status import EpicFields, apply_epic_status
from rules.state import AccountState
from tests.rules.builders import account, only, replay, ticket
from tests.rules.lifecycle.world import at, esc

BUG = EpicFields(root_cause="product bug", concession_given=False)


def closed_world(status: str = "Closed", when=None):
    """A replay with one escalation on component Sync, finished on the epic at ``when``."""
    r = replay([account()], [ticket("T-1", at(), "we will cancel", components=("Sync",))])
    first = only(r)
    decision = apply_epic_status(first, status, when or at(days=5), BUG, r.ctx)
    assert decision is not None
    r.states["A"] = file_in_state(r.states["A"], decision.escalation)
    return r, first


def feed(r, key, when, text="cancel, this is broken again", components=("Sync",)):
    return r.feed(ticket_events(ticket(key, when, text, components=components), "A"))


def test_closing_moves_the_escalation_into_the_closed_memory():
    r, first = closed_world()
    state = r.states["A"]
    assert state.escalation is None
    [ref] = state.closed
    assert ref.id == first.id and ref.closed_at == at(days=5)
    assert [f.key for f in ref.tickets] == ["T-1"]


def test_a_new_trigger_on_the_same_issue_within_30_days_of_closure_is_a_repeat():
    r, first = closed_world()
    [decision] = feed(r, "T-2", at(days=15))
    new = decision.escalation
    assert decision.action == "open" and new.id != first.id
    assert [t.kind for t in new.triggers] == ["keyword", "repeat"]
    assert new.exec_sponsor.required and new.exec_sponsor.due == at(days=16)
    assert r.states["A"].escalation == new


def test_exactly_30_days_after_closure_is_still_a_repeat_and_a_minute_more_is_not():
    r, _ = closed_world()
    [inside] = feed(r, "T-2", at(days=35))
    assert "repeat" in [t.kind for t in inside.escalation.triggers]
    r2, _ = closed_world()
    [outside] = feed(r2, "T-3", at(days=35, minutes=1))
    assert [t.kind for t in outside.escalation.triggers] == ["keyword"]
    assert not outside.escalation.exec_sponsor.required


def test_a_new_trigger_on_another_issue_opens_an_escalation_without_repeat():
    r, _ = closed_world()
    [decision] = feed(r, "T-2", at(days=10), components=("Billing",))
    assert [t.kind for t in decision.escalation.triggers] == ["keyword"]


def test_a_resolved_escalation_already_counts_for_repeat_from_its_resolution():
    r, first = closed_world(status="Done", when=at(days=5))
    assert r.states["A"].closed[0].closed_at == at(days=5)
    [decision] = feed(r, "T-2", at(days=20))
    assert "repeat" in [t.kind for t in decision.escalation.triggers]


def test_closing_after_resolution_moves_the_window_start_to_the_closure():
    r, first = closed_world(status="Done", when=at(days=5))
    resolved = apply_epic_status(first, "Done", at(days=5), BUG, r.ctx)
    assert resolved is not None
    closed = apply_epic_status(resolved.escalation, "Closed", at(days=12), BUG, r.ctx)
    assert closed is not None
    r.states["A"] = file_in_state(r.states["A"], closed.escalation)
    assert [c.closed_at for c in r.states["A"].closed] == [at(days=12)]
    [decision] = feed(r, "T-2", at(days=40))  # 35 days after resolution, 28 after closure
    assert "repeat" in [t.kind for t in decision.escalation.triggers]


def test_the_closed_memory_keeps_ticket_facts_the_state_has_forgotten():
    r, first = closed_world()
    ref = r.states["A"].closed[0]
    forgetful = r.states["A"].model_copy(update={"tickets": {}})
    again = closed_ref(first.model_copy(update={"status": "Closed", "closed_at": at(days=6)}),
                       forgetful.tickets, ref)
    assert again is not None and [f.key for f in again.tickets] == ["T-1"]


def test_an_open_escalation_has_no_closed_reference():
    assert closed_ref(esc(), {}) is None


def test_a_reopened_escalation_becomes_current_again():
    r, first = closed_world()
    closed = apply_epic_status(first, "Closed", at(days=5), BUG, r.ctx)
    assert closed is not None
    reopened = apply_epic_status(closed.escalation, "In Progress", at(days=7), BUG, r.ctx)
    assert reopened is not None
    state = file_in_state(r.states["A"], reopened.escalation)
    assert state.escalation == reopened.escalation and state.closed == ()


def test_a_reopened_old_escalation_never_displaces_a_different_open_one():
    current = esc(opened=at(days=20))
    state = AccountState(account="A", escalation=current)
    old = esc(status="In Progress")
    assert file_in_state(state, old) == state


def test_filing_an_open_escalation_after_a_watch_decision_replaces_the_current_one():
    current = esc()
    state = AccountState(account="A", escalation=current)
    watched = current.model_copy(update={"tier": 3})
    assert file_in_state(state, watched).escalation == watched


def test_the_engine_forgets_the_closed_memory_after_the_repeat_window():
    r, _ = closed_world()
    feed(r, "T-9", at(days=40), components=("Other",))
    assert r.states["A"].closed == ()


def test_what_the_watch_decided_survives_the_engines_next_update():
    from rules.lifecycle.activity import epic_comment
    from rules.lifecycle.sla import sla_watch

    r = replay([account()], [ticket("T-1", at(), "we will cancel", priority="High",
                                    components=("Sync",))])
    breach = sla_watch(only(r), at(hours=1), r.ctx)
    assert breach is not None
    r.states["A"] = file_in_state(r.states["A"], breach.escalation)
    ack = epic_comment(r.states["A"].escalation, at(hours=2), "lee@vendor.example", r.ctx)
    assert ack is not None
    r.states["A"] = file_in_state(r.states["A"], ack.escalation)
    [update] = feed(r, "T-2", at(hours=3), text="we may cancel", components=("Other",))
    after = update.escalation
    assert update.action == "update" and after.id == breach.escalation.id
    assert after.tier == 3 and after.breaches == breach.escalation.breaches
    assert after.acknowledged_at == at(hours=2) and after.last_update_at == at(hours=2)
    assert set(breach.escalation.stakeholders) <= set(after.stakeholders)
