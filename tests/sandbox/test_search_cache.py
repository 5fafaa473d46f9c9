"""The sandbox's indexes and its search cache answer exactly as a fresh scan of the whole site does.

Search keeps a query's answer until anything search could see changes (``Site.changed``), and the
renderer finds an issue's sub-tasks, an issue's links and a user by e-mail through indexes, and a
query bounded in ``updated`` tests only the issues inside its bounds (an index by ``updated``), so a
page costs about the page and not the world. These tests drive random writes (through the same
functions the REST handlers call) and compare, after every write, the cached and indexed answers
with what a full scan gives.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sandbox import jira_issues as ops
from sandbox import jql
from sandbox.clock import Clock
from sandbox.jira_render import Renderer
from sandbox.jql_eval import Evaluator, search
from sandbox.site import Site

QUERIES = (
    "project = SUP ORDER BY updated ASC, key ASC",
    "labels = red ORDER BY key DESC",
    "watcher = currentUser()",
    "comment ~ hello",
    "parent = SUP-1",
    "summary ~ fixed ORDER BY created ASC",
    "updated >= -5m",
)

OPS = st.lists(st.tuples(st.sampled_from(["create", "subtask", "edit", "comment", "watch", "unwatch", "link",
                                          "unlink", "reparent", "delete", "advance", "user"]),
                         st.integers(0, 30), st.integers(0, 30)), min_size=1, max_size=25)


def _keys(site: Site, text: str, cached: bool) -> list[str] | str:
    """Search's answer (``cached``) or a scan of every searchable issue, as search was before."""
    try:
        query = jql.parse(text)
        if cached:
            return [i.key for i in search(site, query, False, text)]
        ev = Evaluator(site)
        pred = ev.compile(query.where)
        return [i.key for i in ev.sort([i for i in site.searchable() if pred(i)], query)]
    except jql.JqlError as exc:  # "parent = SUP-1" once SUP-1 is deleted: refused either way
        return str(exc)


def _queries(site: Site) -> list[str]:
    """The fixed queries and ranges of ``updated`` around the site's present, as the poller and
    the export ask them (minute literals in the site's zone)."""
    now = site.clock.now().astimezone(ZoneInfo(site.time_zone))

    def at(minutes: int) -> str:
        return (now + timedelta(minutes=minutes)).strftime('"%Y/%m/%d %H:%M"')

    return [*QUERIES, f"(project = SUP) AND updated >= {at(-1)} ORDER BY updated ASC, key ASC",
            f"project = SUP AND updated >= {at(0)} AND updated < {at(2)} ORDER BY updated ASC, key ASC",
            f"labels = red AND (updated > {at(-3)} AND updated <= {at(1)})",
            f"updated = {at(0)} ORDER BY updated", f"updated < {at(1)} OR labels = blue ORDER BY updated DESC"]


def _check(site: Site) -> None:
    for text in _queries(site):
        _keys(site, text, cached=True)  # fill the cache first, then compare on the next ask
        assert _keys(site, text, cached=True) == _keys(site, text, cached=False), text
    for iss in list(site.issues.values()):
        scanned = [i.key for i in site.issues.values() if i.parent == iss.key]
        assert [i.key for i in site.subtasks_of(iss.key)] == scanned
        assert site.links_of(iss.key) == [lk for lk in site.links.values() if iss.key in (lk.inward, lk.outward)]
    for user in site.users.values():
        assert site.user_by_email(user.email.upper()) is next(u for u in site.users.values()
                                                             if u.email.lower() == user.email.lower())
    assert site.user_by_email("nobody@example.com") is None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(OPS, st.booleans())
