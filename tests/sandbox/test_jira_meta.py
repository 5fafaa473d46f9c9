"""Jira's metadata endpoints, authentication and flavours, validated against the Cloud spec."""

from __future__ import annotations

import pytest
import requests
from jira import JIRA, JIRAError

from sandbox import testing


def _get(sandbox, path, **kw):
    env = sandbox.env()
    r = requests.get(sandbox.jira_url + path, auth=(env["JIRA_EMAIL"], env["JIRA_API_TOKEN"]),
                     timeout=10, **kw)
    return r


def test_cloud_server_info_makes_the_client_use_cloud_apis(sandbox, jira_client, jira_schema):
    info = jira_client.server_info()
    # the spec's own ServerInformation example carries defaultLocale; its schema forgot it
    assert info.pop("defaultLocale") == {"locale": "en_US"}
    jira_schema("ServerInformation", info)
    assert info["deploymentType"] == "Cloud" and info["versionNumbers"] == [1001, 0, 0]
    assert jira_client._is_cloud is True


def test_datacenter_flavour_reports_server_and_takes_a_pat(make_sandbox, jira_schema):
    sb = make_sandbox(flavour="datacenter")
    client = testing.jira(sb)
    info = client.server_info()
    jira_schema("ServerInformation", info)
    assert (info["deploymentType"], info["versionNumbers"]) == ("Server", [9, 12, 0])
    me = client.myself()
    assert "name" in me and "accountId" not in me
    assert "JIRA_PAT" in sb.env()


def test_wrong_credentials_are_401_with_the_error_shape(sandbox):
    r = requests.get(sandbox.jira_url + "/rest/api/2/myself", auth=("x@y", "bad"), timeout=10)
    assert r.status_code == 401
    assert r.text == "Client must be authenticated to access this resource."  # Cloud: plain text
    with pytest.raises(JIRAError) as exc:
        JIRA(sandbox.jira_url, basic_auth=("sync-bot@vendor.example", "bad"), timeout=10,
             max_retries=0).myself()
    assert exc.value.status_code == 401


def test_myself_has_the_configured_time_zone(make_sandbox, jira_schema):
    sb = make_sandbox(jira_time_zone="America/New_York")
    me = testing.jira(sb).myself()
    jira_schema("User", me)
    assert me["timeZone"] == "America/New_York"
    assert me["emailAddress"] == sb.env()["JIRA_EMAIL"]


def test_fields_list_custom_fields_with_clause_names(jira_client, jira_schema):
    fields = jira_client.fields()
    # Cloud names custom fields twice (the spec's POST /field example has untranslatedName; its
    # FieldDetails schema does not list it)
    untranslated = {f["id"]: f.pop("untranslatedName") for f in fields if "untranslatedName" in f}
    assert untranslated and all(untranslated[f["id"]] == f["name"] for f in fields if f["custom"])
    jira_schema("[]FieldDetails", fields)
    by_name = {f["name"]: f for f in fields}
    for name in ("Channel", "Salesforce Account Id", "Reporter Title"):
        f = by_name[name]
        number = f["id"].removeprefix("customfield_")
        assert f["custom"] is True and f["clauseNames"] == [f"cf[{number}]", name]
    assert by_name["Channel"]["schema"]["type"] == "option"
    assert "Epic Link" not in by_name  # Cloud uses parent


def test_user_search_by_email_and_name_and_lookup_by_account_id(jira_client, jira_schema,
                                                                sandbox):
    by_email = jira_client.search_users(query="dana@vendor.example")
    by_name = jira_client.search_users(query="Reyes")
    assert [u.accountId for u in by_email] == [u.accountId for u in by_name]
    raw = _get(sandbox, "/rest/api/2/user/search", params={"query": "dana"}).json()
    jira_schema("[]User", raw)
    user = jira_client.user(by_email[0].accountId)
    assert user.displayName == "Dana Reyes" and user.accountType == "atlassian"
    customer = jira_client.search_users(query="ops@acme.example")[0]
    assert customer.accountType == "customer"
    r = _get(sandbox, "/rest/api/2/user/search")
    assert r.status_code == 400


def test_projects_issue_types_priorities_and_link_types(jira_client, sandbox, jira_schema):
    esc = _get(sandbox, "/rest/api/2/project/ESC", params={"expand": "issueTypes"}).json()
    jira_schema("Project", esc)
    types = {t["name"]: t for t in esc["issueTypes"]}
    assert (types["Epic"]["hierarchyLevel"], types["Task"]["hierarchyLevel"],
            types["Sub-task"]["hierarchyLevel"], types["Sub-task"]["subtask"]) == (1, 0, -1, True)
    assert {p.key for p in jira_client.projects()} >= {"SUP", "ESC", "OPS"}
    by_id = _get(sandbox, f"/rest/api/2/project/{esc['id']}").json()
    assert by_id["key"] == "ESC"
    jira_schema("[]IssueTypeDetails", _get(sandbox, "/rest/api/2/issuetype").json())
    jira_schema("[]Priority", _get(sandbox, "/rest/api/2/priority").json())
    links = _get(sandbox, "/rest/api/2/issueLinkType").json()
    jira_schema("IssueLinkTypes", links)
    assert "Relates" in {lt.name for lt in jira_client.issue_link_types()}
    missing = _get(sandbox, "/rest/api/2/project/NOPE")
    assert missing.status_code == 404
    jira_schema("ErrorCollection", missing.json())


def test_v3_and_latest_paths_are_served(sandbox):
    for version in ("2", "3", "latest"):
        assert _get(sandbox, f"/rest/api/{version}/myself").status_code == 200
