"""A Composite sObject Collections request naming an unknown field fails as a whole.

Salesforce's REST API guide ("Create Records Using sObject Collections"): a request that is not
well formed gets 400 Bad Request; only a well-formed one gets 200 with a result per record. A
record whose body does not map onto its sObject type makes the request not well formed.
"""

from __future__ import annotations

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest

from sandbox import testing
from sandbox.server import Sandbox


@pytest.fixture
def sf():
    with Sandbox() as sb:
        yield sb, testing.salesforce(sb)


def escalation(ext: str, **extra) -> dict:
    return {"attributes": {"type": "Escalation__c"}, "External_Id__c": ext, **extra}


def count(client) -> int:
    return client.query("SELECT COUNT() FROM Escalation__c")["totalSize"]


def test_an_unknown_field_fails_the_whole_request_and_writes_nothing(sf):
    sb, client = sf
    before = count(client)
    with pytest.raises(SalesforceMalformedRequest) as exc:
        client.restful("composite/sobjects", method="POST", json={"allOrNone": False, "records": [
            escalation("ESC-GOOD"), escalation("ESC-BAD", Not_A_Field__c="x")]})
    assert exc.value.content == [{"message": "No such column 'Not_A_Field__c' on sobject of type Escalation__c",
                                  "errorCode": "INVALID_FIELD"}]
    assert count(client) == before  # the well-formed record was not created either


def test_a_record_level_failure_still_fails_only_that_record(sf):
    sb, client = sf
    results = client.restful("composite/sobjects", method="POST", json={"allOrNone": False, "records": [
        escalation("ESC-ONE"), {"attributes": {"type": "Escalation__c"}, "Id": "a00000000000001AAA"}]})
    assert results[0]["success"] is True and results[1]["success"] is False
