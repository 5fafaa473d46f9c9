"""Jira issue writes and reads with the real client, and the book's shape in Jira."""

from __future__ import annotations

import pytest
import requests
from jira import JIRAError

from sandbox import testing


def _raw(sandbox, method, path, version="2", **kw):
    env = sandbox.env()
    return requests.request(method, f"{sandbox.jira_url}/rest/api/{version}/{path}", timeout=10,
                            auth=(env["JIRA_EMAIL"], env["JIRA_API_TOKEN"]), **kw)


def _epic(client, summary="Escalation: Acme Corp"):
    return client.create_issue(fields={"project": {"key": "ESC"}, "issuetype": {"name": "Epic"},
                                       "summary": summary, "labels": ["escalation-sync"]})


def test_book_tickets_become_support_issues_with_custom_fields(sandbox, jira_client,
                                                               jira_schema):
    raw = _raw(sandbox, "GET", "issue/SUP-101", params={"expand": "changelog,renderedFields"})
    jira_schema("IssueBean", raw.json())
    issue = jira_client.issue("SUP-101")
    f = issue.fields
    assert f.issuetype.name == "Support Request" and f.status.name == "Open"
    assert f.priority.name == "High" and [c.name for c in f.components] == ["Reporting"]
    assert f.customfield_10010.value == "portal"
    assert f.customfield_10011 == "001000000000001AAA"
    assert f.customfield_10012 == "VP Operations"
    assert f.reporter.emailAddress == "ops@acme.example"
    assert f.reporter.accountType == "customer"
    created = sandbox.book.tickets[0].created
    assert f.created.startswith(created.astimezone().strftime("%Y-%m-%d")[:4])
    comments = jira_client.comments("SUP-101")
    assert [c.raw["jsdPublic"] for c in comments] == [True, False]
    agent = sandbox.site.user_by_email("sam.agent@vendor.example")
    assert comments[0].author.accountId == agent.account_id
    # this agent's profile hides the e-mail (sandbox/site.py, email_privacy "some"), as Cloud does
    assert agent.email_hidden and "emailAddress" not in comments[0].author.raw
    assert jira_client.issue("SUP-103").fields.customfield_10011 is None


def test_create_get_and_self_links(sandbox, jira_client, jira_schema):
    epic = _epic(jira_client)
    assert epic.key == "ESC-1"
    created = [r for r in sandbox.requests("jira") if r["method"] == "POST"][0]
    assert created["status"] == 201
    jira_schema("IssueUpdateDetails", created["body"])
    body = _raw(sandbox, "GET", f"issue/{epic.key}").json()
    jira_schema("IssueBean", body)
    assert body["self"].endswith(f"/rest/api/2/issue/{body['id']}")
    assert body["fields"]["assignee"] is None and body["fields"]["labels"] == ["escalation-sync"]
    assert body["fields"]["issuetype"]["hierarchyLevel"] == 1
    with pytest.raises(JIRAError) as exc:
        jira_client.issue("ESC-999")
    assert exc.value.status_code == 404


def test_create_validates_required_fields_and_names_them(sandbox):
    r = _raw(sandbox, "POST", "issue", json={"fields": {"project": {"key": "ESC"},
                                                        "issuetype": {"name": "Bogus"},
                                                        "labels": ["two words"], "nope": 1}})
    assert r.status_code == 400
    errors = r.json()["errors"]
    assert errors["summary"] == "You must specify a summary of the issue."
    assert errors["issuetype"] == "The issue type selected is invalid."
    assert "contains spaces" in errors["labels"]
    assert errors["nope"].startswith("Field 'nope' cannot be set.")


def test_bulk_create_reports_partial_failures_in_place(sandbox, jira_client, jira_schema):
    good = {"project": {"key": "OPS"}, "issuetype": {"name": "Task"}, "summary": "ok"}
    bad = {"project": {"key": "OPS"}, "issuetype": {"name": "Task"}}
    r = _raw(sandbox, "POST", "issue/bulk", json={"issueUpdates": [
        {"fields": good}, {"fields": bad}, {"fields": good}]})
    assert r.status_code == 201
    body = r.json()
    jira_schema("CreatedIssues", body)
    assert [i["key"] for i in body["issues"]] == ["OPS-1", "OPS-2"]
    assert body["errors"][0]["failedElementNumber"] == 1
    assert body["errors"][0]["elementErrors"]["errors"]["summary"]
    results = jira_client.create_issues([good, bad])
    assert [bool(x["issue"]) for x in results] == [True, False]
    too_many = _raw(sandbox, "POST", "issue/bulk", json={"issueUpdates": [{"fields": good}] * 51})
    assert too_many.status_code == 400
    assert too_many.json()["issues"] == [] and len(too_many.json()["errors"]) == 51


