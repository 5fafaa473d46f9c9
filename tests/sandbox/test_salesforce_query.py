"""SOQL over REST: the subset a connector uses, Salesforce's error shapes, and paging."""

from __future__ import annotations

from datetime import timedelta

import pytest
from simple_salesforce import format_soql
from simple_salesforce.exceptions import SalesforceMalformedRequest

ACME = "001000000000001AAA"


def _error(exc: pytest.ExceptionInfo[SalesforceMalformedRequest]) -> dict:
    content = exc.value.content
    assert isinstance(content, list) and len(content) == 1
    return content[0]


def test_relationship_fields_come_back_nested_with_attributes(sf):
    rec = sf.query(format_soql("SELECT Id, Name, Owner.Email, Owner.Name, Owner.Manager.Email "
                               "FROM Account WHERE Id = {}", ACME))["records"][0]
    assert rec["attributes"] == {"type": "Account",
                                 "url": f"/services/data/v59.0/sobjects/Account/{ACME}"}
    assert rec["Owner"]["attributes"]["type"] == "User"
    assert rec["Owner"]["Email"] == "dana@vendor.example"
    assert rec["Owner"]["Manager"]["Email"] == "lee@vendor.example"


def test_fields_come_back_in_schema_casing_with_salesforce_value_formats(sf):
    rec = sf.query(f"select id, health_score__c, arr__c, systemmodstamp, customer_since__c "
                   f"from account where id = '{ACME}'")["records"][0]
    assert list(rec)[1:] == ["Id", "Health_Score__c", "ARR__c", "SystemModstamp",
                             "Customer_Since__c"]
    assert rec["Health_Score__c"] == 52.0 and isinstance(rec["ARR__c"], float)
    assert rec["SystemModstamp"].endswith("+0000") and "." in rec["SystemModstamp"]
    assert len(rec["Customer_Since__c"]) == 10


def test_account_history_rows_exist_for_every_health_sample(sf, sandbox):
    samples = sum(len(a.health) for a in sandbox.book.accounts)
    rows = sf.query_all("SELECT AccountId, Field, OldValue, NewValue, CreatedDate FROM "
                        "AccountHistory WHERE Field = 'Health_Score__c' ORDER BY CreatedDate, "
                        "Id")["records"]
    assert len(rows) == samples
    acme = [r for r in rows if r["AccountId"] == ACME]
    assert [r["NewValue"] for r in acme] == [84.0, 80.0, 78.0, 52.0]
    assert acme[0]["OldValue"] is None and acme[1]["OldValue"] == 84.0


def test_where_with_and_or_not_parentheses_in_like_and_null(sf):
    q = ("SELECT Name FROM Account WHERE (Segment__c = 'enterprise' OR ARR__c < 30000) AND NOT "
         "Name LIKE 'Hoo%' AND Id NOT IN ('001000000000004AAA') AND Renewal_Date__c != null "
         "ORDER BY Name")
    names = [r["Name"] for r in sf.query(q)["records"]]
    assert names == ["Acme Corp", "Cyberdyne Systems", "Globex", "Vandelay Imports"]


def test_mixing_and_with_or_without_parentheses_is_malformed(sf):
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.query("SELECT Id FROM Account WHERE Name = 'a' AND Name = 'b' OR Name = 'c'")
    err = _error(exc)
    assert err["errorCode"] == "MALFORMED_QUERY"
    assert "unexpected token: 'OR'" in err["message"] and "ERROR at Row:1:Column:" in err["message"]


def test_quoted_strings_honour_soql_escapes(sf):
    sf.Account.create({"Name": "O'Brien \\ Sons"})
    q = format_soql("SELECT Name FROM Account WHERE Name = {}", "O'Brien \\ Sons")
    assert "\\'" in q
    assert sf.query(q)["records"][0]["Name"] == "O'Brien \\ Sons"
    assert sf.query("SELECT Name FROM Account WHERE Name LIKE 'o\\'brien%'")["totalSize"] == 1


def test_string_equality_is_case_insensitive(sf):
    assert sf.query("SELECT Id FROM Account WHERE Name = 'ACME CORP'")["totalSize"] == 1


