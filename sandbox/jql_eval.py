"""Evaluating parsed JQL over the site's issues, with Jira's value checks and messages.

Date literals (``"yyyy/MM/dd HH:mm"``, ``"yyyy-MM-dd HH:mm"``, ``"yyyy/MM/dd"``,
``"yyyy-MM-dd"``, relative ``-5m``/``-1d``/``4w 2d``) are read in the API user's time zone at
minute precision; seconds or offsets are refused. Text fields take ``~``/``!~`` (contains,
case-insensitive); ``=`` on a text field is refused as real Jira refuses it, unless the site
was built with ``jql_text_equals=True``.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sandbox import jira_catalog as cat
from sandbox.jql import And, Clause, JqlError, Not, Or, Query, Value
from sandbox.site import Issue, Site

Pred = Callable[[Issue], bool]
DATE_FORMATS = ("%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M", "%Y/%m/%d", "%Y-%m-%d")
_RELATIVE = re.compile(r"^([+-])?\s*((\d+)\s*[wdhm]\s*)+$")
_PART = re.compile(r"(\d+)\s*([wdhm])")
_UNITS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60}

ORDERABLE = {"key": "key", "issuekey": "key", "id": "key", "updated": "updated",
             "updateddate": "updated", "created": "created", "createddate": "created",
             "priority": "priority", "status": "status", "summary": "summary",
             "duedate": "duedate", "due": "duedate", "resolved": "resolutiondate",
             "resolutiondate": "resolutiondate", "rank": "key", "project": "project"}
DEFAULT_DESC = {"updated": True, "created": True, "resolutiondate": True}


class Evaluator:
    """Compiles JQL clauses into predicates over :class:`Issue`."""

    def __init__(self, site: Site, text_equals: bool = False) -> None:
        self.site = site
        self.text_equals = text_equals
        self.zone = ZoneInfo(site.time_zone)
        self.now = site.clock.now()
        self.timely = False  # the query reads the clock (now(), -5m): its answer is not cached
        self.custom = {cf.name.lower(): cf for cf in site.custom_fields()}
        self.custom.update({f"cf[{cf.number}]": cf for cf in site.custom_fields()})

    def compile(self, node: Any) -> Pred:
        if node is None:
            return lambda i: True
        if isinstance(node, And):
            preds = [self.compile(n) for n in node.items]
            return lambda i: all(p(i) for p in preds)
        if isinstance(node, Or):
            preds = [self.compile(n) for n in node.items]
            return lambda i: any(p(i) for p in preds)
        if isinstance(node, Not):
            inner = self.compile(node.item)
            return lambda i: not inner(i)
        return self.clause(node)

    # --- clause dispatch ----------------------------------------------------------------------

    def clause(self, c: Clause) -> Pred:
        name = c.field.lower()
        if name in ("project",):
            return self.multi(c, lambda i: [i.project], self.project_value)
        if name in ("key", "issuekey", "id"):
            return self.multi(c, lambda i: [i.key], self.key_value)
        if name == "labels":
            return self.multi(c, lambda i: [x.lower() for x in i.labels],
                              lambda v, c: v.text.lower())
        if name in ("component", "components"):
            return self.multi(c, lambda i: [x.lower() for x in i.components],
                              lambda v, c: v.text.lower())
        if name in ("issuetype", "type"):
            return self.multi(c, lambda i: [i.issuetype.lower()], self.type_value)
        if name == "parent":
            return self.multi(c, lambda i: [i.parent] if i.parent else [], self.key_value)
        if name == "status":
            return self.multi(c, lambda i: [i.status.lower()], self.status_value)
        if name == "statuscategory":
            return self.multi(c, lambda i: [_category(i.status)], self.category_value)
        if name == "priority":
            return self.multi(c, lambda i: [i.priority.lower()] if i.priority else [],
                              self.priority_value)
        if name in ("assignee", "reporter", "creator", "watcher"):
            attr = {"watcher": "watchers"}.get(name, name)
            return self.multi(c, lambda i: _people(i, attr), self.user_value)
        if name == "resolution":
            return self.multi(c, lambda i: [i.resolution.lower()] if i.resolution else [],
                              self.resolution_value)
        if name in ("created", "createddate", "updated", "updateddate", "resolved",
                    "resolutiondate"):
            attr = {"createddate": "created", "updateddate": "updated",
                    "resolved": "resolutiondate"}.get(name, name)
            return self.dates(c, lambda i: getattr(i, attr))
        if name in ("due", "duedate"):
            return self.dates(c, lambda i: i.duedate, day_only=True)
        if name in ("summary", "description", "text", "comment"):
            return self.text(c, lambda i: _texts(i, name))
        cf = self.custom.get(name)
        if cf is not None:
            if cf.kind == "select":
                return self.multi(c, lambda i: [str(i.custom.get(cf.id)).lower()]
                                  if i.custom.get(cf.id) else [], self.option_value(cf))
            if cf.kind == "epiclink":
                return self.multi(c, lambda i: [i.custom.get(cf.id)] if i.custom.get(cf.id)
                                  else [], self.key_value)
            if self.text_equals and c.op in ("=", "!=", "IN", "NOT IN"):
                return self.multi(c, lambda i: [str(i.custom.get(cf.id)).lower()]
                                  if i.custom.get(cf.id) else [], lambda v, c: v.text.lower())
            return self.text(c, lambda i: [str(i.custom.get(cf.id) or "")], label=cf.name)
        raise JqlError(f"Field '{c.field}' does not exist or you do not have permission to view "
                       "it.")

    def multi(self, c: Clause, get: Callable[[Issue], list[Any]],
              conv: Callable[[Value, Clause], Any]) -> Pred:
        op = c.op
        if op in ("IS", "IS NOT"):
            return (lambda i: not get(i)) if op == "IS" else (lambda i: bool(get(i)))
        if op not in ("=", "!=", "IN", "NOT IN"):
            raise JqlError(f"The operator '{op.lower() if ' ' in op else op}' is not supported "
                           f"by the '{c.field}' field.")
        wanted = set()
        for v in c.values:
            if v.function:
                wanted.update(self.function_values(v, c))
            elif v.text.upper() in ("EMPTY", "NULL") and not v.quoted:
                wanted.add(None)
            else:
                wanted.add(conv(v, c))

        def test(i: Issue) -> bool:
            have = get(i)
            if None in wanted and not have:
                return True
            return any(h in wanted for h in have)

        if op in ("=", "IN"):
            return test
        return lambda i: bool(get(i)) and not test(i)

    def function_values(self, v: Value, c: Clause) -> set[Any]:
        fn = (v.function or "").lower()
        if fn == "currentuser":
            return {self.site.api_user.account_id}
        raise JqlError(f"Error in the JQL Query: Unable to find JQL function '{v.function}()'.")

    # --- value converters ---------------------------------------------------------------------

    def project_value(self, v: Value, c: Clause) -> str:
        for p in self.site.projects.values():
            if v.text.lower() in (p.key.lower(), p.name.lower(), p.id):
                return p.key
        raise JqlError(f"The value '{v.text}' does not exist for the field '{c.field}'.")

    def key_value(self, v: Value, c: Clause) -> str:
        iss = self.site.issues.get(v.text.upper())
        if iss is None and v.text.isdigit():
            iss = self.site.by_id.get(int(v.text))
        if iss is None:
            if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*-\d+|\d+", v.text):
                raise JqlError(f"The issue key '{v.text}' for field '{c.field}' is invalid.")
            raise JqlError(f"An issue with key '{v.text}' does not exist for field "
                           f"'{c.field}'.")
        return iss.key

    def type_value(self, v: Value, c: Clause) -> str:
        t = cat.issue_type(v.text)
        if t is None:
            raise JqlError(f"The value '{v.text}' does not exist for the field '{c.field}'.")
        return t.name.lower()

    def status_value(self, v: Value, c: Clause) -> str:
        s = cat.status(v.text)
        if s is None:
            raise JqlError(f"The value '{v.text}' does not exist for the field '{c.field}'.")
        return s.name.lower()

    def category_value(self, v: Value, c: Clause) -> str:
        for key, cat_ in cat.CATEGORIES.items():
            if v.text.lower() in (key, str(cat_["name"]).lower(), str(cat_["id"])):
                return key
        raise JqlError(f"The value '{v.text}' does not exist for the field '{c.field}'.")

    def priority_value(self, v: Value, c: Clause) -> str:
        p = cat.priority(v.text)
        if p is None:
            raise JqlError(f"The value '{v.text}' does not exist for the field '{c.field}'.")
        return p[1].lower()

    def user_value(self, v: Value, c: Clause) -> str:
        u = self.site.find_user(v.text)
        if u is None:
            raise JqlError(f"The value '{v.text}' does not exist for the field '{c.field}'.")
        return u.account_id

    def resolution_value(self, v: Value, c: Clause) -> Any:
        if v.text.lower() == "unresolved":
            return None
        if v.text.lower() == "done":
            return "done"
        raise JqlError(f"The value '{v.text}' does not exist for the field '{c.field}'.")

    def option_value(self, cf: cat.CustomField) -> Callable[[Value, Clause], str]:
        def conv(v: Value, c: Clause) -> str:
            if v.text not in cf.options and v.text.lower() not in cf.options:
                raise JqlError(f"The option '{v.text}' for field '{c.field}' does not exist.")
            return v.text.lower()
        return conv

    # --- dates and text -----------------------------------------------------------------------

    def moment(self, v: Value, c: Clause) -> datetime:
        """A JQL date operand as an aware datetime (user's zone, minute precision)."""
        text = v.text.strip()
        if v.function or _RELATIVE.match(text):
            self.timely = True
        if v.function:
            fn = v.function.lower()
            local_now = self.now.astimezone(self.zone)
            start = datetime.combine(local_now.date(), time(), self.zone)
            if fn == "now":
                return self.now
            if fn == "startofday":
                return start
            if fn == "endofday":
                return start + timedelta(days=1) - timedelta(milliseconds=1)
            raise JqlError(f"Error in the JQL Query: Unable to find JQL function "
                           f"'{v.function}()'.")
        if _RELATIVE.match(text):
            sign = -1 if text.startswith("-") else 1
            seconds = sum(int(n) * _UNITS[u] for n, u in _PART.findall(text))
            return self.now + sign * timedelta(seconds=seconds)
        for fmt in DATE_FORMATS:
            try:
                naive = datetime.strptime(text, fmt)
            except ValueError:
                continue
            return naive.replace(tzinfo=self.zone)
        raise JqlError(f"Date value '{v.text}' for field '{c.field}' is invalid. Valid formats "
                       "include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', "
                       "'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'.")

    def dates(self, c: Clause, get: Callable[[Issue], Any], day_only: bool = False) -> Pred:
        op = c.op
        if op in ("IS", "IS NOT"):
            return (lambda i: get(i) is None) if op == "IS" else (lambda i: get(i) is not None)
        if op in ("~", "!~"):
            raise JqlError(f"The operator '{op}' is not supported by the '{c.field}' field.")
        moments = [self.moment(v, c) for v in c.values]

        def val(i: Issue) -> datetime | None:
            x = get(i)
            if isinstance(x, date) and not isinstance(x, datetime):
                return datetime.combine(x, time(), self.zone)
            return x if isinstance(x, datetime) else None

        target = moments[0]
        tests: dict[str, Callable[[datetime], bool]] = {
            "=": lambda x: x == target, "!=": lambda x: x != target,
            "<": lambda x: x < target, "<=": lambda x: x <= target,
            ">": lambda x: x > target, ">=": lambda x: x >= target,
            "IN": lambda x: x in moments, "NOT IN": lambda x: x not in moments,
        }
        test = tests[op]
        return lambda i: (x := val(i)) is not None and test(x)

    def text(self, c: Clause, get: Callable[[Issue], list[str]], label: str | None = None) -> Pred:
        op = c.op
        if op in ("IS", "IS NOT"):
            def empty(i: Issue) -> bool:
                return not any(get(i))
            return empty if op == "IS" else (lambda i: not empty(i))
        if op not in ("~", "!~"):
            raise JqlError(f"The operator '{op.lower() if ' ' in op else op}' is not supported "
                           f"by the '{label or c.field}' field.")
        needle = c.values[0].text.strip().strip('"').lower().rstrip("*")

        def contains(i: Issue) -> bool:
            return any(needle in (t or "").lower() for t in get(i))

        return contains if op == "~" else (lambda i: not contains(i))

    # --- ordering -----------------------------------------------------------------------------

    def sort(self, issues: list[Issue], query: Query) -> list[Issue]:
        order = list(query.order) or []
        if not order:
            return sorted(issues, key=_key_order, reverse=True)
        for s in reversed(order):
            name = ORDERABLE.get(s.field.lower())
            if name is None:
                if s.field.lower() in self.custom:
                    cf = self.custom[s.field.lower()]
                    issues.sort(key=_custom_key(cf.id), reverse=bool(s.desc))
                    continue
                raise JqlError(f"Field '{s.field}' does not exist or you do not have permission "
                               "to view it.")
            desc = DEFAULT_DESC.get(name, False) if s.desc is None else s.desc
            issues.sort(key=_sort_key(name), reverse=desc)
        return issues


def _custom_key(fid: str) -> Callable[[Issue], str]:
    return lambda i: str(i.custom.get(fid) or "")


def _key_order(i: Issue) -> tuple[str, int]:
    return (i.key.rsplit("-", 1)[0], i.number)


def _sort_key(name: str) -> Callable[[Issue], Any]:
    if name == "key":
        return _key_order
    if name == "priority":
        return lambda i: int((cat.priority(i.priority or "") or ("9",))[0])
    if name in ("updated", "created", "resolutiondate"):
        return lambda i: getattr(i, name) or datetime.min.replace(tzinfo=ZoneInfo("UTC"))
    if name == "duedate":
        return lambda i: i.duedate or date.min
    return lambda i: str(getattr(i, name) or "").lower()


def _category(status: str) -> str:
    s = cat.status(status)
    return s.category if s else "new"


def _people(i: Issue, attr: str) -> list[str]:
    value = getattr(i, attr)
    if isinstance(value, list):
        return list(value)
    return [value] if value else []


def _texts(i: Issue, name: str) -> list[str]:
    if name == "summary":
        return [i.summary]
    if name == "description":
        return [i.description or ""]
    if name == "comment":
        return [c.body for c in i.comments]
    return [i.summary, i.description or ""] + [c.body for c in i.comments] + [
        str(v) for v in i.custom.values() if isinstance(v, str)]


CACHED_SEARCHES = 8


def search(site: Site, query: Query, text_equals: bool = False, text: str | None = None) -> list[Issue]:
    """All issues matching ``query`` in its order, as the (possibly lagging) index sees them.

    With ``text`` (the query as sent), the answer is kept until anything search could see changes
    (``Site.changed``), so paging through a result costs a page, not a new search of the whole
    site per page; a query that reads the clock is evaluated every time. Callers must not change
    the returned list."""
    issues = site.searchable()
    key = (text, text_equals, site.generation)
    if text is not None and (hit := site.search_cache.get(key)) is not None:
        site.search_cache.move_to_end(key)
        return hit
    ev = Evaluator(site, text_equals)
    pred = ev.compile(query.where)
    span = _updated_span(ev, query.where)
    pool = issues if span is None else _updated_within(site, *span)
    found = ev.sort([i for i in pool if pred(i)], query)
    if text is not None and not ev.timely:
        site.search_cache[key] = found
        while len(site.search_cache) > CACHED_SEARCHES:
            site.search_cache.popitem(last=False)
    return found


def _conjuncts(node: Any) -> list[Any]:
    return [c for item in node.items for c in _conjuncts(item)] if isinstance(node, And) else [node]


def _updated_span(ev: Evaluator, where: Any) -> tuple[datetime | None, datetime | None] | None:
    """The bounds a query's top-level ``updated`` clauses put on ``updated`` (None when it has
    none): every match lies within them, so search need only test the issues inside."""
    low = high = None
    found = False
    for c in _conjuncts(where):
        if (isinstance(c, Clause) and c.field.lower() in ("updated", "updateddate")
                and c.op in (">=", ">", "<", "<=", "=") and len(c.values) == 1):
            at = ev.moment(c.values[0], c)
            if c.op in (">=", ">", "="):
                low = at if low is None else max(low, at)
            if c.op in ("<", "<=", "="):
                high = at if high is None else min(high, at)
            found = True
    return (low, high) if found else None


def _updated_within(site: Site, low: datetime | None, high: datetime | None) -> list[Issue]:
    """The searchable issues with ``low <= updated <= high``, in search's own order (so a sort
    that leaves ties in that order gives what a scan of every issue gives)."""
    stamps, ordered, place = site.by_updated()
    start = bisect_left(stamps, low) if low is not None else 0
    end = bisect_right(stamps, high) if high is not None else len(stamps)
    return sorted(ordered[start:end], key=lambda i: place[id(i)])
