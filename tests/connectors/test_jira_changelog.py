"""A busy epic's changelog is read whole, end to end on the sandbox (issue 11, item 1).

Jira Cloud's enhanced search embeds only the 40 most recent changelog histories of an issue
(JRACLOUD-96459); a person's reassignment followed by 40 later changes (the connector's own field
updates, other people's edits) is not in the search answer. The connector reads the whole
changelog (``GET issue/{key}/changelog``, paged) when the embedded one is cut; Data Center's
search embeds every history, so there it asks nothing more.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.jira_search import SEARCH_CHANGELOG_CAP
from sandbox.life import reassign_epic
from sandbox.server import Sandbox
from tests.golive.test_first_cycle import go_live, runtime_on
from tests.paths import EXAMPLES

DIRECTOR = "rosa@vendor.example"


@pytest.fixture(params=["cloud", "datacenter"])
def flavoured(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    with Sandbox(EXAMPLES / "small_book.yaml", flavour=request.param) as sb:
        yield sb


def busy(sb: Sandbox, key: str, changes: int) -> None:
    """``changes`` later edits of the epic's description by the API user (the connector's own
    field updates): changelog histories that push older ones out of the search's window."""
    with sb.lock:
        iss = sb.site.issue(key)
        for n in range(changes):
            sb.site.touch(iss, [{"field": "description", "fieldtype": "jira", "fieldId": "description",
                                 "from": None, "fromString": f"v{n}", "to": None, "toString": f"v{n + 1}"}])


def changelog_reads(sb: Sandbox) -> list[str]:
    return [r["path"] for r in sb.requests(bodies=False) if r["path"].endswith("/changelog")]


def test_a_reassignment_pushed_out_of_the_searchs_histories_is_still_followed(flavoured, redis_url):
    sb = flavoured
    rt = runtime_on(sb, redis_url)
    go_live(sb, rt, watches=1)
    esc = sorted((e for e in rt.store.escalations().values() if e.is_open and e.owner), key=lambda e: e.id)[0]
    new = "kai@vendor.example" if esc.owner != "kai@vendor.example" else "lee@vendor.example"
    epic = rt.store.index(esc.id)["epic"]
    reassign_epic(sb, epic, new, by=DIRECTOR)
    busy(sb, epic, SEARCH_CHANGELOG_CAP + 5)
    sb.clear_requests()
    sb.clock.advance(30)
    rt.watch()
    assert rt.store.escalations([esc.id])[esc.id].owner == new
    reads = changelog_reads(sb)
    if sb.site.cloud:  # the search held only the last 40: the whole changelog was read, in one page of 100
        assert reads == [f"/rest/api/2/issue/{epic}/changelog"], reads
    else:
        assert reads == []


def test_cloud_search_embeds_the_40_most_recent_histories_with_the_full_total(redis_url):
    from sandbox import testing  # the real jira client against the sandbox

    with Sandbox(EXAMPLES / "small_book.yaml") as sb:
        key = sorted(sb.site.issues)[0]
        busy(sb, key, SEARCH_CHANGELOG_CAP + 7)
        client = testing.jira(sb)
        page = client.enhanced_search_issues(f"key = {key}", fields=["summary"], expand="changelog", json_result=True)
        block = page["issues"][0]["changelog"]
        full = sb.site.issue(key).changelog
        assert len(block["histories"]) == SEARCH_CHANGELOG_CAP and block["total"] == len(full)
        assert [h["id"] for h in block["histories"]] == [str(h.id) for h in full[-SEARCH_CHANGELOG_CAP:]]
        whole = client._session.get(client._get_url(f"issue/{key}/changelog?startAt=0&maxResults=500")).json()
        assert whole["maxResults"] == 100 and whole["total"] == len(full)


def test_an_idle_watch_over_quiet_epics_reads_no_changelog(flavoured, redis_url):
    sb = flavoured
    rt = runtime_on(sb, redis_url)
    go_live(sb, rt, watches=2)
    sb.clear_requests()
    sb.clock.advance(30)
    rt.watch()
    assert changelog_reads(sb) == []