def test_unquoted_datetime_literals_in_z_and_offset_forms(sf, sandbox):
    cutoff = sandbox.book.now - timedelta(days=2)
    z = cutoff.strftime("%Y-%m-%dT%H:%M:%SZ")
    offset = (cutoff + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S+02:00")
    a = sf.query(f"SELECT Id FROM AccountHistory WHERE CreatedDate > {z}")["totalSize"]
    b = sf.query(f"SELECT Id FROM AccountHistory WHERE CreatedDate > {offset}")["totalSize"]
    c = sf.query(format_soql("SELECT Id FROM AccountHistory WHERE CreatedDate > {}", cutoff))
    assert a == b == c["totalSize"] and 0 < a < 21


def test_a_quoted_datetime_is_invalid_field_like_real_salesforce(sf):
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.query("SELECT Id FROM Account WHERE SystemModstamp > '2026-01-01T00:00:00Z'")
    err = _error(exc)
    assert err["errorCode"] == "INVALID_FIELD"
    assert ("value of filter criterion for field 'SystemModstamp' must be of type dateTime and "
            "should not be enclosed in quotes") in err["message"]


def test_date_literals_and_date_fields(sf):
    assert sf.query("SELECT Id FROM AccountHistory WHERE CreatedDate = LAST_N_DAYS:60"
                    )["totalSize"] == 21
    assert sf.query("SELECT Id FROM AccountHistory WHERE CreatedDate = LAST_N_DAYS:30"
                    )["totalSize"] == 19  # two samples are 31 and 50 days old
    assert sf.query("SELECT Id FROM AccountHistory WHERE CreatedDate > TODAY")["totalSize"] == 0
    assert sf.query("SELECT Id FROM Account WHERE Customer_Since__c < 2000-01-01")["totalSize"] == 0
    assert sf.query("SELECT Id FROM Account WHERE Renewal_Date__c > TODAY")["totalSize"] == 12


def test_order_by_with_nulls_last_limit_and_offset(sf):
    sf.Account.create({"Name": "No Health Inc"})
    recs = sf.query("SELECT Name, Health_Score__c FROM Account ORDER BY Health_Score__c DESC "
                    "NULLS LAST LIMIT 3 OFFSET 1")["records"]
    assert [r["Health_Score__c"] for r in recs] == [86.0, 81.0, 79.0]
    first = sf.query("SELECT Name FROM Account ORDER BY Health_Score__c ASC LIMIT 1")["records"]
    assert first[0]["Name"] == "No Health Inc"  # ASC puts nulls first by default


def test_count_returns_total_size_and_no_records(sf):
    assert sf.query("SELECT COUNT() FROM Account") == {"totalSize": 12, "done": True,
                                                       "records": []}


def test_unknown_field_object_and_relationship_errors(sf):
    cases = {
        "SELECT Nope__c FROM Account": ("INVALID_FIELD", "No such column 'Nope__c' on entity "
                                                         "'Account'"),
        "SELECT Id FROM Nope__c": ("INVALID_TYPE", "sObject type 'Nope__c' is not supported"),
        "SELECT Boss.Email FROM User": ("INVALID_FIELD", "Didn't understand relationship 'Boss'"),
        "SELECT Id FROM AccountHistory WHERE NewValue = 5": ("INVALID_FIELD",
                                                             "can not be filtered"),
        "SELECT Id FRM Account": ("MALFORMED_QUERY", "unexpected token"),
    }
    for q, (code, text) in cases.items():
        with pytest.raises(SalesforceMalformedRequest) as exc:
            sf.query(q)
        err = _error(exc)
        assert err["errorCode"] == code, q
        assert text in err["message"], q


def test_query_route_accepts_both_slash_forms_and_form_encoding(sandbox, http):
    token = sandbox.issue_token()
    for path in ("/services/data/v59.0/query", "/services/data/v59.0/query/"):
        r = http.get(sandbox.salesforce_url + path, params={"q": "SELECT Id FROM Account "
                                                                 "WHERE ARR__c >= 500000"},
                     headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200 and r.json()["totalSize"] == 2


def test_paging_past_2000_rows_with_query_all_and_next_records_url(sf, sandbox):
    for i in range(4500):
        sandbox.world.set_health(ACME, 50 + i % 40)
    first = sf.query("SELECT Id, NewValue FROM AccountHistory WHERE AccountId = "
                     f"'{ACME}' ORDER BY CreatedDate, Id")
    assert first["totalSize"] == 4504 and first["done"] is False
    assert len(first["records"]) == 2000
    assert first["nextRecordsUrl"].startswith("/services/data/v59.0/query/01g")
    assert first["nextRecordsUrl"].endswith("-2000")
    rows = sf.query_all("SELECT Id FROM AccountHistory WHERE AccountId = "
                        f"'{ACME}'")["records"]
    assert len(rows) == 4504 and len({r["Id"] for r in rows}) == 4504
    queries = [r for r in sandbox.requests("salesforce") if "/query" in r["path"]]
    assert len(queries) == 1 + 3  # the first page above, then three pages for query_all


def test_batch_size_header_is_honoured_and_clamped(sf):
    page = sf.query("SELECT Id FROM AccountHistory", headers={
        "Sforce-Query-Options": "batchSize=10"})  # below the minimum: 200
    assert page["done"] is True and len(page["records"]) == 21


def test_query_all_includes_deleted_records_and_query_does_not(sf):
    created = sf.Escalation__c.create({"External_Id__c": "ESC-DEL"})
    sf.Escalation__c.delete(created["id"])
    q = "SELECT Id, IsDeleted FROM Escalation__c WHERE External_Id__c = 'ESC-DEL'"
    assert sf.query(q)["totalSize"] == 0
    rows = sf.query(q, include_deleted=True)["records"]
    assert rows[0]["IsDeleted"] is True


def test_an_unknown_query_locator_is_invalid(sandbox, sf):
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.query_more("01g5g0000000zzzAAA-2000")
    assert _error(exc)["errorCode"] == "INVALID_QUERY_LOCATOR"


def test_lookups_through_account_relationships(sf):
    hist = sf.query(f"SELECT Account.Name, Account.Owner.Email FROM AccountHistory WHERE "
                    f"AccountId = '{ACME}' LIMIT 1")["records"][0]
    assert hist["Account"]["Name"] == "Acme Corp"
    assert hist["Account"]["Owner"]["Email"] == "dana@vendor.example"
    sf.Escalation__c.create({"External_Id__c": "LOOKUP", "Account__c": ACME})
    sf.Escalation__c.create({"External_Id__c": "NO-ACCOUNT"})
    rows = sf.query("SELECT External_Id__c, Account__r.Name FROM Escalation__c ORDER BY "
                    "External_Id__c")["records"]
    assert rows[0]["Account__r"]["Name"] == "Acme Corp" and rows[1]["Account__r"] is None
    assert sf.query("SELECT Id FROM Escalation__c WHERE Account__r.Name = 'acme corp'"
                    )["totalSize"] == 1