def test_issue_hierarchy_rules_on_cloud(jira_client, sandbox):
    epic = _epic(jira_client)
    task = jira_client.create_issue(project={"key": "ESC"}, issuetype={"name": "Task"},
                                    summary="Root cause analysis", parent={"key": epic.key})
    assert task.fields.parent.key == epic.key
    sub = jira_client.create_issue(project={"key": "ESC"}, issuetype={"name": "Sub-task"},
                                   summary="Collect logs", parent={"key": task.key})
    assert sub.fields.issuetype.subtask is True
    for parent, message in ((epic.key, "appropriate hierarchy"), (None, "parent issue key")):
        fields = {"project": {"key": "ESC"}, "issuetype": {"name": "Sub-task"}, "summary": "x"}
        if parent:
            fields["parent"] = {"key": parent}
        r = _raw(sandbox, "POST", "issue", json={"fields": fields})
        assert r.status_code == 400 and message in r.json()["errors"]["parent"]
    r = _raw(sandbox, "POST", "issue", json={"fields": {
        "project": {"key": "ESC"}, "issuetype": {"name": "Task"}, "summary": "x",
        "parent": {"key": task.key}}})
    assert r.status_code == 400
    assert [s["key"] for s in _raw(sandbox, "GET", f"issue/{task.key}").json()["fields"][
        "subtasks"]] == [sub.key]


def test_datacenter_epics_need_epic_name_and_children_use_epic_link(make_sandbox):
    sb = make_sandbox(flavour="datacenter")
    client = testing.jira(sb)
    with pytest.raises(JIRAError) as exc:
        _epic(client)
    assert exc.value.status_code == 400 and "Epic Name" in exc.value.text
    epic = client.create_issue(project={"key": "ESC"}, issuetype={"name": "Epic"},
                               summary="Escalation", customfield_10015="Acme")
    task = client.create_issue(project={"key": "ESC"}, issuetype={"name": "Task"},
                               summary="step", customfield_10014=epic.key)
    client.add_issues_to_epic(epic.key, [client.create_issue(
        project={"key": "OPS"}, issuetype={"name": "Task"}, summary="ops step").key])
    assert sorted(sb.state()["jira"]["epics"][0]["children"]) == sorted([task.key, "OPS-1"])
    assert {f["name"] for f in client.fields()} >= {"Epic Link", "Epic Name"}
    client.assign_issue(task, "dana")
    assert client.issue(task.key).fields.assignee.name == "dana"


def test_update_fields_and_label_operations_write_a_changelog(jira_client, sandbox):
    epic = _epic(jira_client)
    before = epic.fields.updated
    sandbox.clock.advance(60)
    epic.update(fields={"summary": "Escalation: Acme Corp (SEV-2)", "duedate": "2026-12-01"},
                update={"labels": [{"add": "sev-2"}, {"remove": "escalation-sync"}]})
    fresh = jira_client.issue(epic.key, expand="changelog")
    assert fresh.fields.labels == ["sev-2"] and fresh.fields.duedate == "2026-12-01"
    assert fresh.fields.updated > before
    fields_changed = {i.field for h in fresh.changelog.histories for i in h.items}
    assert {"summary", "labels", "duedate"} <= fields_changed


def test_assign_by_account_id_uses_user_search_and_latest_path(sandbox, jira_client):
    epic = _epic(jira_client)
    dana = jira_client.search_users(query="dana@vendor.example")[0].accountId
    sandbox.clear_requests()
    assert jira_client.assign_issue(epic, dana) is True
    paths = [(r["method"], r["path"]) for r in sandbox.requests("jira")]
    assert ("PUT", f"/rest/api/latest/issue/{epic.key}/assignee") in paths
    assert jira_client.issue(epic.key).fields.assignee.accountId == dana
    with pytest.raises(JIRAError):
        jira_client.assign_issue(epic, "nobody-at-all")


def test_transitions_by_name_and_id_and_invalid_ones(sandbox, jira_client, jira_schema):
    epic = _epic(jira_client)
    listed = _raw(sandbox, "GET", f"issue/{epic.key}/transitions").json()
    jira_schema("Transitions", listed)
    names = {t["name"]: t["to"]["name"] for t in listed["transitions"]}
    assert names == {"Start work": "In Progress", "Resolve": "Done"}
    jira_client.transition_issue(epic, "Start work")
    assert jira_client.issue(epic.key).fields.status.name == "In Progress"
    jira_client.transition_issue(epic, 31)  # the client sends ints; GET gives strings
    done = jira_client.issue(epic.key)
    assert done.fields.status.statusCategory.key == "done" and done.fields.resolution.name
    with pytest.raises(JIRAError) as exc:
        jira_client.transition_issue(epic, "11")
    assert exc.value.status_code == 400 and "is not valid for this issue" in exc.value.text
    jira_client.transition_issue(epic, "Reopen")
    assert jira_client.issue(epic.key).fields.status.name == "To Do"


