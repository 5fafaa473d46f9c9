"""People on the epic are followed, never fought (issue 12, item 4), end to end on the sandbox.

A person's change in Jira (authored by that person in the changelog) is read by the watch:
reassignment, a priority change, a dismissal. Both systems then agree and later cycles change
nothing back.
"""

from __future__ import annotations

from collections import Counter

from rules.models import Comment, Person
from sandbox.life import dismiss_epic, edit_record, reassign_epic, set_epic_priority
from sandbox.server import Sandbox
from sync.runtime import Runtime
from tests.golive.test_first_cycle import go_live, runtime_on

DIRECTOR = "rosa@vendor.example"


def started(sb: Sandbox, redis_url: str) -> Runtime:
    rt = runtime_on(sb, redis_url)
    go_live(sb, rt, watches=1)
    return rt


def some_open(rt: Runtime, severity: str | None = None):
    return sorted((e for e in rt.store.escalations().values()
                   if e.is_open and e.owner and (severity is None or e.severity.label == severity)),
                  key=lambda e: e.id)[0]


def record_of(sb: Sandbox, ext: str) -> dict:
    return next(r for r in sb.escalations() if r["External_Id__c"] == ext)


def epic_of(sb: Sandbox, rt: Runtime, ext: str):
    return sb.jira_issue(rt.store.index(ext)["epic"])


def test_a_person_reassigning_the_epic_moves_owner_record_load_and_plan_issues(any_sandbox, redis_url):
    sb = any_sandbox
    rt = started(sb, redis_url)
    esc = some_open(rt)
    old, new = esc.owner, "kai@vendor.example" if esc.owner != "kai@vendor.example" else "lee@vendor.example"
    load_before = rt.store.load()
    reassign_epic(sb, rt.store.index(esc.id)["epic"], new, by=DIRECTOR)
    sb.clock.advance(30)
    rt.watch()
    after = rt.store.escalations([esc.id])[esc.id]
    assert after.owner == new
    assert any(f"Owner {old} -> {new} (reassigned on the epic by {DIRECTOR})" in e.text for e in after.timeline)
    assert record_of(sb, esc.id)["Owner_Email__c"] == new
    load = rt.store.load()
    assert load.get(new, 0) == load_before.get(new, 0) + 1 and load.get(old, 0) == load_before.get(old, 0) - 1
    steps = rt.store.index(esc.id)["steps"]
    moved = [p.step for p in esc.plan if p.owner == old]
    assert moved
    new_id = sb.site.find_user(new).account_id
    for step in moved:
        assert sb.jira_issue(steps[step]["key"]).assignee == new_id
    # later cycles never assign it back
    for _ in range(2):
        sb.clock.advance(60)
        rt.cycle()
        rt.watch()
    assert epic_of(sb, rt, esc.id).assignee == new_id
    assert rt.store.escalations([esc.id])[esc.id].owner == new


def test_a_person_changing_the_priority_sets_the_severity_and_old_evidence_does_not_raise_it(sandbox, redis_url):
    sb = sandbox
    rt = started(sb, redis_url)
    esc = some_open(rt, "SEV-2")
    epic = rt.store.index(esc.id)["epic"]
    set_epic_priority(sb, epic, "Low", by=DIRECTOR)
    sb.clock.advance(30)
    rt.watch()
    after = rt.store.escalations([esc.id])[esc.id]
    assert after.severity.label == "SEV-4" and after.severity_set_at is not None
    assert record_of(sb, esc.id)["Severity__c"] == "SEV-4"
    # a customer's comment on one of its tickets: an event the engine weighs, old evidence only
    sb.clock.advance(60)
    sb.world.add_comment(esc.tickets[0], Comment(at=sb.clock.now(), author=Person(
        email=f"ops@{rt.store.accounts()[esc.account].domains[0]}", customer=True), body="Any news?", public=True))
    summary, _ = rt.cycle()
    assert summary.events >= 1
    rt.watch()
    assert rt.store.escalations([esc.id])[esc.id].severity.label == "SEV-4"
    assert sb.jira_issue(epic).priority == "Low"


