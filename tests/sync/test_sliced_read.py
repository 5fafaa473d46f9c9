"""A long ticket read (the first backfill) that finds more than a page of tickets reads the rest
of its window as windows of time at once, and gives exactly the tickets, in the order, of one
read (issue 11: Cloud's search pages are sequential)."""

from __future__ import annotations

from datetime import timedelta

from sync import pipeline


def searches(sandbox) -> int:
    return len([r for r in sandbox.requests("jira") if "/search" in r["path"]])


def test_a_long_read_past_a_page_reads_the_rest_in_windows_and_gives_every_ticket_once(sandbox, runtime, monkeypatch):
    poller = runtime.poller
    now = poller.clock()
    since = now - timedelta(days=30)
    whole = [i["key"] for i in runtime.jira.tickets_since(poller.support_jql, since)]
    assert len(whole) >= 10
    sandbox.clear_requests()
    assert [i["key"] for i in poller._ticket_pages(since, now)] == whole
    assert searches(sandbox) == 1  # fewer tickets than a page: one read, as before

    monkeypatch.setattr(pipeline, "SLICE_AFTER_TICKETS", 5)
    sandbox.clear_requests()
    assert [i["key"] for i in poller._ticket_pages(since, now)] == whole  # none lost, none twice
    assert searches(sandbox) == 1 + pipeline.READ_SLICES  # the first read's page, then one per window

    short = now - pipeline.SLICE_AFTER / 2
    sandbox.clear_requests()
    assert [i["key"] for i in poller._ticket_pages(short, now)] == [
        i["key"] for i in runtime.jira.tickets_since(poller.support_jql, short)]
    assert searches(sandbox) == 2  # one read each: a short window is never split