def test_comments_v2_text_v3_adf_paging_and_internal_visibility(sandbox, jira_client,
                                                               jira_schema):
    epic = _epic(jira_client)
    public = jira_client.add_comment(epic, "Customer update: fix deployed")
    internal = jira_client.add_comment(epic, "Internal: root cause is the queue",
                                       is_internal=True)
    assert public.raw["jsdPublic"] is True and internal.raw["jsdPublic"] is False
    jira_schema("Comment", internal.raw)
    posted = [r["body"] for r in sandbox.requests("jira") if r["path"].endswith("/comment")]
    jira_schema("Comment", posted[-1])
    page = _raw(sandbox, "GET", f"issue/{epic.key}/comment",
                params={"startAt": 1, "maxResults": 1}).json()
    jira_schema("PageOfComments", page)
    assert (page["startAt"], page["maxResults"], page["total"]) == (1, 1, 2)
    v3 = _raw(sandbox, "GET", f"issue/{epic.key}/comment", version="3").json()
    assert v3["comments"][0]["body"]["type"] == "doc"
    bad = _raw(sandbox, "POST", f"issue/{epic.key}/comment", version="3",
               json={"body": "plain text on v3"})
    assert bad.status_code == 400
    adf = {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [
        {"type": "text", "text": "ADF comment"}]}]}
    good = _raw(sandbox, "POST", f"issue/{epic.key}/comment", version="3", json={"body": adf})
    assert good.status_code == 201 and good.json()["body"] == adf
    assert jira_client.comments(epic)[-1].body == "ADF comment"


def test_watchers_add_list_and_remove(sandbox, jira_client, jira_schema):
    epic = _epic(jira_client)
    lee = jira_client.search_users(query="lee@vendor.example")[0].accountId
    jira_client.add_watcher(epic, lee)
    post = [r for r in sandbox.requests("jira") if r["path"].endswith("/watchers")][-1]
    assert post["body"] == lee  # a bare JSON string
    watchers = _raw(sandbox, "GET", f"issue/{epic.key}/watchers").json()
    jira_schema("Watchers", watchers)
    assert [w["accountId"] for w in watchers["watchers"]] == [lee]
    jira_client.remove_watcher(epic, lee)
    assert jira_client.watchers(epic).watchCount == 0


def test_issue_links_show_on_both_issues(sandbox, jira_client, jira_schema):
    epic = _epic(jira_client)
    jira_client.create_issue_link("Relates", epic.key, "SUP-101")
    body = [r["body"] for r in sandbox.requests("jira") if r["path"].endswith("/issueLink")][0]
    jira_schema("LinkIssueRequestJsonBean", body)
    on_epic = jira_client.issue(epic.key).fields.issuelinks
    on_ticket = jira_client.issue("SUP-101").fields.issuelinks
    assert on_epic[0].outwardIssue.key == "SUP-101" and on_epic[0].type.name == "Relates"
    assert on_ticket[0].inwardIssue.key == epic.key
    r = _raw(sandbox, "POST", "issueLink", json={"type": {"name": "Nope"}, "inwardIssue": {
        "key": epic.key}, "outwardIssue": {"key": "SUP-101"}})
    assert r.status_code == 404


def test_issue_properties_put_get_delete(sandbox, jira_client, jira_schema):
    epic = _epic(jira_client)
    first = _raw(sandbox, "PUT", f"issue/{epic.key}/properties/escalation",
                 json={"external_id": "ESC-001000000000001AAA-20261120T120000Z"})
    again = _raw(sandbox, "PUT", f"issue/{epic.key}/properties/escalation", json={"v": 2})
    assert (first.status_code, again.status_code) == (201, 200)
    prop = _raw(sandbox, "GET", f"issue/{epic.key}/properties/escalation").json()
    jira_schema("EntityProperty", prop)
    assert prop == {"key": "escalation", "value": {"v": 2}}
    jira_schema("PropertyKeys", _raw(sandbox, "GET", f"issue/{epic.key}/properties").json())
    assert jira_client.issue_property(epic.key, "escalation").value.v == 2
    assert _raw(sandbox, "DELETE", f"issue/{epic.key}/properties/escalation").status_code == 204
    assert _raw(sandbox, "GET", f"issue/{epic.key}/properties/escalation").status_code == 404