def test_a_dismissed_escalation_is_counted_and_its_evidence_never_reopens_it(any_sandbox, redis_url):
    sb = any_sandbox
    rt = started(sb, redis_url)
    esc = some_open(rt)
    epic = rt.store.index(esc.id)["epic"]
    dismiss_epic(sb, epic, by=DIRECTOR)
    sb.clock.advance(30)
    rt.watch()
    after = rt.store.escalations([esc.id])[esc.id]
    assert after.status == "Dismissed" and after.dismissed_by == DIRECTOR and after.resolved_at is None
    record = record_of(sb, esc.id)
    kinds = sorted({t.kind for t in esc.triggers})
    assert record["Status__c"] == "Dismissed" and record["Dismissed_Trigger_Kinds__c"] == ";".join(kinds)
    counts = {k.decode(): int(v) for k, v in rt.redis.hgetall(f"{rt.store.k.ns}:dismissed").items()}
    assert counts == dict.fromkeys(kinds, 1)
    from sync.metrics import StoreCollector
    family = next(m for m in StoreCollector(rt.store).collect() if m.name == "escalation_sync_dismissals")
    assert {s.labels["kind"]: s.value for s in family.samples if s.name.endswith("_total")} == dict.fromkeys(kinds, 1.0)
    for _ in range(3):  # the same evidence again and again: nothing reopens, nothing counted twice
        sb.clock.advance(60)
        rt.cycle()
        rt.watch()
    same = [e for e in rt.store.escalations().values() if e.account == esc.account]
    assert [e.status for e in same] == ["Dismissed"]
    assert {k.decode(): int(v) for k, v in rt.redis.hgetall(f"{rt.store.k.ns}:dismissed").items()} == counts


def test_a_label_dismisses_too_and_new_evidence_after_it_opens_a_new_escalation(sandbox, redis_url):
    sb = sandbox
    rt = started(sb, redis_url)
    esc = some_open(rt)
    domain = rt.store.accounts()[esc.account].domains[0]
    dismiss_epic(sb, rt.store.index(esc.id)["epic"], by=DIRECTOR, label="not-an-escalation")
    sb.clock.advance(30)
    rt.watch()
    assert rt.store.escalations([esc.id])[esc.id].status == "Dismissed"
    sb.clock.advance(600)
    sb.add_ticket({"key": "SUP-8201", "summary": "Data breach?", "priority": "Highest",
                   "description": "We see other customers' data: this looks like a data breach.",
                   "reporter": {"email": f"ops@{domain}", "customer": True}})
    rt.cycle()
    mine = [e for e in rt.store.escalations().values() if e.account == esc.account]
    assert sorted(e.status for e in mine) == ["Dismissed", "Open"]
    fresh = next(e for e in mine if e.status == "Open")
    assert all(t.at > rt.store.escalations([esc.id])[esc.id].dismissed_at for t in fresh.triggers)


def test_a_person_editing_the_record_owner_and_status_moves_the_epic(any_sandbox, redis_url):
    sb = any_sandbox
    rt = started(sb, redis_url)
    sb.clock.advance(30)
    rt.watch()  # the records' cursor starts here
    esc = some_open(rt)
    new = "kai@vendor.example" if esc.owner != "kai@vendor.example" else "lee@vendor.example"
    edit_record(sb, esc.id, DIRECTOR, Owner_Email__c=new)
    sb.clock.advance(30)
    rt.watch()
    after = rt.store.escalations([esc.id])[esc.id]
    assert after.owner == new
    assert epic_of(sb, rt, esc.id).assignee == sb.site.find_user(new).account_id
    edit_record(sb, esc.id, DIRECTOR, Status__c="In Progress")
    sb.clock.advance(30)
    rt.watch()
    assert epic_of(sb, rt, esc.id).status == "In Progress"
    sb.clock.advance(30)
    rt.watch()
    assert rt.store.escalations([esc.id])[esc.id].status == "In Progress"
    assert record_of(sb, esc.id)["Status__c"] == "In Progress"


def test_an_idle_cycle_stays_within_two_salesforce_and_two_jira_data_calls(sandbox, redis_url):
    sb = sandbox
    rt = started(sb, redis_url)
    for _ in range(2):
        sb.clock.advance(30)
        rt.cycle()
        rt.watch()
    sb.clear_requests()
    sb.clock.advance(30)
    rt.cycle()
    rt.watch()
    data = Counter(e["system"] for e in sb.requests(bodies=False) if "oauth2" not in e["path"])
    assert data["salesforce"] <= 2 and data["jira"] <= 2, sb.requests(bodies=False)


def test_watchers_and_labels_people_add_are_never_removed(sandbox, redis_url):
    sb = sandbox
    rt = started(sb, redis_url)
    esc = some_open(rt)
    epic = rt.store.index(esc.id)["epic"]
    with sb.lock:
        issue = sb.site.issue(epic)
        issue.labels = [*issue.labels, "customer-call-friday"]
        watcher = sb.site.find_user("max@vendor.example").account_id
        issue.watchers = [*getattr(issue, "watchers", []), watcher]
    domain = rt.store.accounts()[esc.account].domains[0]
    sb.add_ticket({"key": "SUP-8301", "summary": "Still broken", "priority": "Highest",
                   "description": "Production down again; we will cancel.",
                   "reporter": {"email": f"ops@{domain}", "customer": True}})
    for _ in range(2):
        sb.clock.advance(60)
        rt.cycle()
        rt.watch()
    issue = sb.jira_issue(epic)
    assert "customer-call-friday" in issue.labels and watcher in issue.watchers
    assert esc.id in issue.labels and "escalation-sync" in issue.labels
