"""The paginators (connectors/pagination.py) on recorded response shapes, and the driver's invariant.

The recorded pages are in ``pagination_samples.json``, each with its source. The fetch here is a
plain function answering the recorded page for the parameters asked: the paging rule is pure, so
no HTTP is needed to test it (the sandbox tests in ``tests/fidelity`` and
``test_jira_changelog.py`` run the same code through the real clients).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.errors import RetriableError
from connectors.pagination import OffsetPaginator, Paginator, RecordsPaginator, TokenPaginator, paged

SAMPLES = json.loads((Path(__file__).parent / "pagination_samples.json").read_text("utf-8"))


def paginator_for(kind: str, items_key: str) -> Paginator:
    if kind == "token":
        return TokenPaginator(items_key, "sample")
    if kind == "offset":
        return OffsetPaginator(items_key, "sample", 100)
    return RecordsPaginator("sample")


def ident(item: dict[str, Any]) -> str:
    return str(item.get("key") or item.get("id") or item.get("Id"))


class Recorded:
    """Answers the recorded pages in order, checking each request is the one recorded."""

    def __init__(self, pages: list[dict[str, Any]]):
        self.pages, self.asked = pages, []

    def __call__(self, params: dict[str, Any]) -> Any:
        n = len(self.asked)
        self.asked.append(dict(params))
        assert n < len(self.pages), f"a request past the recorded pages: {params}"
        assert params == self.pages[n]["params"], (n, params)
        return self.pages[n]["page"]


def test_every_sample_names_its_source():
    assert SAMPLES and all(len(s["source"]) > 40 for s in SAMPLES)


@pytest.mark.parametrize("sample", SAMPLES, ids=[s["name"] for s in SAMPLES])
def test_each_paginator_on_the_recorded_pages_asks_the_recorded_requests_and_yields_every_item(sample):
    fetch = Recorded(sample["pages"])
    got: list[str] = []
    pager = paginator_for(sample["paginator"], sample["items_key"])
    if sample.get("error"):
        with pytest.raises(RetriableError):
            got.extend(ident(i) for i in paged(pager, fetch))
    else:
        got.extend(ident(i) for i in paged(pager, fetch))
    assert got == sample["items"]
    assert len(fetch.asked) == len(sample["pages"])  # and stopped where the recording stops


def test_a_caller_that_stops_early_makes_no_further_request():
    pages = SAMPLES[0]["pages"]
    fetch = Recorded(pages)
    first = next(iter(paged(TokenPaginator("issues", "sample"), fetch)))
    assert ident(first) == "EX-1" and len(fetch.asked) == 1


def test_a_malformed_page_yields_nothing_and_ends_paging():
    for pager in (TokenPaginator("issues", "x"), OffsetPaginator("issues", "x"), RecordsPaginator("x")):
        assert list(paged(pager, lambda p: "<html>busy</html>")) == []
        assert list(paged(pager, lambda p: {"issues": None, "records": None, "isLast": False})) == []


def test_a_total_that_is_not_a_number_is_not_trusted():
    answers = iter([{"startAt": 0, "total": "many", "issues": [{"key": "A-1"}]}, {"startAt": 1, "issues": []}])
    assert [i["key"] for i in paged(OffsetPaginator("issues", "x"), lambda p: next(answers))] == ["A-1"]


# --- the invariant: every item exactly once, in order, and the driver stops -----------------------

sizes = st.lists(st.integers(min_value=0, max_value=7), min_size=0, max_size=12)


def token_server(items: list[int], page_sizes: list[int]):
    """Cloud search/jql: pages of the given sizes (empty ones included), a token on every page but
    the last, ``isLast`` on every page; the last page has no token."""
    cuts, start = [], 0
    for n in page_sizes:
        cuts.append(items[start:start + n])
        start += n
    cuts.append(items[start:])  # whatever remains is the last page
    calls = []

    def fetch(params: dict[str, Any]) -> dict[str, Any]:
        n = 0 if params["nextPageToken"] is None else int(params["nextPageToken"][1:])
        calls.append(n)
        last = n == len(cuts) - 1
        page: dict[str, Any] = {"issues": cuts[n], "isLast": last}
        if not last:
            page["nextPageToken"] = f"t{n + 1}"
        return page

    return fetch, calls, len(cuts)


def offset_server(items: list[int], caps: list[int], with_total: bool, with_is_last: bool):
    """Jira offset pages: each answer holds at most the server's cap of the moment (short pages),
    never more than asked; ``total`` and ``isLast`` present or not."""
    calls = []

    def fetch(params: dict[str, Any]) -> dict[str, Any]:
        start, asked = params["startAt"], params["maxResults"]
        cap = caps[len(calls) % len(caps)] if caps else asked
        calls.append(start)
        chunk = items[start:start + max(1, min(cap, asked))]
        page: dict[str, Any] = {"startAt": start, "maxResults": asked, "issues": chunk}
        if with_total:
            page["total"] = len(items)
        if with_is_last:
            page["isLast"] = start + len(chunk) >= len(items)
        return page

    return fetch, calls


def records_server(items: list[int], page_sizes: list[int]):
    """Salesforce: batches of the given sizes (at least one row each), ``done`` on the last."""
    cuts, start = [], 0
    for n in page_sizes:
        if start >= len(items):
            break
        cuts.append(items[start:start + max(1, n)])
        start += max(1, n)
    if start < len(items) or not cuts:
        cuts.append(items[start:])
    calls = []

    def fetch(params: dict[str, Any]) -> dict[str, Any]:
        n = int(params["nextRecordsUrl"].rsplit("-", 1)[1]) if params else 0
        calls.append(n)
        page: dict[str, Any] = {"totalSize": len(items), "done": n == len(cuts) - 1, "records": cuts[n]}
        if not page["done"]:
            page["nextRecordsUrl"] = f"/services/data/v59.0/query/01gX-{n + 1}"
        return page

    return fetch, calls, len(cuts)


@settings(max_examples=200, deadline=None)
@given(n=st.integers(min_value=0, max_value=40), page_sizes=sizes)
def test_token_paging_yields_every_item_once_in_order_and_stops(n, page_sizes):
    items = list(range(n))
    fetch, calls, pages = token_server(items, page_sizes)
    assert list(paged(TokenPaginator("issues", "p"), fetch)) == items
    assert calls == list(range(pages))


@settings(max_examples=200, deadline=None)
@given(n=st.integers(min_value=0, max_value=40), caps=st.lists(st.integers(min_value=1, max_value=9), max_size=6),
       with_total=st.booleans(), with_is_last=st.booleans())
def test_offset_paging_yields_every_item_once_in_order_and_stops(n, caps, with_total, with_is_last):
    items = list(range(n))
    fetch, calls = offset_server(items, caps, with_total, with_is_last)
    assert list(paged(OffsetPaginator("issues", "p", page_size=5), fetch)) == items
    assert calls == sorted(set(calls))  # every start asked once, moving forward
    told_the_end = with_total or with_is_last
    assert len(calls) <= n + (0 if told_the_end and n else 1)  # one empty page more only when nothing says the end


@settings(max_examples=200, deadline=None)
@given(n=st.integers(min_value=0, max_value=40), page_sizes=sizes)
def test_salesforce_paging_yields_every_row_once_in_order_and_stops(n, page_sizes):
    items = list(range(n))
    fetch, calls, pages = records_server(items, page_sizes)
    assert list(paged(RecordsPaginator("p"), fetch)) == items
    assert calls == list(range(pages))
