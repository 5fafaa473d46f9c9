"""The SLA watch's read of its own issues stays light when the cursor overlap holds many it has
read whole already (after a burst every epic and plan issue was touched within it), and still
follows what people change, also a change the search index showed late (issue 11: nothing
starves)."""

from __future__ import annotations

from datetime import UTC, timedelta
from urllib.parse import parse_qs

import pytest

import sync.lifecycle
from rules.models import Escalation
from sandbox.life import reassign_epic
from sandbox.server import Sandbox
from sync.lifecycle import ACTIVITY
from sync.runtime import Runtime
from tests.golive.test_people import DIRECTOR, epic_of, record_of, some_open, started


def activity_reads(sb: Sandbox) -> list[tuple[str, str]]:
    """(fields, jql) of each search of the connector's own issues since the log was cleared."""
    out = []
    for r in sb.requests("jira"):
        if "search" not in r["path"]:
            continue
        query = {k: ",".join(v) for k, v in parse_qs(r.get("query") or "").items()}
        body = r.get("body") if isinstance(r.get("body"), dict) else {}
        jql = str(body.get("jql") or query.get("jql") or "")
        fields = body.get("fields") or query.get("fields") or ""
        if "escalation-sync" in jql and "labels" in jql:
            out.append((",".join(fields) if isinstance(fields, list) else str(fields), jql))
    return out


@pytest.fixture
def light_from_a_few(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sync.lifecycle, "LIGHT_READ_FROM", 5)  # the small book has a few dozen issues


def other_owner(owner: str | None) -> str:
    return "kai@vendor.example" if owner != "kai@vendor.example" else "lee@vendor.example"


def read_whole_once(sb: Sandbox, redis_url: str) -> tuple[Runtime, Escalation, str]:
    """Gone live, then a watch that found every issue read whole before (the next starts light);
    an open escalation and someone else to own it."""
    rt = started(sb, redis_url)
    sb.clock.advance(20)
    rt.watch()
    esc = some_open(rt)
    return rt, esc, other_owner(esc.owner)


def assert_followed(sb: Sandbox, rt: Runtime, ext: str, new: str) -> None:
    assert rt.store.escalations([ext])[ext].owner == new
    assert record_of(sb, ext)["Owner_Email__c"] == new
    assert epic_of(sb, rt, ext).assignee == sb.site.find_user(new).account_id


def test_a_watch_over_a_window_of_new_issues_reads_them_whole_at_once(any_sandbox, redis_url, light_from_a_few):
    sb = any_sandbox
    rt = started(sb, redis_url)  # one watch, which found every issue new
    sb.clock.advance(20)
    sb.clear_requests()
    rt.watch()
    reads = activity_reads(sb)
    assert len(reads) == 1 and "comment" in reads[0][0], reads  # no light read first


def test_once_the_window_is_issues_read_before_a_quiet_watch_reads_one_field(any_sandbox, redis_url,
                                                                               light_from_a_few):
    sb = any_sandbox
    rt = started(sb, redis_url)
    sb.clock.advance(20)
    rt.watch()  # all of them read whole before: the next read starts light
    sb.clock.advance(20)
    sb.clear_requests()
    rt.watch()
    assert [f for f, _ in activity_reads(sb)] == ["updated"]  # nothing changed: nothing read whole


def test_a_light_read_reads_whole_from_the_change_on_and_follows_a_reassignment(any_sandbox, redis_url,
                                                                                  light_from_a_few):
    sb = any_sandbox
    rt, esc, new = read_whole_once(sb, redis_url)
    sb.clock.advance(60)
    reassign_epic(sb, rt.store.index(esc.id)["epic"], new, by=DIRECTOR)
    sb.clock.advance(20)
    sb.clear_requests()
    rt.watch()
    (light, window), (whole, recent) = activity_reads(sb)
    assert light == "updated" and "comment" in whole and recent > window  # whole from the change's minute
    assert_followed(sb, rt, esc.id, new)


def test_a_change_the_index_showed_late_inside_the_overlap_is_still_read_whole_and_followed(
        any_sandbox, redis_url, light_from_a_few):
    sb = any_sandbox
    rt, esc, new = read_whole_once(sb, redis_url)
    reassign_epic(sb, rt.store.index(esc.id)["epic"], new, by=DIRECTOR)
    changed = sb.clock.now()
    # a watch 90 s on read up to here without seeing the change (Jira's index was late)
    sb.clock.advance(90)
    rt.redis.hset(rt.store.k.cursor, ACTIVITY, (changed + timedelta(seconds=80)).astimezone(UTC).isoformat())
    sb.clock.advance(10)
    sb.clear_requests()
    rt.watch()
    reads = activity_reads(sb)
    assert [f for f, _ in reads][0] == "updated" and len(reads) == 2, reads
    assert_followed(sb, rt, esc.id, new)
