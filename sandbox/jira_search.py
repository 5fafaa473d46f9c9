"""Jira search endpoints: Cloud's ``/search/jql`` (``nextPageToken`` paging, no ``total``) and
Data Center's ``/search`` (``startAt``/``total``); Cloud answers the removed ``/search`` with
410 and Atlassian's message.

Page-size caps (documented choice): ``maxResults`` defaults to 50; on Cloud it is capped at 100
when any issue field is asked for and at 5000 when only ``id``/``key`` are; on Data Center at
1000.

Embedded changelog (i11pag): Cloud's enhanced search embeds at most the 40 most recent histories
of an issue (``total`` still the full count); more than 40 are read through
``GET /issue/{key}/changelog``. Atlassian, JRACLOUD-96459: "it's no longer possible to retrieve
more than 40 changelog/history data for a Work Item ... Use Get changelogs endpoint" (the removed
``/search`` embedded 100). Data Center's search embeds every history.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from sandbox import jira_catalog as cat
from sandbox import jql
from sandbox.jira_render import Renderer
from sandbox.jql_eval import search
from sandbox.site import JiraError, Site

GONE = ("The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
        "A full migration guideline is available at "
        "https://developer.atlassian.com/changelog/#CHANGE-2046")
SEARCH_CHANGELOG_CAP = 40
UNBOUNDED = ("Unbounded JQL queries are not allowed here. Please add a search restriction to "
             "your query.")


def field_list(raw: Any) -> list[str] | None:
    """Normalise ``fields`` from repeated params, comma lists or a JSON list; None = absent."""
    if raw is None:
        return None
    items = raw if isinstance(raw, list) else [raw]
    out: list[str] = []
    for item in items:
        if item is None:
            continue
        out.extend(p.strip() for p in str(item).split(",") if p.strip())
    return out


def select_fields(site: Site, requested: list[str] | None, default: str) -> list[str] | None:
    """Field ids to render (None = every field)."""
    wanted = requested if requested else [default]
    all_ids = list(cat.NAVIGABLE_IDS) + [cf.id for cf in site.custom_fields()]
    by_name = {cf.name.lower(): cf.id for cf in site.custom_fields()}
    by_name.update({f[1].lower(): f[0] for f in cat.SYSTEM_FIELDS})
    chosen: list[str] = []
    everything = False
    excluded: set[str] = set()
    for name in wanted:
        if name in ("*all", "*navigable"):
            everything = True
        elif name.startswith("-"):
            excluded.add(by_name.get(name[1:].lower(), name[1:]))
        elif name in ("id", "key"):
            continue
        else:
            fid = name if name in all_ids else by_name.get(name.lower())
            if fid and fid not in chosen:
                chosen.append(fid)
    if everything:
        return [f for f in all_ids if f not in excluded] if excluded else None
    return [f for f in chosen if f not in excluded]


def _token(jql_text: str, offset: int) -> str:
    digest = hashlib.sha1(jql_text.encode()).hexdigest()[:10]
    raw = json.dumps({"o": offset, "h": digest}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _offset(jql_text: str, token: str | None) -> int:
    if not token:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if data["h"] != hashlib.sha1(jql_text.encode()).hexdigest()[:10]:
            raise ValueError("token for another query")
        return int(data["o"])
    except (ValueError, KeyError, TypeError):
        raise JiraError(400, ["The provided next page token is invalid or expired."]) from None


def _int(value: Any, default: int, name: str) -> int:
    if value in (None, ""):
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise JiraError(400, [f"The value '{value}' is invalid for the parameter '{name}'."]) \
            from None


def _run(site: Site, jql_text: str, text_equals: bool) -> tuple[jql.Query, list[Any]]:
    try:
        query = jql.parse(jql_text)
        return query, search(site, query, text_equals, jql_text)
    except jql.JqlError as err:
        raise JiraError(400, [str(err)]) from None


def search_jql(site: Site, r: Renderer, args: dict[str, Any], text_equals: bool) -> dict[str, Any]:
    """Cloud enhanced search: one page and a ``nextPageToken`` while more remain."""
    jql_text = args.get("jql") or ""
    query, issues = _run(site, jql_text, text_equals)
    if query.where is None:
        raise JiraError(400, [UNBOUNDED])
    fields = select_fields(site, field_list(args.get("fields")), "id")
    cap = 5000 if fields == [] else 100
    size = _int(args.get("maxResults"), 50, "maxResults")
    size = min(cap, size if size > 0 else 50)
    start = _offset(jql_text, args.get("nextPageToken"))
    expand = args.get("expand") or ""
    if isinstance(expand, list):
        expand = ",".join(e for e in expand if e)
    if site.short_pages:  # i15: "may return fewer items per page" when many fields are asked for
        size = min(size, short_page_size(site, fields, expand))
    page = issues[start : start + size]
    props = field_list(args.get("properties"))
    body: dict[str, Any] = {"issues": [_capped(_bean(r, i, fields, expand, props)) for i in page]}
    if start + size < len(issues):
        body["nextPageToken"] = _token(jql_text, start + size)
        body["isLast"] = False
    else:
        body["isLast"] = True
    if "names" in expand:
        from sandbox.jira_render import field_names

        body["names"] = field_names(site, fields if fields is not None else
                                    list(r.fields(page[0])) if page else [])
    return body


def short_page_size(site: Site, fields: list[str] | None, expand: str) -> int:
    """Under ``short_pages``, what one page of enhanced search holds: a response budget of about
    1,000 field values per page, a changelog costing ten fields. Jira documents only that a page
    "may" be shorter than ``maxResults`` when many fields or properties are requested, and that
    callers must follow ``nextPageToken``; the exact budget is the sandbox's choice."""
    count = len(fields) if fields is not None else len(site.custom_fields()) + 30
    if "changelog" in expand:
        count += 10
    return max(1, 1000 // max(1, count))


def search_dc(site: Site, r: Renderer, args: dict[str, Any], text_equals: bool) -> dict[str, Any]:
    """Data Center search: ``startAt``/``maxResults``/``total``."""
    jql_text = args.get("jql") or ""
    _, issues = _run(site, jql_text, text_equals)
    fields = select_fields(site, field_list(args.get("fields")), "*navigable")
    size = min(1000, _int(args.get("maxResults"), 50, "maxResults"))
    start = _int(args.get("startAt"), 0, "startAt")
    expand = args.get("expand") or ""
    page = issues[start : start + size] if size > 0 else []
    return {"expand": "schema,names", "startAt": start, "maxResults": size,
            "total": len(issues),
            "issues": [_bean(r, i, fields, expand, None) for i in page]}


def _capped(bean: dict[str, Any]) -> dict[str, Any]:
    """An enhanced-search bean's changelog cut to the most recent ``SEARCH_CHANGELOG_CAP``
    histories (kept oldest first), ``total`` still counting them all."""
    block = bean.get("changelog")
    if isinstance(block, dict) and len(block.get("histories") or []) > SEARCH_CHANGELOG_CAP:
        kept = block["histories"][-SEARCH_CHANGELOG_CAP:]
        bean["changelog"] = {"startAt": 0, "maxResults": SEARCH_CHANGELOG_CAP,
                             "total": len(block["histories"]), "histories": kept}
    return bean


def _bean(r: Renderer, iss: Any, fields: list[str] | None, expand: str,
          props: list[str] | None) -> dict[str, Any]:
    bean = r.issue(iss, fields, expand, props)
    if fields == []:
        bean["fields"] = {}
    return bean
