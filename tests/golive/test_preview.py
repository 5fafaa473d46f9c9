"""``escalation-sync preview`` (issue 12, item 3): read-only, and its counts are what the first cycle does."""

from __future__ import annotations

import json
from collections import Counter

import redis

from connectors.notify import NotifyEvent
from sync.cli import main
from tests.golive.test_first_cycle import POLL, runtime_on

READ_POSTS = ("/search", "/oauth2/token", "/services/oauth2/token")


def is_write(entry: dict) -> bool:
    """A request that changes something: not a GET, not a search or a token request."""
    if entry["method"] in ("GET", "HEAD", "OPTIONS"):
        return False
    return not any(part in entry["path"] for part in READ_POSTS)


def preview_json(sb, redis_url, monkeypatch, capsys, *extra: str) -> dict:
    for name, value in {**sb.env(), "REDIS_URL": redis_url, "POLL_INTERVAL_SECONDS": str(POLL),
                        "JIRA_SEARCH_SETTLE_SECONDS": "2"}.items():
        monkeypatch.setenv(name, value)
    capsys.readouterr()
    assert main(["preview", "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def test_preview_writes_nothing_and_its_counts_equal_the_first_cycle(any_sandbox, redis_url, monkeypatch, capsys):
    sb = any_sandbox
    sb.clear_requests()
    out = preview_json(sb, redis_url, monkeypatch, capsys)
    assert redis.Redis.from_url(redis_url).dbsize() == 0  # Redis untouched
    served = sb.requests(bodies=False)
    assert served and not [e for e in served if is_write(e)]  # Salesforce and Jira: reads only
    assert sb.escalations() == []
    assert len(out["escalations"]) >= 5 and all(e["found_in_history"] for e in out["escalations"])
    assert set(out["notifications"]) == {"quiet", "skip", "notify"}
    assert out["notifications"]["quiet"] == {"total": 1, "go_live_digest": 1}
    assert out["notifications"]["skip"]["total"] == 0

    sb.clear_requests()
    rt = runtime_on(sb, redis_url)
    told: list[NotifyEvent] = []
    summary, written = rt.cycle(notify=told.append)
    assert summary.opened == len(out["escalations"])
    assert {e.id for e in rt.store.escalations().values()} == {e["id"] for e in out["escalations"]}
    assert len(told) == out["notifications"]["quiet"]["total"]
    writes = Counter(e["system"] for e in sb.requests(bodies=False) if is_write(e))
    predicted = Counter()
    for name, n in out["api_calls"]["writes"].items():
        predicted[name.split()[0]] += n
    assert writes == predicted
    reads = Counter(e["system"] for e in sb.requests(bodies=False) if not is_write(e) and "oauth2" not in e["path"])
    assert reads == Counter({k.split()[0]: v for k, v in out["api_calls"]["reads"].items()}), (reads, out["api_calls"])
    for esc in out["escalations"]:
        got = rt.store.escalations([esc["id"]])[esc["id"]]
        assert (got.tier, got.severity.label, got.owner) == (esc["tier"], esc["severity"], esc["owner"])


def test_preview_under_skip_predicts_no_writes(sandbox, redis_url, monkeypatch, capsys):
    monkeypatch.setenv("GO_LIVE", "skip")
    out = preview_json(sandbox, redis_url, monkeypatch, capsys)
    assert out["go_live"] == "skip" and not any(e["written"] for e in out["escalations"])
    assert out["api_calls"]["writes"] == {}


def test_preview_prints_a_table_on_a_terminal(sandbox, redis_url, monkeypatch, capsys):
    for name, value in {**sandbox.env(), "REDIS_URL": redis_url}.items():
        monkeypatch.setenv(name, value)
    assert main(["preview"]) == 0
    text = capsys.readouterr().out
    assert "would open" in text and "history" in text and "Nothing was written" in text