def test_cached_search_and_indexes_equal_a_full_scan_after_any_writes(steps, lagging):
    site = Site(Clock(), api_email="bot@vendor.example", api_token="t", search_lag_seconds=30 if lagging else 0)
    r = Renderer(site, "http://jira.example", "2")
    site.add_issue("SUP", "Task", "first")
    _check(site)
    for step, a, b in steps:
        keys = list(site.issues)
        one = site.issues[keys[a % len(keys)]] if keys else None
        other = site.issues[keys[b % len(keys)]] if keys else None
        if step == "create" or one is None:
            site.add_issue("SUP", "Task", f"task {a}", labels=["red"] if a % 2 else [])
        elif step == "subtask":
            site.add_issue("SUP", "Sub-task", f"sub {a}", parent=one.key)
        elif step == "edit":
            ops.edit(site, r, one, {"fields": {"summary": f"fixed {b}", "labels": ["red"] if b % 2 else ["blue"]}})
        elif step == "comment":
            site.add_comment(one, site.api_user.account_id, f"hello {b}", bump=bool(b % 2))
        elif step == "watch":
            ops.add_watcher(site, r, one, None)
        elif step == "unwatch":
            ops.remove_watcher(site, r, one, {"accountId": site.api_user.account_id})
        elif step == "link" and other is not None:
            site.link("Relates", one, other)
        elif step == "unlink" and site.links:
            ops.delete_link(site, str(list(site.links)[a % len(site.links)]))
        elif step == "reparent":
            site.set_parent(one, None if other is None or other is one else other.key)
        elif step == "delete":
            site.delete_issue(one)
        elif step == "advance":
            site.clock.advance(20 + a * 7)
        elif step == "user":
            site.add_user(f"user{a}@example.com", f"User {a}")
        _check(site)


def test_paging_sees_an_edit_between_pages_as_a_fresh_search_does(sandbox):
    """Enhanced search pages by offset over the query's current answer: an issue updated after
    the first page moves to the end of ``ORDER BY updated``, as on every fresh evaluation."""
    env = sandbox.env()
    auth = (env["JIRA_EMAIL"], env["JIRA_API_TOKEN"])
    url = f"{sandbox.jira_url}/rest/api/2"
    for start in range(0, 30, 10):
        created = requests.post(f"{url}/issue/bulk", auth=auth, timeout=10, json={"issueUpdates": [
            {"fields": {"project": {"key": "OPS"}, "issuetype": {"name": "Task"}, "summary": f"item {i}"}}
            for i in range(start, start + 10)]})
        created.raise_for_status()
        sandbox.clock.advance(61)
    text = "project = OPS ORDER BY updated ASC, key ASC"

    def page(token=None):
        params = {"jql": text, "maxResults": 10, "fields": "summary", **({"nextPageToken": token} if token else {})}
        body = requests.get(f"{url}/search/jql", params=params, auth=auth, timeout=10).json()
        return [i["key"] for i in body["issues"]], body.get("nextPageToken")

    first, token = page()
    second, _ = page(token)
    assert first == [f"OPS-{n}" for n in range(1, 11)] and second == [f"OPS-{n}" for n in range(11, 21)]
    sandbox.clock.advance(61)
    requests.put(f"{url}/issue/OPS-2", auth=auth, timeout=10,
                 json={"fields": {"summary": "edited"}}).raise_for_status()
    again, _ = page(token)
    with sandbox.lock:
        fresh = [i.key for i in search(sandbox.site, jql.parse(text))]
    assert again == fresh[10:20] and again[0] == "OPS-12" and fresh[-1] == "OPS-2"


def test_a_query_bounded_in_updated_finds_what_a_scan_finds_at_every_minute_bound():
    site = Site(Clock(), api_email="bot@vendor.example", api_token="t")
    zone = ZoneInfo(site.time_zone)
    base = site.clock.now().astimezone(zone).replace(second=0, microsecond=0)
    for n in range(60):  # one every 10 s over 10 minutes, a few sharing a stamp
        at = base + timedelta(seconds=10 * (n - n % 7 // 6))
        site.add_issue("SUP", "Task", f"t{n}", created=at, updated=at, labels=["red"] if n % 3 else [])

    def lit(minutes: int) -> str:
        return (base + timedelta(minutes=minutes)).strftime('"%Y/%m/%d %H:%M"')

    for low in range(-1, 12):
        for high in range(low, 12):
            for lo_op, hi_op in ((">=", "<"), (">", "<="), ("=", "<=")):
                text = f"project = SUP AND updated {lo_op} {lit(low)} AND updated {hi_op} {lit(high)} ORDER BY updated"
                assert _keys(site, text, cached=True) == _keys(site, text, cached=False), text
            text = f"labels = red AND updated >= {lit(low)}"
            assert _keys(site, text, cached=True) == _keys(site, text, cached=False), text
