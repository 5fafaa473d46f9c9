"""The Salesforce connector with simple-salesforce against the sandbox over HTTPS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from benchmarks.generate import generate
from connectors.errors import FatalError, RetriableError
from rules.book import parse_book
from sandbox.server import Sandbox
from sync.runtime import Runtime
from tests.paths import EXAMPLES
from tests.sync.conftest import settings_for


def test_changed_accounts_page_past_2000_rows(redis_url):
    book = parse_book(generate(tickets=10, accounts=4500, days=7))
    with Sandbox(book) as sb:
        sf = Runtime(settings_for(sb, redis_url)).salesforce
        rows = list(sf.accounts_since(None))
        assert len(rows) == 4500 and len({a.id for a, _, _ in rows}) == 4500
        pages = [r for r in sb.requests("salesforce", bodies=False) if "/query" in r["path"]]
        assert len(pages) == 3  # 2,000 + 2,000 + 500


def test_accounts_since_a_cursor_reads_only_later_changes(sandbox, runtime):
    sf = runtime.salesforce
    cursor = max(stamp for _, stamp, _ in sf.accounts_since(None))
    assert [a.id for a, _, _ in sf.accounts_since(cursor)] == []
    sandbox.clock.advance(5)  # the sandbox's clock: health changes move SystemModstamp past it
    admin = sandbox.admin_url
    import httpx
    httpx.post(f"{admin}/health", json={"account": "001000000000003AAA", "score": 42}).raise_for_status()
    changed = list(sf.accounts_since(cursor))
    assert [a.id for a, _, _ in changed] == ["001000000000003AAA"] and changed[0][2] == 42
    history = list(sf.health_since(cursor))
    assert [(a, s.score) for a, s in history] == [("001000000000003AAA", 42)]


def test_expired_session_is_refreshed_once_and_the_call_retried(sandbox, runtime):
    sf = runtime.salesforce
    list(sf.accounts_since(None))
    fetched = sf.tokens.fetches
    sandbox.expire_tokens()
    assert len(list(sf.accounts_since(None))) > 100
    assert sf.tokens.fetches == fetched + 1
    statuses = [r["status"] for r in sandbox.requests("salesforce", bodies=False)]
    assert 401 in statuses


def test_wrong_client_secret_is_a_fatal_error_naming_the_setting(sandbox, redis_url):
    rt = Runtime(settings_for(sandbox, redis_url, salesforce_client_secret="wrong"))
    with pytest.raises(FatalError, match="SALESFORCE_CLIENT_SECRET"):
        rt.salesforce.users()


def test_daily_limit_is_a_retriable_error(sandbox, runtime):
    runtime.salesforce.users()
    sandbox.set_api_budget(maximum=1, used=1)
    with pytest.raises(RetriableError, match="daily API request limit"):
        runtime.salesforce.users()


def test_upsert_creates_then_updates_by_external_id(sandbox, runtime):
    sf = runtime.salesforce
    record = {"External_Id__c": "ESC-X-1", "Account__c": "001000000000001AAA", "Severity__c": "SEV-3",
              "Tier__c": 2, "Status__c": "Open"}
    first = sf.upsert("Escalation__c", "External_Id__c", [record])
    second = sf.upsert("Escalation__c", "External_Id__c", [{**record, "Tier__c": 3}])
    assert first[0]["created"] is True and second[0]["created"] is False
    assert first[0]["id"] == second[0]["id"]
    rows = [r for r in sandbox.escalations() if r["External_Id__c"] == "ESC-X-1"]
    assert len(rows) == 1 and rows[0]["Tier__c"] == 3


def test_upsert_batches_200_records_a_call(sandbox, runtime):
    sf = runtime.salesforce
    sf.users()
    sandbox.clear_requests()
    records = [{"External_Id__c": f"ESC-B-{i}", "Account__c": "001000000000001AAA", "Tier__c": 2}
               for i in range(450)]
    results = sf.upsert("Escalation__c", "External_Id__c", records)
    assert all(r["success"] for r in results) and len(results) == 450
    calls = [r for r in sandbox.requests("salesforce", bodies=False) if "composite" in r["path"]]
    assert len(calls) == 3


def test_external_ids_with_quotes_are_escaped_in_soql(sandbox, runtime):
    sf = runtime.salesforce
    nasty = "ESC-' OR Name != '"
    sf.upsert("Escalation__c", "External_Id__c", [{"External_Id__c": "ESC-safe", "Tier__c": 1}])
    found = sf.get_by_external_ids("Escalation__c", "External_Id__c", [nasty])
    assert found == {}  # the quote stayed inside the string literal: no injection


def test_users_carry_role_and_manager(runtime):
    users = {u.email: u for u in runtime.salesforce.users()}
    assert users["dana@vendor.example"].role.value == "csm"
    assert users["dana@vendor.example"].manager == "lee@vendor.example"


def test_sf_datetime_reads_salesforce_offsets():
    from connectors.salesforce import sf_datetime
    assert sf_datetime("2026-11-20T12:00:00.000+0000") == datetime(2026, 11, 20, 12, tzinfo=UTC)
    assert sf_datetime("2026-11-20T13:00:00.000+0100") == datetime(2026, 11, 20, 12, tzinfo=UTC)
    assert sf_datetime(None) is None
    assert timedelta(0) == timedelta(0)


def test_jwt_bearer_login_signs_with_the_private_key(redis_url, tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = tmp_path / "key.pem"
    pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    with Sandbox(EXAMPLES / "small_book.yaml", jwt_public_key=public) as sb:
        rt = Runtime(settings_for(sb, redis_url, salesforce_client_secret=None,
                                  salesforce_username="dana@vendor.example", salesforce_private_key_file=pem))
        assert rt.salesforce.tokens.flow == "jwt-bearer"
        assert len(rt.salesforce.users()) > 5
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem.write_bytes(other.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()))
        stranger = Runtime(settings_for(sb, redis_url, salesforce_client_secret=None,
                                        salesforce_username="dana@vendor.example", salesforce_private_key_file=pem))
        with pytest.raises(FatalError, match="jwt-bearer"):
            stranger.salesforce.users()
