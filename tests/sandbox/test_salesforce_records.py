"""sObject reads and writes, upsert by external id, collections, describe, limits."""

from __future__ import annotations

import pytest
from simple_salesforce import format_external_id
from simple_salesforce.exceptions import (
    SalesforceMalformedRequest,
    SalesforceMoreThanOneRecord,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from sandbox import testing

ACME = "001000000000001AAA"


def test_versions_list_and_unsupported_versions(sandbox, http):
    versions = http.get(f"{sandbox.salesforce_url}/services/data/").json()
    assert {v["version"] for v in versions} >= {"42.0", "59.0", "62.0"}
    assert all(v["url"] == f"/services/data/v{v['version']}" for v in versions)
    token = sandbox.issue_token()
    r = http.get(f"{sandbox.salesforce_url}/services/data/v41.0/limits/",
                 headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 404 and r.json()[0]["errorCode"] == "NOT_FOUND"


def test_record_ids_have_key_prefixes_and_18_characters(sf):
    users = sf.query("SELECT Id FROM User")["records"]
    hist = sf.query("SELECT Id FROM AccountHistory LIMIT 1")["records"]
    esc = sf.Escalation__c.create({"External_Id__c": "ESC-IDS"})
    assert all(u["Id"].startswith("005") and len(u["Id"]) == 18 for u in users)
    assert hist[0]["Id"].startswith("017") and esc["id"].startswith("a0X")
    assert sf.Escalation__c.get(esc["id"][:15])["Id"] == esc["id"]  # 15-char ids resolve


def test_create_get_update_delete_escalation(sf):
    created = sf.Escalation__c.create({
        "External_Id__c": "ESC-001-20261120T120000Z", "Account__c": ACME, "Severity__c": "SEV-2",
        "Tier__c": 2, "Status__c": "Open", "Owner_Email__c": "dana@vendor.example",
        "Opened_At__c": "2026-11-20T12:00:00Z", "Exec_Sponsor_Required__c": True,
        "Timeline__c": "opened"})
    assert created == {"id": created["id"], "success": True, "errors": []}
    rec = sf.Escalation__c.get(created["id"])
    assert rec["Tier__c"] == 2.0 and rec["Opened_At__c"] == "2026-11-20T12:00:00.000+0000"
    assert rec["Name"].startswith("ESC-") and rec["Concession_Given__c"] is False
    assert sf.Escalation__c.update(created["id"], {"Status__c": "In Progress"}) == 204
    assert sf.Escalation__c.get(created["id"])["Status__c"] == "In Progress"
    assert sf.Escalation__c.delete(created["id"]) == 204
    with pytest.raises(SalesforceResourceNotFound):
        sf.Escalation__c.get(created["id"])


def test_upsert_creates_then_updates_case_insensitively(sf):
    ext = format_external_id("External_Id__c", "ESC-001/acme 2026")
    assert sf.Escalation__c.upsert(ext, {"Severity__c": "SEV-3"}) == 201
    again = format_external_id("External_Id__c", "esc-001/ACME 2026")
    raw = sf.Escalation__c.upsert(again, {"Severity__c": "SEV-2"}, raw_response=True)
    assert raw.status_code == 200
    assert raw.json() == {"id": raw.json()["id"], "success": True, "errors": [],
                          "created": False}
    rows = sf.query("SELECT Severity__c, External_Id__c FROM Escalation__c")["records"]
    assert [(r["Severity__c"], r["External_Id__c"]) for r in rows] == [
        ("SEV-2", "ESC-001/acme 2026")]


def test_upsert_update_status_can_be_204_and_is_204_before_v46(make_sandbox):
    sb = make_sandbox(upsert_update_status=204)
    sf = testing.salesforce(sb)
    assert sf.Escalation__c.upsert("External_Id__c/A", {"Tier__c": 1}) == 201
    assert sf.Escalation__c.upsert("External_Id__c/A", {"Tier__c": 2}) == 204
    old = testing.salesforce(sb, version="45.0")
    assert old.Escalation__c.upsert("External_Id__c/B", {"Tier__c": 1}) == 201
    sb.configure(upsert_update_status=200)
    assert old.Escalation__c.upsert("External_Id__c/B", {"Tier__c": 3}) == 204


def test_upsert_refuses_an_id_in_the_body_and_unknown_external_fields(sf):
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.Escalation__c.upsert("External_Id__c/X", {"Id": "a0X5g0000000001AAA"})
    assert exc.value.content[0]["errorCode"] == "INVALID_FIELD"
    with pytest.raises(SalesforceResourceNotFound):
        sf.Escalation__c.upsert("Summary__c/X", {"Tier__c": 1})


def test_upsert_with_several_matches_is_300(sandbox, sf):
    with sandbox.lock:  # records loaded before the field became unique
        sandbox.org.insert_raw("Escalation__c", {"External_Id__c": "DUP"})
        sandbox.org.insert_raw("Escalation__c", {"External_Id__c": "dup"})
    with pytest.raises(SalesforceMoreThanOneRecord) as exc:
        sf.Escalation__c.upsert("External_Id__c/DUP", {"Tier__c": 1})
    assert len(exc.value.content) == 2
    assert exc.value.content[0].startswith("/services/data/v59.0/sobjects/Escalation__c/a0X")


def test_dml_validation_errors_have_salesforce_shapes(sf):
    cases = [
        ({"Severity__c": "SEV-9"}, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", ["Severity__c"]),
        ({"Nope__c": 1}, "INVALID_FIELD", None),
        ({"Opened_At__c": "yesterday"}, "JSON_PARSER_ERROR", None),
        ({"Account__c": "005000000000001AAA"}, "FIELD_INTEGRITY_EXCEPTION", ["Account__c"]),
        ({"Name": "x"}, "INVALID_FIELD_FOR_INSERT_UPDATE", ["Name"]),
        ({"Summary__c": "x" * 256}, "STRING_TOO_LONG", ["Summary__c"]),
    ]
    for body, code, fields in cases:
        with pytest.raises(SalesforceMalformedRequest) as exc:
            sf.Escalation__c.create(body)
        err = exc.value.content[0]
        assert err["errorCode"] == code, body
        if fields:
            assert err["fields"] == fields
    sf.Escalation__c.create({"External_Id__c": "UNIQ"})
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.Escalation__c.create({"External_Id__c": "uniq"})
    assert exc.value.content[0]["errorCode"] == "DUPLICATE_VALUE"


def _records(n, start=0, **extra):
    return [{"attributes": {"type": "Escalation__c"}, "External_Id__c": f"C-{i}", **extra}
            for i in range(start, start + n)]


def test_collections_create_update_and_upsert_in_input_order(sf):
    created = sf.restful("composite/sobjects", method="POST",
                         json={"allOrNone": False, "records": _records(3)})
    assert [c["success"] for c in created] == [True, True, True]
    ids = [c["id"] for c in created]
    updated = sf.restful("composite/sobjects", method="PATCH", json={"records": [
        {"attributes": {"type": "Escalation__c"}, "Id": i, "Tier__c": 2} for i in ids]})
    assert [u["id"] for u in updated] == ids
    upserted = sf.restful("composite/sobjects/Escalation__c/External_Id__c", method="PATCH",
                          json={"allOrNone": False, "records": _records(2, 2, Tier__c=3)})
    assert [(u["created"], u["id"] == ids[2]) for u in upserted] == [(False, True),
                                                                     (True, False)]


def test_collections_all_or_none_rolls_back_the_others(sf):
    records = _records(2) + [{"attributes": {"type": "Escalation__c"}, "Severity__c": "bad"}]
    result = sf.restful("composite/sobjects", method="POST",
                        json={"allOrNone": True, "records": records})
    assert [r["success"] for r in result] == [False, False, False]
    assert result[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert result[2]["errors"][0]["statusCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    assert sf.query("SELECT COUNT() FROM Escalation__c")["totalSize"] == 0
    partial = sf.restful("composite/sobjects", method="POST",
                         json={"allOrNone": False, "records": records})
    assert [r["success"] for r in partial] == [True, True, False]


def test_collections_over_200_records_are_refused(sf):
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.restful("composite/sobjects", method="POST", json={"records": _records(201)})
    assert exc.value.content[0]["errorCode"] == "EXCEEDED_ID_LIMIT"


def test_describe_lists_fields_with_their_properties(sf):
    d = sf.Escalation__c.describe()
    fields = {f["name"]: f for f in d["fields"]}
    assert d["custom"] is True and d["keyPrefix"] == "a0X"
    ext = fields["External_Id__c"]
    assert (ext["externalId"], ext["unique"], ext["caseSensitive"], ext["type"]) == (
        True, True, False, "string")
    assert [p["value"] for p in fields["Severity__c"]["picklistValues"]] == [
        "SEV-1", "SEV-2", "SEV-3", "SEV-4"]
    assert fields["Account__c"]["referenceTo"] == ["Account"]
    assert {"Timeline__c", "Jira_Epic_Key__c", "Exec_Sponsor_Due__c", "Resolved_At__c",
            "SystemModstamp", "IsDeleted"} <= set(fields)
    names = {o["name"] for o in sf.describe()["sobjects"]}
    assert names >= {"Account", "User", "AccountHistory", "Escalation__c"}
    user_fields = {f["name"] for f in sf.User.describe()["fields"]}
    assert {"Email", "ManagerId", "Escalation_Role__c", "IsActive", "Title"} <= user_fields


def test_a_field_removed_through_admin_disappears_from_describe_and_soql(sf, admin):
    assert admin.call("DELETE", "/salesforce/fields/Escalation__c/Jira_Epic_Key__c"
                      ).status_code == 204
    names = {f["name"] for f in sf.Escalation__c.describe()["fields"]}
    assert "Jira_Epic_Key__c" not in names
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.query("SELECT Jira_Epic_Key__c FROM Escalation__c")
    assert exc.value.content[0]["errorCode"] == "INVALID_FIELD"


def test_fields_can_be_removed_at_construction(make_sandbox):
    sb = make_sandbox(remove_fields=("Escalation__c.Tier__c",))
    names = {f["name"] for f in testing.salesforce(sb).Escalation__c.describe()["fields"]}
    assert "Tier__c" not in names


def test_limits_and_the_limit_header_on_every_response(sandbox, sf, http):
    sf.query("SELECT Id FROM Account LIMIT 1")
    assert sf.api_usage["api-usage"].used == 1
    limits = sf.limits()
    assert limits["DailyApiRequests"] == {"Max": 15000, "Remaining": 15000 - 2}
    token = sandbox.issue_token()
    r = http.get(f"{sandbox.salesforce_url}/services/data/v59.0/sobjects/Account/{ACME}",
                 headers={"Authorization": f"Bearer {token}"})
    assert r.headers["Sforce-Limit-Info"] == "api-usage=3/15000"


def test_spent_daily_budget_is_request_limit_exceeded(make_sandbox):
    sb = make_sandbox(daily_api_limit=3)
    sf = testing.salesforce(sb)
    for _ in range(3):
        sf.query("SELECT Id FROM Account LIMIT 1")
    with pytest.raises(SalesforceRefusedRequest) as exc:
        sf.query("SELECT Id FROM Account LIMIT 1")
    assert exc.value.content == [{"message": "TotalRequests Limit exceeded.",
                                  "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
    from tests.sandbox.conftest import Admin

    admin = Admin(sb.admin_url)
    assert admin.call("POST", "/limits", {"max": 10}).json() == {"max": 10, "used": 0}
    assert sf.query("SELECT Id FROM Account LIMIT 1")["totalSize"] == 1


def test_account_and_user_shapes_from_the_book(sf):
    acme = sf.Account.get(ACME)
    assert acme["Email_Domains__c"] == "acme.example, acme-corp.example"
    globex = sf.Account.get("001000000000002AAA")
    assert globex["Segment__c"] == "enterprise" and globex["ARR__c"] == 520000.0
    ceo = sf.query("SELECT Name, Title, Escalation_Role__c, ManagerId FROM User WHERE "
                   "Escalation_Role__c = 'ceo'")["records"][0]
    assert ceo["Name"] == "Jordan Ellis" and ceo["ManagerId"] is None
