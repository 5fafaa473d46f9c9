"""Outbound webhook notifications: payload, routing, retries, secrecy, de-duplication.

HTTP is mocked with respx (no network); the Redis "already sent" memory runs against a real
redis-server.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import respx
from pydantic import ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from connectors.notify import (
    MemorySentStore,
    Notifier,
    NotifyConfig,
    NotifyEvent,
    RedisSentStore,
    event_key,
    redact,
    slack_message,
)
from rules.models import Breach, Escalation, ExecSponsor, PlanStep, Severity, Trigger, external_id

OPENED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SECRET_PARTS = ("T0SECRET1", "B0SECRET2", "xyzSECRETtoken", "services")
HOOK = "https://hooks.slack.com/services/T0SECRET1/B0SECRET2/xyzSECRETtoken"
HOOK_TIER3 = "https://hooks.slack.com/services/T0SECRET1/B0SECRET2/tier3SECRETtoken"
HOOK_CRO = "https://chat.example/hooks/T0SECRET1/croSECRETtoken"
HOOK_DEFAULT = "https://hooks.slack.com/services/T0SECRET1/B0SECRET2/defaultSECRETtoken"


def escalation(severity: int = 1, tier: int = 3, **kw: object) -> Escalation:
    values: dict[str, object] = dict(
        id=external_id("001A", OPENED), account="001A", account_name="Acme Corp", opened=OPENED,
        severity=Severity(severity), tier=tier, owner="rosa@vendor.example")
    values.update(kw)
    return Escalation(**values)  # type: ignore[arg-type]


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    # trust_env=False: other tests leave SSL_CERT_FILE pointing at a stopped sandbox's CA
    with httpx.Client(trust_env=False) as c:
        yield c


def notifier(routes: dict[str, object], client: httpx.Client, sleeps: Sleeps,
             **kw: object) -> Notifier:
    return Notifier(NotifyConfig.model_validate(routes), client=client, sleep=sleeps,
                    rand=lambda: 1.0, **kw)  # type: ignore[arg-type]


def assert_no_secret(text: str) -> None:
    for part in SECRET_PARTS:
        assert part not in text, f"{part!r} leaked into {text!r}"


# --- the message -------------------------------------------------------------------------------

def test_message_shows_account_severity_tier_owner_epic_and_reasons() -> None:
    esc = escalation(exec_sponsor=ExecSponsor(required=True, due=OPENED + timedelta(hours=24)))
    msg = slack_message(esc, "new_escalation", ["keyword 'cancel' in SUP-101", "ARR above $500K"],
                        epic_key="ESC-42", epic_url="https://jira.example/browse/ESC-42")
    assert set(msg) == {"text", "blocks"}
    assert "New SEV-1 escalation: Acme Corp" in msg["text"]
    blob = json.dumps(msg["blocks"])
    for expected in ("Acme Corp", "001A", "SEV-1", "*Tier*\\n3", "rosa@vendor.example",
                     "<https://jira.example/browse/ESC-42|ESC-42>", "keyword 'cancel' in SUP-101",
                     "ARR above $500K", "required by 2026-11-03 09:00Z", esc.id):
        assert expected in blob, expected
    assert msg["blocks"][0]["type"] == "header"


def test_message_without_epic_or_reasons_says_so() -> None:
    msg = slack_message(escalation(owner=None), "tier_rise")
    blob = json.dumps(msg)
    assert "Escalation raised to tier 3" in msg["text"]
    assert "not created yet" in blob and "unassigned" in blob and "*Why*" not in blob


def test_message_escapes_slack_markup_in_customer_text() -> None:
    msg = slack_message(escalation(account_name="<!channel> & co"), "sla_breach", ["<@U123> said"])
    assert msg["blocks"][0]["text"]["type"] == "plain_text"  # shown literally
    mrkdwn = json.dumps([msg["text"], *msg["blocks"][1:]])
    assert "<!channel>" not in mrkdwn and "<@U123>" not in mrkdwn
    assert "&lt;!channel&gt; &amp; co" in mrkdwn and "&lt;@U123&gt;" in mrkdwn


def test_event_keys_are_deterministic_per_happening() -> None:
    esc = escalation(tier=2)
    assert event_key("new_escalation", esc) == f"{esc.id}|new_escalation"
    assert event_key("tier_rise", esc) == f"{esc.id}|tier_rise|2"
    assert event_key("tier_rise", escalation(tier=3)) != event_key("tier_rise", esc)
    breach = Breach(clock="acknowledge", due=OPENED + timedelta(minutes=15),
                    at=OPENED + timedelta(minutes=16))
    assert event_key("sla_breach", escalation(breaches=(breach,))).endswith(
        "|sla_breach|acknowledge|20261102T091500Z")
    assert NotifyEvent("exec_sponsor", esc).key == f"{esc.id}|exec_sponsor|-"
    with pytest.raises(ValueError, match="unknown event kind"):
        NotifyEvent("party", esc)  # type: ignore[arg-type]


# --- configuration -----------------------------------------------------------------------------

def test_config_short_and_long_forms_and_env_var(monkeypatch: pytest.MonkeyPatch) -> None:
    short = NotifyConfig.model_validate({"default": HOOK, "tier:3": [HOOK_TIER3]})
    assert short.routes["default"][0].get_secret_value() == HOOK
    long = NotifyConfig.model_validate({"routes": {"role:cro": HOOK_CRO},
                                        "new_escalation_severities": ["SEV-1"]})
    assert long.new_escalation_severities == ("SEV-1",)

    class Settings(BaseSettings):  # the field suggested for sync/settings.py
        model_config = SettingsConfigDict(env_file=None)
        notify_webhooks: NotifyConfig = NotifyConfig()

    assert Settings().notify_webhooks.routes == {}
    monkeypatch.setenv("NOTIFY_WEBHOOKS", json.dumps({"tier:3": [HOOK_TIER3], "default": [HOOK]}))
    settings = Settings()
    assert list(settings.notify_webhooks.routes) == ["tier:3", "default"]
    assert_no_secret(repr(settings) + str(settings) + settings.model_dump_json())


@pytest.mark.parametrize("bad", [
    {"tier:9": [HOOK]}, {"role:janitor": HOOK}, {"tier:3": "ftp://x/T0SECRET1/xyzSECRETtoken"},
    {HOOK: "tier:3"}, [HOOK], HOOK, {"tier:3": {"a": HOOK}}, {"routes": {"default": HOOK}, "x": 1},
    {"routes": {"default": HOOK}, "new_escalation_severities": [HOOK]},
])
def test_bad_config_is_refused_without_echoing_a_url(bad: object,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError) as direct:
        NotifyConfig.model_validate(bad)
    assert_no_secret(str(direct.value))

    class Settings(BaseSettings):
        model_config = SettingsConfigDict(env_file=None)
        notify_webhooks: NotifyConfig = NotifyConfig()

    monkeypatch.setenv("NOTIFY_WEBHOOKS", json.dumps(bad))
    with pytest.raises(ValidationError) as nested:
        Settings()
    assert_no_secret(str(nested.value))


def test_redact_keeps_scheme_and_host_only() -> None:
    assert redact(HOOK) == "https://hooks.slack.com/…"
    assert redact("http://user:pw@127.0.0.1:8080/a/b?c=d") == "http://127.0.0.1:8080/…"
    assert redact("not a url") == "webhook…"


# --- routing -----------------------------------------------------------------------------------

def human_escalation() -> Escalation:
    return escalation(severity=2, tier=2, triggers=(Trigger(
        id="t1", kind="keyword", account="001A", at=OPENED, tickets=("SUP-101",),
        reason="'cancel' in a customer's ticket"),), plan=(
        PlanStep(step="intake", owner="rosa@vendor.example", due=OPENED + timedelta(hours=1)),
        PlanStep(step="investigation", owner="rosa@vendor.example", due=OPENED + timedelta(hours=5))))


def test_the_message_reads_like_a_person_wrote_it() -> None:
    msg = slack_message(human_escalation(), "new_escalation", ["keyword 'cancel' in SUP-101"],
                        epic_key="ESC-42", epic_url="https://jira.example/browse/ESC-42", arr=620_000,
                        owner_name="Rosa Diaz", record_url="https://org.example/lightning/r/Escalation__c/a01/view")
    assert msg["text"].splitlines() == [
        "*New SEV-2 escalation: Acme Corp*",
        "Acme Corp ($620K ARR) has a new SEV-2, tier 2 escalation, owned by Rosa Diaz.",
        "*Why:* Watched words at 2026-11-02 09:00Z on SUP-101: 'cancel' in a customer's ticket",
        "*Next:* Intake and ownership: acknowledge the customer, due Mon 2 Nov 10:00 UTC",
        "<https://jira.example/browse/ESC-42|Jira epic ESC-42> · "
        "<https://org.example/lightning/r/Escalation__c/a01/view|Salesforce record>",
    ]
    buttons = next(b for b in msg["blocks"] if b["type"] == "actions")["elements"]
    assert [(b["text"]["text"], b["url"]) for b in buttons] == [
        ("Open the epic", "https://jira.example/browse/ESC-42"),
        ("Open the record", "https://org.example/lightning/r/Escalation__c/a01/view")]
    assert "*ARR*\\n$620K ARR" in json.dumps(msg["blocks"])


def test_the_arr_the_escalation_carries_is_named_without_the_caller_passing_it() -> None:
    esc = human_escalation().model_copy(update={"arr": 1_200_000})
    assert "Acme Corp ($1.2M ARR) has a new SEV-2" in slack_message(esc, "new_escalation")["text"]


def test_once_acknowledged_the_next_step_is_the_investigation() -> None:
    esc = human_escalation().model_copy(update={"acknowledged_at": OPENED + timedelta(minutes=20)})
    text = slack_message(esc, "tier_rise", ["Tier raised 2 -> 3"])["text"]
    assert "*Next:* Investigation: the full factual picture, due Mon 2 Nov 14:00 UTC" in text
    assert "*Why:* Tier raised 2 -&gt; 3" in text and "still owns it" in text


def test_a_breach_says_which_deadline_was_missed() -> None:
    esc = human_escalation().model_copy(update={"breaches": (
        Breach(clock="acknowledge", due=OPENED + timedelta(hours=1), at=OPENED + timedelta(hours=1)),)})
    text = slack_message(esc, "sla_breach", ["acknowledge missed"], arr=2_500_000)["text"]
    assert "Acme Corp ($2.5M ARR) missed its acknowledge deadline (Mon 2 Nov 10:00 UTC)" in text


@respx.mock
def test_block_kit_goes_to_slack_and_text_to_other_slack_compatible_hooks(client: httpx.Client,
                                                                         sleeps: Sleeps) -> None:
    slack = respx.post(HOOK).mock(return_value=httpx.Response(200, text="ok"))
    other = respx.post(HOOK_CRO).mock(return_value=httpx.Response(200, text="ok"))
    n = notifier({"tier:2": [HOOK, HOOK_CRO]}, client, sleeps, salesforce_url="https://org.example/")
    n.send(NotifyEvent("new_escalation", human_escalation(), record_id="a01XX", arr=90_000))
    to_slack = json.loads(slack.calls.last.request.content)
    to_other = json.loads(other.calls.last.request.content)
    assert set(to_slack) == {"text", "blocks"} and set(to_other) == {"text"}
    assert to_other["text"] == to_slack["text"]
    assert "<https://org.example/lightning/r/Escalation__c/a01XX/view|Salesforce record>" in to_other["text"]
    assert "($90K ARR)" in to_other["text"]


@respx.mock
@pytest.mark.parametrize(("choice", "keys"), [("always", {"text", "blocks"}), ("never", {"text"})])
def test_block_kit_can_be_forced_either_way(client: httpx.Client, sleeps: Sleeps, choice: str,
                                            keys: set[str]) -> None:
    route = respx.post(HOOK_CRO if choice == "always" else HOOK).mock(return_value=httpx.Response(200))
    url = HOOK_CRO if choice == "always" else HOOK
    n = notifier({"routes": {"default": url}, "block_kit": choice}, client, sleeps)
    n.send(NotifyEvent("new_escalation", human_escalation()))
    assert set(json.loads(route.calls.last.request.content)) == keys


ROUTES = {"tier:3": [HOOK_TIER3], "role:cro": [HOOK_CRO], "default": [HOOK_DEFAULT]}


@respx.mock
def test_routes_by_tier_role_and_default(client: httpx.Client, sleeps: Sleeps) -> None:
    tier3 = respx.post(HOOK_TIER3).mock(return_value=httpx.Response(200, text="ok"))
    cro = respx.post(HOOK_CRO).mock(return_value=httpx.Response(200, text="ok"))
    default = respx.post(HOOK_DEFAULT).mock(return_value=httpx.Response(200, text="ok"))
    n = notifier(ROUTES, client, sleeps)

    out = n.send(NotifyEvent("new_escalation", escalation(tier=3)))
    assert out.ok and out.sent == 1 and tier3.call_count == 1
    assert out.deliveries[0].routes == ("tier:3",)

    out = n.send(NotifyEvent("tier_rise", escalation(tier=4), roles=("cro", "ceo", "cto")))
    assert out.sent == 1 and cro.call_count == 1 and tier3.call_count == 1

    out = n.send(NotifyEvent("new_escalation", escalation(tier=2)))
    assert out.sent == 1 and default.call_count == 1  # default: nothing else matched
    body = json.loads(default.calls.last.request.content)
    assert "Acme Corp" in body["text"] and body["blocks"]


@respx.mock
def test_a_url_on_several_matching_routes_is_posted_once(client: httpx.Client,
                                                         sleeps: Sleeps) -> None:
    route = respx.post(HOOK).mock(return_value=httpx.Response(200, text="ok"))
    n = notifier({"tier:4": HOOK, "role:ceo": HOOK, "severity:SEV-1": HOOK}, client, sleeps)
    out = n.send(NotifyEvent("tier_rise", escalation(tier=4), roles=("ceo",)))
    assert route.call_count == 1
    assert out.deliveries[0].routes == ("tier:4", "role:ceo", "severity:SEV-1")


@respx.mock
def test_no_route_and_low_severity_skip_without_posting(client: httpx.Client,
                                                        sleeps: Sleeps) -> None:
    route = respx.post(HOOK_TIER3).mock(return_value=httpx.Response(200))
    n = notifier({"tier:3": HOOK_TIER3}, client, sleeps)
    assert n.send(NotifyEvent("new_escalation", escalation(tier=2))).skipped
    low = n.send(NotifyEvent("new_escalation", escalation(severity=3, tier=3)))
    assert low.skipped == "SEV-3 is below the notify threshold" and low.ok
    assert n.send(NotifyEvent("tier_rise", escalation(severity=3, tier=3))).sent == 1
    assert route.call_count == 1


@respx.mock
def test_epic_link_built_from_jira_url(client: httpx.Client, sleeps: Sleeps) -> None:
    route = respx.post(HOOK).mock(return_value=httpx.Response(200))
    n = notifier({"default": HOOK}, client, sleeps, jira_url="https://jira.example/")
    n.send(NotifyEvent("sla_breach", escalation(), epic_key="ESC-7", reasons=("ack missed",)))
    assert "<https://jira.example/browse/ESC-7|ESC-7>" in route.calls.last.request.content.decode()


# --- retries -----------------------------------------------------------------------------------

@respx.mock
def test_retries_a_500_then_succeeds(client: httpx.Client, sleeps: Sleeps) -> None:
    route = respx.post(HOOK).mock(side_effect=[httpx.Response(500), httpx.Response(200, text="ok")])
    out = notifier({"default": HOOK}, client, sleeps, backoff=0.5).send(
        NotifyEvent("new_escalation", escalation()))
    assert out.ok and route.call_count == 2
    assert out.deliveries[0].attempts == 2 and out.deliveries[0].http_status == 200
    assert sleeps == [0.5]  # backoff x jitter (1.0 here)


@respx.mock
def test_backoff_grows_exponentially_with_jitter_and_is_capped(client: httpx.Client,
                                                               sleeps: Sleeps) -> None:
    respx.post(HOOK).mock(return_value=httpx.Response(502))
    n = Notifier(NotifyConfig.model_validate({"default": HOOK}), client=client, sleep=sleeps,
                 attempts=5, backoff=1.0, max_delay=3.0, rand=lambda: 0.0)
    n.send(NotifyEvent("new_escalation", escalation()))
    assert sleeps == [0.5, 1.0, 1.5, 1.5]  # 1, 2, 4->3, 8->3, each halved by the jitter


@respx.mock
def test_429_honours_integer_retry_after(client: httpx.Client, sleeps: Sleeps) -> None:
    route = respx.post(HOOK).mock(side_effect=[
        httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200, text="ok")])
    out = notifier({"default": HOOK}, client, sleeps).send(NotifyEvent("new_escalation",
                                                                        escalation()))
    assert out.ok and route.call_count == 2 and sleeps == [7.0]


@respx.mock
def test_429_retry_after_is_capped(client: httpx.Client, sleeps: Sleeps) -> None:
    respx.post(HOOK).mock(side_effect=[httpx.Response(429, headers={"Retry-After": "3600"}),
                                       httpx.Response(200)])
    notifier({"default": HOOK}, client, sleeps, max_delay=4.0).send(
        NotifyEvent("new_escalation", escalation()))
    assert sleeps == [4.0]


@respx.mock
def test_gives_up_after_n_attempts_without_raising(client: httpx.Client, sleeps: Sleeps) -> None:
    route = respx.post(HOOK).mock(return_value=httpx.Response(503))
    out = notifier({"default": HOOK}, client, sleeps, attempts=3).send(
        NotifyEvent("new_escalation", escalation()))
    assert route.call_count == 3 and len(sleeps) == 2
    assert not out.ok and out.failed[0].attempts == 3 and out.failed[0].error == "HTTP 503"


@respx.mock
def test_404_is_not_retried(client: httpx.Client, sleeps: Sleeps) -> None:
    route = respx.post(HOOK).mock(return_value=httpx.Response(404, text="no_service"))
    out = notifier({"default": HOOK}, client, sleeps).send(NotifyEvent("new_escalation",
                                                                        escalation()))
    assert route.call_count == 1 and sleeps == []
    assert out.failed[0].error == "HTTP 404 (no_service)" and out.failed[0].http_status == 404


@respx.mock
def test_timeouts_are_retried_then_reported(client: httpx.Client, sleeps: Sleeps) -> None:
    route = respx.post(HOOK).mock(side_effect=httpx.ReadTimeout("timed out"))
    out = notifier({"default": HOOK}, client, sleeps, attempts=2).send(
        NotifyEvent("new_escalation", escalation()))
    assert route.call_count == 2 and len(sleeps) == 1
    assert out.failed[0].error == "timed out (ReadTimeout)" and out.failed[0].http_status is None


@respx.mock
def test_a_timeout_then_success_delivers(client: httpx.Client, sleeps: Sleeps) -> None:
    respx.post(HOOK).mock(side_effect=[httpx.ConnectTimeout("slow"), httpx.Response(200)])
    assert notifier({"default": HOOK}, client, sleeps).send(
        NotifyEvent("exec_sponsor", escalation())).ok


def test_real_short_timeout_against_a_silent_server(sleeps: Sleeps) -> None:
    """No mock: a listening socket that never answers; the read timeout fires and is reported."""
    import socket

    with socket.socket() as server, httpx.Client(trust_env=False) as c:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        url = f"http://127.0.0.1:{server.getsockname()[1]}/services/T0SECRET1/xyzSECRETtoken"
        n = Notifier(NotifyConfig.model_validate({"default": url}), client=c, sleep=sleeps,
                     attempts=2, timeout=0.2)
        out = n.send(NotifyEvent("new_escalation", escalation()))
    assert not out.ok and "timed out" in (out.failed[0].error or "")
    assert_no_secret(repr(out))


# --- secrecy -----------------------------------------------------------------------------------

@pytest.mark.parametrize("outcome", [
    httpx.Response(200, text="ok"), httpx.Response(500), httpx.Response(404, text="no_service"),
    httpx.Response(403, text=f"denied for {HOOK}"), httpx.ConnectError(f"cannot reach {HOOK}"),
    httpx.ReadTimeout(f"timed out talking to {HOOK}"),
])
def test_webhook_url_never_appears_in_logs_or_outcome(outcome: object, client: httpx.Client,
                                                      sleeps: Sleeps,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with respx.mock:
        respx.post(HOOK).mock(side_effect=lambda request: _raise_or_return(outcome))
        out = notifier({"default": HOOK}, client, sleeps).send(
            NotifyEvent("new_escalation", escalation()))
    assert caplog.records, "the delivery is logged"
    assert_no_secret(caplog.text)
    assert_no_secret(repr(out) + str(out) + " ".join(d.error or "" for d in out.deliveries))
    assert "https://hooks.slack.com/…" in caplog.text


def _raise_or_return(outcome: object) -> httpx.Response:
    if isinstance(outcome, Exception):
        raise outcome
    assert isinstance(outcome, httpx.Response)
    return outcome


def test_httpx_request_log_line_is_redacted(client: httpx.Client, sleeps: Sleeps,
                                            caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="httpx")
    with respx.mock:
        respx.post(HOOK).mock(return_value=httpx.Response(200))
        notifier({"default": HOOK}, client, sleeps).send(NotifyEvent("new_escalation",
                                                                      escalation()))
    lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert lines and all("hooks.slack.com/…" in line for line in lines)
    assert_no_secret("\n".join(lines))


class BrokenStore:
    def seen(self, key: str) -> bool:
        raise ConnectionError("redis down")

    def mark(self, key: str) -> None:
        raise ConnectionError("redis down")


@respx.mock
def test_never_raises_even_when_the_memory_or_client_breaks(client: httpx.Client,
                                                            sleeps: Sleeps) -> None:
    route = respx.post(HOOK).mock(return_value=httpx.Response(200))
    n = notifier({"default": HOOK}, client, sleeps, sent=BrokenStore())
    assert n.send(NotifyEvent("new_escalation", escalation())).ok  # posts anyway
    assert route.call_count == 1
    client.close()  # a closed client raises RuntimeError on use
    out = n.send(NotifyEvent("tier_rise", escalation()))
    assert out.skipped == "internal error: RuntimeError"


# --- de-duplication ----------------------------------------------------------------------------

@respx.mock
def test_same_key_is_posted_once(client: httpx.Client, sleeps: Sleeps) -> None:
    route = respx.post(HOOK).mock(return_value=httpx.Response(200))
    n = notifier({"default": HOOK}, client, sleeps, sent=MemorySentStore())
    first = n.send(NotifyEvent("new_escalation", escalation(), key="k1"))
    again = n.send(NotifyEvent("new_escalation", escalation(), key="k1"))
    other = n.send(NotifyEvent("new_escalation", escalation(), key="k2"))
    assert first.sent == 1 and again.sent == 0 and other.sent == 1
    assert again.deliveries[0].status == "already_sent" and again.ok
    assert route.call_count == 2


@respx.mock
def test_a_retry_posts_only_to_the_webhooks_that_failed(client: httpx.Client,
                                                        sleeps: Sleeps) -> None:
    good = respx.post(HOOK_TIER3).mock(return_value=httpx.Response(200))
    flaky = respx.post(HOOK_CRO).mock(side_effect=[httpx.Response(500), httpx.Response(500),
                                                   httpx.Response(200)])
    n = notifier({"tier:3": HOOK_TIER3, "role:cro": HOOK_CRO}, client, sleeps, attempts=2)
    event = NotifyEvent("tier_rise", escalation(tier=3), roles=("cro",))
    first = n.send(event)
    assert [d.status for d in first.deliveries] == ["sent", "failed"]
    second = n.send(event)  # the task retried
    assert [d.status for d in second.deliveries] == ["already_sent", "sent"]
    assert good.call_count == 1 and flaky.call_count == 3


# --- the Redis memory --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def redis_client() -> Iterator[object]:
    import shutil

    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    from tests.redis_server import RedisServer

    server = RedisServer()
    try:
        yield server.client
    finally:
        server.stop()


def test_redis_store_remembers_across_notifiers_with_a_ttl(redis_client, client: httpx.Client,
                                                           sleeps: Sleeps) -> None:
    store = RedisSentStore(redis_client, namespace="test-notify")
    assert not store.seen("a")
    store.mark("a")
    assert store.seen("a") and not store.seen("b")
    ttl = redis_client.ttl("test-notify:notified:a")
    assert 7 * 24 * 3600 - 60 < ttl <= 7 * 24 * 3600

    with respx.mock:
        route = respx.post(HOOK).mock(return_value=httpx.Response(200))
        event = NotifyEvent("new_escalation", escalation())
        worker1 = notifier({"default": HOOK}, client, sleeps,
                           sent=RedisSentStore(redis_client, "test-notify"))
        worker2 = notifier({"default": HOOK}, client, sleeps,
                           sent=RedisSentStore(redis_client, "test-notify"))
        assert worker1.send(event).sent == 1
        assert worker2.send(event).deliveries[0].status == "already_sent"
        assert route.call_count == 1
    keys = [k.decode() for k in redis_client.keys("test-notify:notified:*")]
    assert any(k.startswith(f"test-notify:notified:{event.key}@") for k in keys)
    assert_no_secret(" ".join(keys))
