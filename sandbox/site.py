"""The emulated Jira site: users, projects, issues, comments, links, watchers, properties.

Plain Python state; :mod:`sandbox.jira_api` validates requests and calls the methods here.
Search reads an *index* that trails the live issues by ``search_lag_seconds`` of sandbox time,
as Jira Cloud's eventually consistent search does; reads by key are always current.

E-mail privacy (Cloud only): real Jira Cloud leaves ``emailAddress`` out of every user object
whose owner's profile visibility hides it (user search, assignee, reporter, creator, comment and
changelog authors, watchers; see Atlassian's "Profile visibility overview"); the user-search
``query`` still matches the e-mail ("matched against displayName and emailAddress"), and the API
user always sees its own. Profile visibility is a setting of Atlassian accounts: portal-only
Service Management customers (``accountType: customer``, managed by the site) keep their
``emailAddress`` (Atlassian's "Create customer" example returns it). ``Site.email_privacy``
chooses which Atlassian accounts hide it: ``"some"`` (the default: the users
:func:`hides_email_by_default` picks, about a third, stable per e-mail), ``"all"`` (every one but
the API user) or ``"none"``. Data Center always shows e-mails.
"""

from __future__ import annotations

import copy
import itertools
import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sandbox import jira_catalog as cat
from sandbox.clock import Clock
from sandbox.ids import account_id_for


class JiraError(Exception):
    """A Jira refusal: status plus ``{"errorMessages": [...], "errors": {...}}``."""

    def __init__(self, status: int, messages: list[str] | None = None,
                 errors: dict[str, str] | None = None) -> None:
        super().__init__("; ".join(messages or []) or str(errors))
        self.status = status
        self.messages = messages or []
        self.errors = errors or {}

    def body(self) -> dict[str, Any]:
        return {"errorMessages": self.messages, "errors": self.errors}


NOT_FOUND = "Issue does not exist or you do not have permission to see it."
EMAIL_PRIVACY = ("some", "all", "none")


def hides_email_by_default(email: str) -> bool:
    """Whether a user's profile hides the e-mail under ``email_privacy="some"``: a stable third
    of the users, chosen by a checksum of the e-mail (so every run hides the same people)."""
    return zlib.crc32(email.strip().lower().encode("utf-8")) % 3 == 0


@dataclass
class JiraUser:
    account_id: str
    email: str
    display_name: str
    account_type: str = "atlassian"  # atlassian | customer | app
    active: bool = True
    time_zone: str = "Europe/Berlin"
    name: str = ""  # Data Center username
    key: str = ""  # Data Center user key
    email_hidden: bool = False  # the profile's e-mail visibility is "only you and admins"


@dataclass
class Comment:
    id: int
    author: str  # accountId
    body: str
    created: datetime
    updated: datetime
    public: bool = True


@dataclass
class History:
    id: int
    author: str
    created: datetime
    items: list[dict[str, Any]]


@dataclass
class Issue:
    id: int
    key: str
    project: str
    issuetype: str
    summary: str
    created: datetime
    updated: datetime
    status: str
    description: str | None = None
    description_adf: dict[str, Any] | None = None  # the ADF document as sent on v3, returned as is
    priority: str | None = cat.DEFAULT_PRIORITY
    labels: list[str] = field(default_factory=list)
    components: list[str] = field(default_factory=list)
    assignee: str | None = None
    reporter: str | None = None
    creator: str | None = None
    duedate: date | None = None
    parent: str | None = None  # parent key (sub-task parent or Cloud epic)
    custom: dict[str, Any] = field(default_factory=dict)  # customfield id -> stored value
    comments: list[Comment] = field(default_factory=list)
    changelog: list[History] = field(default_factory=list)
    watchers: list[str] = field(default_factory=list)
    properties: dict[str, Any] = field(default_factory=dict)
    resolution: str | None = None
    resolutiondate: datetime | None = None
    status_changed: datetime | None = None

    @property
    def number(self) -> int:
        return int(self.key.rsplit("-", 1)[1])


@dataclass
class Link:
    id: int
    type: str  # link type name
    inward: str  # key
    outward: str  # key


