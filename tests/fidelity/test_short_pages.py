"""Short pages on both systems change no outcome.

Jira's enhanced search "may return fewer items per page" when many fields are requested, and
Salesforce returns query batches of 200 to 2,000 rows by record size; the connector follows
``nextPageToken`` / ``nextRecordsUrl`` and must land the same escalations either way.
"""

from __future__ import annotations

import pytest

from benchmarks.generate import generate
from rules.book import parse_book
from sandbox.server import Sandbox
from sync.runtime import Runtime
from tests.sync.conftest import settings_for
from tests.sync.outcome import assert_matches_backtest, expected

BOOK = parse_book(generate(tickets=400, accounts=450, days=7, seed=5))


def reads(sb: Sandbox) -> dict[str, int]:
    log = sb.requests(bodies=False)
    return {"jira_search": sum(1 for r in log if r["path"].endswith("/search/jql")),
            "sf_query_more": sum(1 for r in log if "/query/" in r["path"] and r["path"].rstrip("/")[-6:] != "/query")}


@pytest.mark.parametrize("short", [False, True], ids=["full-pages", "short-pages"])
def test_the_backtests_escalations_land_with_full_or_short_pages(short, redis_url):
    with Sandbox(BOOK, short_pages=short, daily_api_limit=1_000_000) as sb:
        rt = Runtime(settings_for(sb, redis_url, backfill_days=8))
        poll, flush = rt.cycle()
        want = expected(sb)
        assert want and poll.opened == len(want) and not flush.deferred
        assert_matches_backtest(sb, want)
        seen = reads(sb)
    if short:  # the pages really were short: more search pages, accounts in several batches
        assert seen["jira_search"] > 5 and seen["sf_query_more"] >= 1, seen
    else:
        assert seen["sf_query_more"] == 0, seen


def test_short_enhanced_search_pages_hold_fewer_issues_than_asked(redis_url):
    with Sandbox(BOOK, short_pages=True) as sb:
        from tests.sandbox.conftest import testing  # the real jira client against the sandbox

        client = testing.jira(sb)
        fields = ["summary", "description", "priority", "labels", "components", "status", "reporter",
                  "created", "updated", "comment", "customfield_10010", "customfield_10011", "customfield_10012"]
        page = client.enhanced_search_issues("project = SUP ORDER BY key ASC", maxResults=100, fields=fields,
                                             json_result=True)
        assert 1 <= len(page["issues"]) < 100 and page["nextPageToken"]
        slim = client.enhanced_search_issues("project = SUP ORDER BY key ASC", maxResults=100, fields=["summary"],
                                             json_result=True)
        assert len(slim["issues"]) == 100
