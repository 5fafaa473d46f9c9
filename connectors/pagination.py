"""Paging as objects, one per API shape, and one driver that walks them (STYLE.md, convention 7).

Why: four hand-written loops each decided "is there another page?" slightly differently (one
counted what it asked for, one stopped on a short page, none guarded against a server repeating
itself). Here each API's paging rule is written once, as a small stateless object, and tested on
recorded response shapes:

* :class:`TokenPaginator`: Jira Cloud enhanced search (``/search/jql``): ``nextPageToken`` and
  ``isLast``, no ``total``; the last page has no token (and ``isLast: true``).
* :class:`OffsetPaginator`: Jira's ``startAt``/``maxResults``/``total``/``isLast`` pages (Data
  Center search, comments, changelog). A page may hold fewer items than asked (Jira caps
  ``maxResults`` per endpoint and says the cap may change), so the next ``startAt`` counts what
  came back, never what was asked, and a short page is not the end while ``total`` says more.
* :class:`RecordsPaginator`: Salesforce query results: ``done`` and ``nextRecordsUrl``.

A paginator says what the first request is (:meth:`first`), which items a page holds
(:meth:`items`) and what the next request is, or None when there is none (:meth:`next_params`).
Requests are plain dicts of the parameters that change from page to page. :func:`paged` is the
one loop: it fetches through the connector's own ``call``/``send`` (so the limiter, retries and
call counting stay where they are) and yields items page by page, so a caller that stops early
makes no further call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from connectors.errors import RetriableError

log = logging.getLogger(__name__)
Params = dict[str, Any]


class Paginator(Protocol):
    """What :func:`paged` needs of a paging rule."""

    def first(self) -> Params:
        """The parameters of the first request."""
        ...

    def items(self, page: Any) -> list[Any]:
        """The items one page holds (an empty list for a malformed page)."""
        ...

    def next_params(self, page: Any, params: Params) -> Params | None:
        """The next request's parameters after ``page`` (asked with ``params``), or None."""
        ...


def _listed(page: Any, key: str | None, what: str) -> list[Any]:
    """``page[key]`` (or the page itself when ``key`` is None) when it is a list; else nothing,
    logged: a page of the wrong shape yields no items rather than failing the cycle."""
    value = page if key is None else page.get(key) if isinstance(page, dict) else None
    if isinstance(value, list):
        return value
    if value is not None or (key is not None and not isinstance(page, dict)):
        log.warning("%s: a page without a list of %s (%s); read as empty", what, key or "items",
                    type(value if isinstance(page, dict) else page).__name__)
    return []


def count_of(value: Any) -> int | None:
    """A ``total`` as a number, or None when absent or not a number (then it is not trusted)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


class TokenPaginator:
    """Jira Cloud enhanced search: follow ``nextPageToken`` until it is absent or ``isLast`` is true.

    Atlassian: "The ``nextPageToken`` field is not included in the response for the last page";
    ``isLast`` "indicates whether this is the last page". Either one ends paging (a token beside
    ``isLast: true`` is not followed). A page may be empty and still carry a token (the server may
    return fewer items than asked, even none): the token is followed. A server that hands back the
    token it was just given would loop for ever; that is a transient server fault, raised as
    :class:`RetriableError` so the cycle retries later without moving its cursor.
    """

    def __init__(self, items_key: str = "issues", what: str = "search"):
        self.items_key, self.what = items_key, what

    def first(self) -> Params:
        return {"nextPageToken": None}

    def items(self, page: Any) -> list[Any]:
        return _listed(page, self.items_key, self.what)

    def next_params(self, page: Any, params: Params) -> Params | None:
        if not isinstance(page, dict) or page.get("isLast") is True:
            return None
        token = page.get("nextPageToken")
        if not token:
            return None
        if token == params.get("nextPageToken"):
            raise RetriableError(f"Jira {self.what}: the server answered the same page token twice")
        return {"nextPageToken": token}


class OffsetPaginator:
    """Jira's offset pages: ``startAt``/``maxResults``/``total``/``isLast``.

    The next ``startAt`` is this page's start plus the items that came back (Jira may return
    fewer than ``maxResults``; a short page is not the end). Paging ends on ``isLast: true``, on
    an empty page, or when the next start reaches ``total`` (read afresh from every page: a total
    that changes while paging, as issues are created, is followed). Without ``total`` or
    ``isLast``, paging goes on until a page comes back empty (one call more, never an item less).
    """

    def __init__(self, items_key: str | None, what: str, page_size: int = 100):
        self.items_key, self.what, self.page_size = items_key, what, page_size

    def first(self) -> Params:
        return {"startAt": 0, "maxResults": self.page_size}

    def items(self, page: Any) -> list[Any]:
        return _listed(page, self.items_key, self.what)

    def next_params(self, page: Any, params: Params) -> Params | None:
        got = len(self.items(page))
        if not got or (isinstance(page, dict) and page.get("isLast") is True):
            return None
        start = int(params.get("startAt") or 0) + got
        total = count_of(page.get("total")) if isinstance(page, dict) else None
        if total is not None and start >= total:
            return None
        return {"startAt": start, "maxResults": self.page_size}


class RecordsPaginator:
    """Salesforce query results: ``records`` while ``done`` is false, the next batch at
    ``nextRecordsUrl`` (a query locator URL for ``query_more``). A page that says it is not done
    but gives no URL cannot be continued: paging ends there, logged."""

    def __init__(self, what: str = "query"):
        self.what = what

    def first(self) -> Params:
        return {}

    def items(self, page: Any) -> list[Any]:
        return _listed(page, "records", self.what)

    def next_params(self, page: Any, params: Params) -> Params | None:
        if not isinstance(page, dict) or page.get("done", True) is not False:
            return None
        url = page.get("nextRecordsUrl")
        if not url:
            log.warning("salesforce %s: a page not done without a nextRecordsUrl; paging stops", self.what)
            return None
        if url == params.get("nextRecordsUrl"):
            raise RetriableError(f"Salesforce {self.what}: the server answered the same nextRecordsUrl twice")
        return {"nextRecordsUrl": url}


def paged(paginator: Paginator, fetch: Callable[[Params], Any]) -> Iterator[Any]:
    """Every item of every page, in order: ``fetch(params)`` gets one page (through the
    connector's ``call``/``send``), the paginator says what comes next.

    Lazy: the next page is fetched only when the caller asks for an item past this one.
    """
    params: Params | None = paginator.first()
    while params is not None:
        page = fetch(params)
        yield from paginator.items(page)
        params = paginator.next_params(page, params)