class Site:
    """One Jira site's state."""

    def __init__(self, clock: Clock, *, flavour: str = "cloud", api_email: str,
                 api_token: str, time_zone: str = "Europe/Berlin", search_lag_seconds: float = 0,
                 lock: threading.RLock | None = None) -> None:
        self.clock = clock
        self.lock = lock or threading.RLock()
        self.flavour = flavour
        self.api_token = api_token
        self.time_zone = time_zone
        self.users: dict[str, JiraUser] = {}
        self.projects: dict[str, cat.Project] = {p.key: p for p in cat.PROJECTS}
        self.issues: dict[str, Issue] = {}
        self.by_id: dict[int, Issue] = {}
        self.links: dict[int, Link] = {}
        self.components: dict[str, list[str]] = {}
        self._ids = itertools.count(10001)
        self._numbers: dict[str, int] = {}
        self._comment_ids = itertools.count(10001)
        self._history_ids = itertools.count(10001)
        self._link_ids = itertools.count(10001)
        self.search_lag = timedelta(seconds=search_lag_seconds)
        self.indexed: dict[str, Issue] = {}
        self.pending: dict[str, datetime] = {}
        self.email_privacy = "some"
        # Indexes so a page costs about the page, not the world (perf; answers unchanged):
        # ``generation`` moves on every change search could see (jql_eval caches results by it),
        # ``_children`` holds issues by parent key, ``_links_by_key`` links by either end's key,
        # ``_by_email`` users by lower-case e-mail.
        self.generation = 0
        self.search_cache: OrderedDict[tuple[Any, ...], list[Issue]] = OrderedDict()
        self._children: dict[str, dict[int, Issue]] = {}
        self._links_by_key: dict[str, dict[int, Link]] = {}
        self._link_count = 0
        self._by_email: dict[str, JiraUser] = {}
        self._by_updated: tuple[int, list[datetime], list[Issue], dict[int, int]] | None = None
        self.short_pages = False  # enhanced search returns fewer issues than asked (jira_search.py)
        self.unauthorized_shape = "text"  # a Cloud 401 body: "text" or "json" ({message, status-code})
        self.api_user = self.add_user(api_email, "Escalation Sync", account_type="atlassian")

    @property
    def cloud(self) -> bool:
        return self.flavour == "cloud"

    def custom_fields(self) -> list[cat.CustomField]:
        return [f for f in cat.CUSTOM_FIELDS if self.flavour == "datacenter" or
                not f.datacenter_only]

    # --- users --------------------------------------------------------------------------------

    def set_email_privacy(self, mode: str) -> None:
        """``"some"`` (per-user profile setting), ``"all"`` or ``"none"`` (see the module doc)."""
        if mode not in EMAIL_PRIVACY:
            raise ValueError(f"email_privacy: one of {', '.join(EMAIL_PRIVACY)}, not {mode!r}")
        self.email_privacy = mode

    def email_visible(self, user: JiraUser) -> bool:
        """Whether the API user sees ``user``'s e-mail address in a response."""
        if not self.cloud or user.account_type != "atlassian" or user is getattr(self, "api_user", None):
            return True
        if self.email_privacy == "all":
            return False
        return self.email_privacy == "none" or not user.email_hidden

    def add_user(self, email: str, name: str = "", account_type: str = "atlassian",
                 time_zone: str | None = None) -> JiraUser:
        existing = self.user_by_email(email)
        if existing:
            return existing
        aid = account_id_for(email, customer=account_type == "customer")
        username = email.split("@")[0].lower()
        user = JiraUser(aid, email, name or email.split("@")[0], account_type,
                        time_zone=time_zone or self.time_zone, name=username,
                        key=f"JIRAUSER{10000 + len(self.users)}",
                        email_hidden=hides_email_by_default(email))
        self.users[aid] = user
        self._by_email.setdefault(email.lower(), user)
        self.changed()
        return user

    def user_by_email(self, email: str) -> JiraUser | None:
        """The first user with this e-mail (any case), from the index; the index is rebuilt when
        the users were changed behind it (a user added or an e-mail changed directly)."""
        low = email.lower()
        found = self._by_email.get(low)
        if found is not None and found.email.lower() == low and self.users.get(found.account_id) is found:
            return found
        if found is None and len(self._by_email) == len(self.users):
            return None
        self._by_email = {}
        for u in self.users.values():
            self._by_email.setdefault(u.email.lower(), u)
        return self._by_email.get(low)

    def find_user(self, ident: str) -> JiraUser | None:
        """By accountId, DC username or key, or e-mail."""
        if ident in self.users:
            return self.users[ident]
        low = ident.lower()
        for u in self.users.values():
            if low in (u.name.lower(), u.key.lower(), u.email.lower()):
                return u
        return None

    def search_users(self, query: str) -> list[JiraUser]:
        q = query.strip().lower()
        out = []
        for u in self.users.values():
            words = u.display_name.lower().split()
            if (u.account_id == query or u.email.lower().startswith(q) or u.name.lower() == q
                    or u.display_name.lower().startswith(q) or any(w.startswith(q) for w in words)):
                out.append(u)
        return out

    # --- issues -------------------------------------------------------------------------------

    def issue(self, key_or_id: str) -> Issue:
        """Look an issue up by key (case-insensitive) or numeric id, else 404."""
        found = self.issues.get(str(key_or_id).upper())
        if found is None and str(key_or_id).isdigit():
            found = self.by_id.get(int(key_or_id))
        if found is None:
            raise JiraError(404, [NOT_FOUND])
        return found

    def ensure_project(self, key: str) -> cat.Project:
        if key not in self.projects:
            pid = str(10000 + len(self.projects))
            self.projects[key] = cat.Project(pid, key, key.title(), "service_desk",
                                             ("Support Request", "Task"), "Open", "Resolved")
        return self.projects[key]

    def next_key(self, project: str) -> str:
        n = self._numbers.get(project, 0) + 1
        while f"{project}-{n}" in self.issues:
            n += 1
        self._numbers[project] = n
        return f"{project}-{n}"

    def add_issue(self, project: str, issuetype: str, summary: str, *, key: str | None = None,
                  created: datetime | None = None, updated: datetime | None = None,
                  status: str | None = None, **values: Any) -> Issue:
        """Store a new issue (values already validated)."""
        proj = self.ensure_project(project)
        now = self.clock.now()
        created = created or now
        key = key or self.next_key(project)
        prefix, number = key.rsplit("-", 1)[0], int(key.rsplit("-", 1)[1])
        self._numbers[prefix] = max(self._numbers.get(prefix, 0), number)
        iss = Issue(id=next(self._ids), key=key, project=project, issuetype=issuetype,
                    summary=summary, created=created, updated=updated or created,
                    status=status or proj.initial_status, status_changed=created, **values)
        st = cat.status(iss.status)
        if st and st.category == "done":
            iss.resolution, iss.resolutiondate = "Done", iss.updated
        for comp in iss.components:
            self.components.setdefault(project, [])
            if comp not in self.components[project]:
                self.components[project].append(comp)
        self.issues[key] = iss
        self.by_id[iss.id] = iss
        if iss.parent:
            self._children.setdefault(iss.parent, {})[iss.id] = iss
        self.reindex(iss)
        return iss

    def set_parent(self, iss: Issue, parent: str | None) -> None:
        """Change an issue's parent key (keeps the children index)."""
        if iss.parent:
            self._children.get(iss.parent, {}).pop(iss.id, None)
        iss.parent = parent
        if parent:
            self._children.setdefault(parent, {})[iss.id] = iss
        self.changed()

    def subtasks_of(self, key: str) -> list[Issue]:
        """The live issues whose parent is ``key``, in the site's order (by id)."""
        kids = self._children.get(key)
        if not kids:
            return []
        return sorted((i for i in kids.values() if i.parent == key and self.issues.get(i.key) is i),
                      key=lambda i: i.id)

    def touch(self, iss: Issue, changes: list[dict[str, Any]] | None = None,
              author: str | None = None, at: datetime | None = None) -> None:
        """Bump ``updated``, record a changelog entry, and schedule re-indexing."""
        at = at or self.clock.now()
        iss.updated = at
        if changes:
            iss.changelog.append(History(next(self._history_ids), author or
                                         self.api_user.account_id, at, changes))
        self.reindex(iss)

    def set_status(self, iss: Issue, name: str, author: str | None = None,
                   at: datetime | None = None) -> None:
        new = cat.status(name)
        if new is None:
            raise JiraError(400, [f"Status '{name}' does not exist."])
        old = cat.status(iss.status)
        at = at or self.clock.now()
        change = {"field": "status", "fieldtype": "jira", "fieldId": "status",
                  "from": old.id if old else None, "fromString": iss.status,
                  "to": new.id, "toString": new.name}
        changes = [change]
        iss.status = new.name
        iss.status_changed = at
        if new.category == "done" and iss.resolution is None:
            iss.resolution, iss.resolutiondate = "Done", at
            changes.append({"field": "resolution", "fieldtype": "jira", "fieldId": "resolution",
                            "from": None, "fromString": None, "to": "10000", "toString": "Done"})
        elif new.category != "done" and iss.resolution is not None:
            changes.append({"field": "resolution", "fieldtype": "jira", "fieldId": "resolution",
                            "from": "10000", "fromString": "Done", "to": None, "toString": None})
            iss.resolution, iss.resolutiondate = None, None
        self.touch(iss, changes, author, at)

    def transitions_for(self, iss: Issue) -> list[tuple[cat.Transition, cat.Status]]:
        proj = self.projects[iss.project]
        current = cat.status(iss.status)
        category = current.category if current else "new"
        out = []
        for t in cat.TRANSITIONS:
            if category not in t.from_categories:
                continue
            target = {"initial": proj.initial_status, "done": proj.done_status}.get(t.to, t.to)
            st = cat.status(target)
            if st is not None:
                out.append((t, st))
        return out

    def add_comment(self, iss: Issue, author: str, body: str, public: bool = True,
                    at: datetime | None = None, bump: bool = True) -> Comment:
        at = at or self.clock.now()
        c = Comment(next(self._comment_ids), author, body, at, at, public)
        iss.comments.append(c)
        self.changed()
        if bump:
            self.touch(iss, at=at)
        return c

    def link(self, type_name: str, inward: Issue, outward: Issue) -> Link:
        lk = Link(next(self._link_ids), type_name, inward.key, outward.key)
        self.links[lk.id] = lk
        self._index_link(lk)
        self.touch(inward)
        self.touch(outward)
        return lk

    def unlink(self, link_id: int) -> Link | None:
        """Remove a link by id (None when there is none)."""
        lk = self.links.pop(link_id, None)
        if lk is not None:
            for end in (lk.inward, lk.outward):
                self._links_by_key.get(end, {}).pop(lk.id, None)
            self._link_count -= 1
            self.changed()
        return lk

    def _index_link(self, lk: Link) -> None:
        for end in (lk.inward, lk.outward):
            self._links_by_key.setdefault(end, {})[lk.id] = lk
        self._link_count += 1

    def links_of(self, key: str) -> list[Link]:
        """The links with ``key`` at either end, in the site's order, from the index (rebuilt when
        ``links`` was changed behind it)."""
        if self._link_count != len(self.links):
            self._links_by_key, self._link_count = {}, 0
            for lk in self.links.values():
                self._index_link(lk)
        found = self._links_by_key.get(key)
        if not found:
            return []
        return sorted((lk for lk in found.values() if self.links.get(lk.id) is lk and key in (lk.inward, lk.outward)),
                      key=lambda lk: lk.id)

    def children(self, key: str) -> list[Issue]:
        epic_link = "customfield_10014"
        return [i for i in self.issues.values()
                if i.parent == key or i.custom.get(epic_link) == key]

    # --- search index -------------------------------------------------------------------------

    def changed(self) -> None:
        """Something search could see changed: cached search results are void."""
        self.generation += 1
        self.search_cache.clear()

    def set_search_lag(self, seconds: float) -> None:
        self.changed()
        self.search_lag = timedelta(seconds=seconds)
        if seconds > 0:
            self.indexed = {k: copy.deepcopy(v) for k, v in self.indexed.items()}

    def reindex(self, iss: Issue) -> None:
        self.changed()
        if not self.search_lag:
            self.indexed[iss.key] = iss
            self.pending.pop(iss.key, None)
        else:
            self.pending[iss.key] = self.clock.now() + self.search_lag

    def searchable(self) -> list[Issue]:
        """The issues as search sees them now (trailing writes by the search lag)."""
        if self.pending:
            now = self.clock.now()
            for key, due in list(self.pending.items()):
                if due <= now:
                    live = self.issues.get(key)
                    if live is not None:
                        self.indexed[key] = copy.deepcopy(live) if self.search_lag else live
                    else:
                        self.indexed.pop(key, None)
                    del self.pending[key]
                    self.changed()
        return list(self.indexed.values())

    def by_updated(self) -> tuple[list[datetime], list[Issue], dict[int, int]]:
        """The searchable issues sorted by ``updated``, their stamps, and each one's place (by
        ``id()``) in :meth:`searchable`'s order; built once per :attr:`generation`. Call after
        :meth:`searchable` (which brings the index up to date)."""
        if self._by_updated is None or self._by_updated[0] != self.generation:
            items = list(self.indexed.values())
            place = {id(i): n for n, i in enumerate(items)}
            ordered = sorted((i for i in items if i.updated is not None), key=lambda i: i.updated)
            self._by_updated = (self.generation, [i.updated for i in ordered], ordered, place)
        return self._by_updated[1], self._by_updated[2], self._by_updated[3]

    def delete_issue(self, iss: Issue) -> None:
        self.changed()
        self.issues.pop(iss.key, None)
        self.by_id.pop(iss.id, None)
        if iss.parent:
            self._children.get(iss.parent, {}).pop(iss.id, None)
        for lk in self.links_of(iss.key):
            self.unlink(lk.id)
        self.indexed.pop(iss.key, None)
        self.pending.pop(iss.key, None)