def test_v3_issue_reads_carry_adf_and_still_match_the_spec(sandbox, jira_schema):
    body = _raw(sandbox, "GET", "issue/SUP-101", version="3",
                params={"expand": "changelog,renderedFields,names,transitions"}).json()
    jira_schema("IssueBean", body)
    assert body["fields"]["description"]["type"] == "doc"
    assert body["self"].endswith("/rest/api/3/issue/" + body["id"])
    plain = _raw(sandbox, "POST", "issue", version="3", json={"fields": {
        "project": {"key": "ESC"}, "issuetype": {"name": "Task"}, "summary": "x",
        "description": "plain text is not ADF"}})
    assert plain.status_code == 400 and "Atlassian Document" in plain.json()["errors"][
        "description"]


def test_datacenter_assignment_sends_and_accepts_a_username(make_sandbox):
    sb = make_sandbox(flavour="datacenter")
    client = testing.jira(sb)
    key = client.create_issue(project={"key": "OPS"}, issuetype={"name": "Task"},
                              summary="x").key
    sb.clear_requests()
    client.assign_issue(key, "omar")
    put = [r for r in sb.requests("jira") if r["method"] == "PUT"][0]
    assert put["body"] == {"name": "omar"}
    assert client.issue(key).fields.assignee.emailAddress == "omar@vendor.example"


REQUEST_SCHEMAS = [  # (method, path suffix pattern, component)
    ("POST", r"/issue$", "IssueUpdateDetails"),
    ("POST", r"/issue/bulk$", "IssuesUpdateBean"),
    ("PUT", r"/issue/[^/]+$", "IssueUpdateDetails"),
    ("PUT", r"/issue/[^/]+/assignee$", "User"),
    ("POST", r"/issue/[^/]+/transitions$", "IssueUpdateDetails"),
    ("POST", r"/issue/[^/]+/comment$", "Comment"),
    ("POST", r"/issueLink$", "LinkIssueRequestJsonBean"),
    ("POST", r"/search/jql$", "SearchAndReconcileRequestBean"),
]


def test_what_the_jira_client_sends_matches_the_spec(sandbox, jira_client, jira_schema):
    import re

    epic = _epic(jira_client)
    jira_client.create_issues([{"project": {"key": "ESC"}, "issuetype": {"name": "Task"},
                                "summary": "step", "parent": {"key": epic.key}}])
    epic.update(fields={"summary": "renamed"}, update={"labels": [{"add": "x"}]})
    jira_client.assign_issue(epic, jira_client.search_users(query="dana")[0].accountId)
    jira_client.transition_issue(epic, "Start work")
    jira_client.add_comment(epic, "note", is_internal=True)
    jira_client.create_issue_link("Relates", epic.key, "SUP-101")
    jira_client.enhanced_search_issues("project = ESC", use_post=True)
    checked = set()
    for entry in sandbox.requests("jira"):
        for method, pattern, component in REQUEST_SCHEMAS:
            if entry["method"] == method and re.search(pattern, entry["path"]):
                body = entry["body"]
                if component == "IssueUpdateDetails" and "transition" in body:
                    # pycontribs sends an int id when given an int; the spec says string and
                    # Jira accepts both, so the sandbox does too
                    body = dict(body, transition={"id": str(body["transition"]["id"])})
                jira_schema(component, body)
                checked.add(component)
    assert checked == {c for _, _, c in REQUEST_SCHEMAS}


def test_closure_fields_on_the_epic_root_cause_concession_resolution(sandbox, jira_client):
    ids = {f["name"]: f["id"] for f in jira_client.fields()}
    epic = _epic(jira_client)
    epic.update(fields={ids["Root Cause"]: "Queue saturation\nafter the 4.2 deploy",
                        ids["Concession Given"]: {"value": "No"},
                        ids["Resolution Summary"]: "Scaled the queue"})
    raw = jira_client.issue(epic.key).raw["fields"]
    assert raw[ids["Root Cause"]] == "Queue saturation\nafter the 4.2 deploy"
    assert raw[ids["Concession Given"]]["value"] == "No"
    v3 = _raw(sandbox, "GET", f"issue/{epic.key}", version="3").json()["fields"]
    assert v3[ids["Root Cause"]]["type"] == "doc"
    bad = _raw(sandbox, "PUT", f"issue/{epic.key}", json={"fields": {
        ids["Concession Given"]: {"value": "Maybe"}}})
    assert bad.status_code == 400
    hits = jira_client.search_issues('"Root Cause" ~ "saturation"', maxResults=False)
    assert [i.key for i in hits] == [epic.key]
