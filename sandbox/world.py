"""The world a book describes, as a Salesforce org and a Jira site, and the changes the admin
surface makes to it ("a ticket arrives", "health drops", "an agent moves an issue").

Book -> Salesforce: users become ``User`` (role in ``Escalation_Role__c``, manager in
``ManagerId``); accounts become ``Account`` (custom fields ``ARR__c``, ``Segment__c``,
``Customer_Since__c``, ``Renewal_Date__c``, ``Email_Domains__c`` — comma-separated on even rows
and semicolon-separated on odd rows, so connectors handle both — and ``Health_Score__c`` = the
latest sample); every health sample is an ``AccountHistory`` row.
Book -> Jira: users become ``atlassian`` users; ticket reporters and comment authors who are
customers become ``customer`` users; each ticket becomes an issue in project ``SUP`` (type
"Support Request") with "Channel", "Salesforce Account Id" and "Reporter Title" custom fields,
and comments with ``jsdPublic``. A ticket keeps its book key even when the key's
prefix is not ``SUP`` (as if it had been moved into SUP without re-keying), so keys in the
sandbox match the book and ``backtest``.
Events dated after the book's ``now`` (tickets, comments, health samples) are scheduled: they
appear when the sandbox clock reaches them, as they would in a live org and site.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, time
from typing import Any

from rules.models import Book, Comment, Person, Ticket, User
from sandbox.clock import Clock
from sandbox.org import Org
from sandbox.site import Issue, JiraError, Site

ROLE_TITLES = {
    "support_agent": "Support Engineer", "csm": "Customer Success Manager",
    "cs_manager": "Customer Success Manager Lead", "cs_director": "Director, Customer Success",
    "vp_cs": "VP Customer Success", "vp_engineering": "VP Engineering",
    "cto": "Chief Technology Officer", "cro": "Chief Revenue Officer",
    "ceo": "Chief Executive Officer",
}
INTEGRATION_EMAIL = "integration@vendor.example"
SUPPORT_PROJECT = "SUP"


class World:
    """An org and a site sharing one clock and one lock."""

    def __init__(self, org: Org, site: Site, clock: Clock, lock: threading.RLock) -> None:
        self.org, self.site, self.clock, self.lock = org, site, clock, lock
        self.scheduled: list[tuple[datetime, int, str, Any]] = []  # (at, seq, kind, payload)

    # --- loading ------------------------------------------------------------------------------

    def load(self, book: Book, schedule_future: bool = True) -> None:
        """Build both systems as of ``book.now``; later events wait for the clock."""
        horizon = book.now if schedule_future else None
        with self.lock:
            self._sf_user(INTEGRATION_EMAIL, "Integration User", None, "System Integration")
            self.org.integration_user_id = self._user_ids[INTEGRATION_EMAIL]
            for user in book.users:
                self._sf_user(user.email, user.name, user.role.value,
                              ROLE_TITLES.get(user.role.value, ""))
                self.site.add_user(user.email, user.name or user.email)
            for user in book.users:
                if user.manager and user.manager.lower() in self._user_ids:
                    row = self.org.get("User", self._user_ids[user.email.lower()])
                    assert row is not None
                    row["ManagerId"] = self._user_ids[user.manager.lower()]
            for n, account in enumerate(book.accounts):
                if horizon is not None:
                    later = [h for h in account.health if h.at > horizon]
                    for h in later:
                        self._schedule(h.at, "health", (account.id, h.score))
                    account = account.model_copy(update={"health": tuple(
                        h for h in account.health if h.at <= horizon)})
                self._account(n, account)
            for ticket in sorted(book.tickets, key=lambda t: t.created):
                if horizon is not None and ticket.created > horizon:
                    self._schedule(ticket.created, "ticket", ticket)
                    continue
                if horizon is not None:
                    for c in ticket.comments:
                        if c.at > horizon:
                            self._schedule(c.at, "comment", (ticket.key, c))
                    visible = tuple(c for c in ticket.comments if c.at <= horizon)
                    updated = ticket.updated if ticket.updated and ticket.updated <= horizon \
                        else max([ticket.created] + [c.at for c in visible])
                    ticket = ticket.model_copy(update={"comments": visible, "updated": updated})
                self.add_ticket(ticket, bump=False)
            self.scheduled.sort(key=lambda e: (e[0], e[1]))

    def _schedule(self, at: datetime, kind: str, payload: Any) -> None:
        self.scheduled.append((at, len(self.scheduled), kind, payload))

    def release_due(self) -> int:
        """Apply the scheduled book events whose time has come; returns how many."""
        if not self.scheduled:
            return 0
        now = self.clock.now()
        released = 0
        with self.lock:
            while self.scheduled and self.scheduled[0][0] <= now:
                at, _, kind, payload = self.scheduled.pop(0)
                if kind == "ticket":
                    ticket = payload
                    for c in ticket.comments:
                        if c.at > now:
                            self._schedule(c.at, "comment", (ticket.key, c))
                    visible = tuple(c for c in ticket.comments if c.at <= now)
                    updated = ticket.updated if ticket.updated and ticket.updated <= now \
                        else max([ticket.created] + [c.at for c in visible])
                    self.add_ticket(ticket.model_copy(update={"comments": visible,
                                                              "updated": updated}), bump=False)
                    self.scheduled.sort(key=lambda e: (e[0], e[1]))
                elif kind == "comment":
                    key, comment = payload
                    if key.upper() in self.site.issues:
                        self.add_comment(key, comment, at=comment.at)
                elif kind == "health":
                    account_id, score = payload
                    self.set_health(account_id, score, at)
                released += 1
        return released

    _user_ids: dict[str, str]

    def _sf_user(self, email: str, name: str, role: str | None, title: str) -> str:
        if not hasattr(self, "_user_ids"):
            self._user_ids = {}
        key = email.lower()
        if key in self._user_ids:
            return self._user_ids[key]
        first, _, last = (name or email.split("@")[0]).partition(" ")
        row = self.org.insert_raw("User", {
            "Username": email, "Email": email, "Name": name or email, "FirstName": first,
            "LastName": last or first, "Title": title, "IsActive": True,
            "TimeZoneSidKey": "America/Los_Angeles", "Escalation_Role__c": role,
        }, at=datetime(2015, 1, 1, tzinfo=UTC))
        self._user_ids[key] = str(row["Id"])
        return self._user_ids[key]

    def _account(self, n: int, account: Any) -> None:
        samples = sorted(account.health, key=lambda h: h.at)
        created = (datetime.combine(account.customer_since, time(), UTC)
                   if account.customer_since else self.clock.now())
        owner = self._sf_user(account.owner, account.owner.split("@")[0].title(), "csm",
                              ROLE_TITLES["csm"]) if account.owner else \
            self.org.integration_user_id
        sep = ", " if n % 2 == 0 else ";"
        modstamp = max([created] + [h.at for h in samples])
        self.org.insert_raw("Account", {
            "Id": account.id, "Name": account.name, "OwnerId": owner,
            "ARR__c": float(account.arr), "Segment__c": account.segment,
            "Customer_Since__c": account.customer_since,
            "Renewal_Date__c": account.renewal_date,
            "Email_Domains__c": sep.join(account.domains) or None,
            "Health_Score__c": float(samples[-1].score) if samples else None,
            "LastModifiedDate": modstamp, "SystemModstamp": modstamp,
        }, at=created)
        previous = None
        for h in samples:
            self._history(account.id, previous, h.score, h.at)
            previous = h.score

    def _history(self, account_id: str, old: float | None, new: float, at: datetime) -> None:
        self.org.insert_raw("AccountHistory", {
            "AccountId": account_id, "Field": "Health_Score__c", "DataType": "Double",
            "OldValue": float(old) if old is not None else None, "NewValue": float(new),
        }, at=at)

    def _jira_person(self, person: Person) -> str | None:
        if not person.email:
            return None
        user = self.site.add_user(person.email, person.name or person.email.split("@")[0],
                                  account_type="customer" if person.customer else "atlassian")
        return user.account_id

    # --- changes (book-shaped input) ----------------------------------------------------------

    def add_ticket(self, ticket: Ticket, bump: bool = True) -> Issue:
        """A support ticket arrives (or is loaded from the book) as a Jira issue."""
        site = self.site
        with self.lock:
            if ticket.key.upper() in site.issues:
                raise JiraError(409, [f"Issue {ticket.key} already exists."])
            project = SUPPORT_PROJECT  # whatever the key's prefix: the brief's SUP project
            reporter = self._jira_person(ticket.reporter)
            last = max([ticket.created] + [c.at for c in ticket.comments])
            updated = self.clock.now() if bump else (ticket.updated or last)
            iss = site.add_issue(
                project, "Support Request", ticket.summary or "(no summary)",
                key=ticket.key.upper(), created=ticket.created, updated=updated,
                status=ticket.status or None, description=ticket.description or None,
                priority=ticket.priority or "Medium", labels=list(ticket.labels),
                components=list(ticket.components), reporter=reporter, creator=reporter,
                custom={"customfield_10010": ticket.channel,
                        "customfield_10011": ticket.account,
                        "customfield_10012": ticket.reporter.title or None},
            )
            for c in sorted(ticket.comments, key=lambda c: c.at):
                author = self._jira_person(c.author) or site.api_user.account_id
                site.add_comment(iss, author, c.body, c.public, at=c.at, bump=False)
            iss.updated = updated
            site.reindex(iss)
            return iss

    def add_comment(self, key: str, comment: Comment, at: datetime | None = None) -> None:
        """A comment arrives; ``updated`` becomes ``at`` (default: the sandbox's now)."""
        with self.lock:
            iss = self.site.issue(key)
            author = self._jira_person(comment.author) or self.site.api_user.account_id
            self.site.add_comment(iss, author, comment.body, comment.public, at=comment.at,
                                  bump=False)
            self.site.touch(iss, at=at or max(comment.at, self.clock.now()))

    def set_health(self, account_id: str, score: float, at: datetime | None = None) -> None:
        """Health changes: ``Health_Score__c``, ``SystemModstamp`` and an ``AccountHistory`` row."""
        with self.lock:
            row = self.org.get("Account", account_id)
            if row is None:
                raise KeyError(f"account {account_id} does not exist")
            at = at or self.clock.now()
            old = row.get("Health_Score__c")
            row["Health_Score__c"] = float(score)
            self.org.touch("Account", row, at)
            self._history(row["Id"], old, score, at)

    def transition(self, key: str, status: str) -> None:
        with self.lock:
            iss = self.site.issue(key)
            self.site.set_status(iss, status)

    def add_user(self, user: User) -> None:
        with self.lock:
            self._sf_user(user.email, user.name, user.role.value,
                          ROLE_TITLES.get(user.role.value, ""))
            self.site.add_user(user.email, user.name or user.email)
