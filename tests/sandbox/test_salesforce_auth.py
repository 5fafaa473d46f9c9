"""OAuth token endpoint, session expiry and the refresh behaviour of simple-salesforce."""

from __future__ import annotations

import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceExpiredSession,
)

from sandbox import testing


def test_client_credentials_with_basic_auth_returns_the_real_token_shape(sandbox, http):
    env = sandbox.env()
    r = http.post(f"{env['SALESFORCE_LOGIN_URL']}/services/oauth2/token",
                  data={"grant_type": "client_credentials"},
                  auth=(env["SALESFORCE_CLIENT_ID"], env["SALESFORCE_CLIENT_SECRET"]))
    assert r.status_code == 200
    body = r.json()
    assert set(body) >= {"access_token", "instance_url", "id", "token_type", "issued_at",
                         "signature", "scope"}
    assert body["token_type"] == "Bearer"
    assert body["instance_url"] == sandbox.salesforce_url
    assert not body["instance_url"].endswith("/")
    assert body["issued_at"].isdigit()


def test_client_credentials_in_the_form_work_too(sandbox, http):
    env = sandbox.env()
    r = http.post(f"{env['SALESFORCE_LOGIN_URL']}/services/oauth2/token", data={
        "grant_type": "client_credentials", "client_id": env["SALESFORCE_CLIENT_ID"],
        "client_secret": env["SALESFORCE_CLIENT_SECRET"]})
    assert r.status_code == 200 and r.json()["access_token"]


def test_wrong_client_secret_is_invalid_client(sandbox, http):
    r = http.post(f"{sandbox.salesforce_url}/services/oauth2/token",
                  data={"grant_type": "client_credentials"},
                  auth=(sandbox.env()["SALESFORCE_CLIENT_ID"], "wrong"))
    assert r.status_code == 400
    assert r.json() == {"error": "invalid_client",
                        "error_description": "invalid client credentials"}


def test_simple_salesforce_client_credentials_login_goes_through_the_sandbox(sandbox):
    sf = testing.salesforce_logged_in(sandbox)
    assert sf.query("SELECT Id FROM Account LIMIT 1")["totalSize"] == 1
    paths = [r["path"] for r in sandbox.requests("salesforce")]
    assert paths[0] == "/services/oauth2/token"


def test_simple_salesforce_login_with_a_bad_secret_raises_authentication_failed(sandbox):
    with pytest.raises(SalesforceAuthenticationFailed):
        Salesforce(consumer_key=sandbox.env()["SALESFORCE_CLIENT_ID"], consumer_secret="nope",
                   domain="sandbox.my", session=testing.SandboxSession(sandbox))


def _rsa_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


def test_jwt_bearer_login_with_simple_salesforce_and_signature_check(make_sandbox):
    private, public = _rsa_pair()
    sb = make_sandbox(jwt_public_key=public)
    sf = Salesforce(username="dana@vendor.example", consumer_key=sb.env()["SALESFORCE_CLIENT_ID"],
                    privatekey=private, domain="sandbox.my",
                    session=testing.SandboxSession(sb))
    assert sf.query("SELECT COUNT() FROM User")["totalSize"] > 5


def test_jwt_with_a_foreign_issuer_or_key_is_an_invalid_grant(make_sandbox):
    private, public = _rsa_pair()
    other, _ = _rsa_pair()
    sb = make_sandbox(jwt_public_key=public)
    http = testing.SandboxSession(sb)
    claims = {"iss": "someone-else", "sub": "dana@vendor.example", "aud":
              "https://login.salesforce.com", "exp": int(time.time()) + 180}
    for key, iss in ((private, "someone-else"), (other, sb.env()["SALESFORCE_CLIENT_ID"])):
        assertion = jwt.encode(dict(claims, iss=iss), key, algorithm="RS256")
        r = http.post(f"{sb.salesforce_url}/services/oauth2/token", data={
            "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion})
        assert r.status_code == 400
        assert r.json() == {"error": "invalid_grant", "error_description": "authentication failure"}


def test_unknown_or_expired_token_is_a_401_json_list(sandbox, http):
    r = http.get(f"{sandbox.salesforce_url}/services/data/v59.0/limits/",
                 headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401
    assert r.json() == [{"message": "Session expired or invalid",
                         "errorCode": "INVALID_SESSION_ID"}]


def test_direct_session_gets_expired_session_after_expire_tokens(sandbox, sf, admin):
    sf.query("SELECT Id FROM Account LIMIT 1")
    assert admin.call("POST", "/expire-tokens").json()["expired"] >= 1
    with pytest.raises(SalesforceExpiredSession):
        sf.query("SELECT Id FROM Account LIMIT 1")


def test_a_client_that_logged_in_itself_refreshes_after_expiry(sandbox, admin):
    sf = testing.salesforce_logged_in(sandbox)
    sf.query("SELECT Id FROM Account LIMIT 1")
    admin.call("POST", "/expire-tokens")
    assert sf.query("SELECT Id FROM Account LIMIT 1")["totalSize"] == 1
    created = sf.Escalation__c.create({"External_Id__c": "after-refresh"})  # SFType path too
    assert created["success"] is True
    logins = [r for r in sandbox.requests("salesforce") if r["path"] == "/services/oauth2/token"]
    assert len(logins) == 2


def test_tokens_expire_after_the_configured_ttl_on_the_sandbox_clock(make_sandbox, admin=None):
    sb = make_sandbox(token_ttl_seconds=60)
    sf = testing.salesforce(sb)
    sf.query("SELECT Id FROM User LIMIT 1")
    sb.clock.advance(61)
    with pytest.raises(SalesforceExpiredSession):
        sf.query("SELECT Id FROM User LIMIT 1")
    fresh = testing.salesforce(sb)  # a newly issued token is always accepted
    assert fresh.query("SELECT Id FROM User LIMIT 1")["totalSize"] == 1
