"""A long ticket read (the first backfill) runs as windows of time read at once, and gives
exactly the tickets, in the order, of one read (issue 11: the poll's pages are sequential)."""

from __future__ import annotations

from datetime import timedelta

from sync import pipeline


def test_a_backfill_read_in_windows_gives_every_ticket_once_in_order(sandbox, runtime):
    poller = runtime.poller
    now = poller.clock()
    since = now - timedelta(days=30)
    whole = [i["key"] for i in runtime.jira.tickets_since(poller.support_jql, since)]
    sandbox.clear_requests()
    sliced = [i["key"] for i in poller._ticket_pages(since, now)]
    assert len(whole) >= 10
    assert sliced == whole
    searches = [r for r in sandbox.requests("jira") if "/search" in r["path"]]
    assert len(searches) == pipeline.READ_SLICES  # one per window (each a page here)
    short = now - pipeline.SLICE_AFTER / 2
    sandbox.clear_requests()
    assert [i["key"] for i in poller._ticket_pages(short, now)] == [
        i["key"] for i in runtime.jira.tickets_since(poller.support_jql, short)]
    assert len([r for r in sandbox.requests("jira") if "/search" in r["path"]]) == 2  # one read each
