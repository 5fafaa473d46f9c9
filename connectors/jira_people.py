"""People in Jira: from an e-mail to a Jira account id, and from a Jira user object back to a person.

Why this exists: Jira Cloud hides ``emailAddress`` from every user whose profile visibility says so
(user search, assignee, comment and changelog authors, watchers), so nothing may depend on seeing
an e-mail in a response. The user search still *matches* on the e-mail (Atlassian: the query "is
matched against user attributes (displayName, and emailAddress)"), so resolution is, in order:

1. an explicit mapping, when one names the e-mail: the mapping file (``JIRA_PEOPLE_FILE``) first,
   then the Salesforce User field (``Jira_Account_Id__c`` by default) — what an admin states beats
   what a search infers;
2. the user search by e-mail: the hit whose visible ``emailAddress`` is the e-mail; else, when the
   hits show no e-mail, the single active non-app hit (a full address matches one person's e-mail;
   two or more hidden hits are ambiguous);
3. otherwise unresolved, with the reason (``doctor`` lists them).

After that people are compared by account id only: :func:`person_of` turns a user object from any
response into the e-mail the connector resolved to that account id (falling back to a visible
``emailAddress``), so the rules keep working in e-mails, the directory's identity.
"""

from __future__ import annotations

import csv
import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectors.errors import RetriableError

log = logging.getLogger(__name__)
SALESFORCE_FIELD = "Jira_Account_Id__c"


@dataclass(frozen=True)
class Resolution:
    """Who an e-mail is in Jira: ``account_id`` (Cloud accountId, Data Center name) or None with
    ``problem`` saying why; ``how`` names the source that decided."""

    email: str
    account_id: str | None
    how: str = ""
    problem: str = ""


def user_id(user: Mapping[str, Any]) -> str | None:
    """A user object's identity: ``accountId`` on Cloud, ``name`` on Data Center."""
    ident = user.get("accountId") or user.get("name")
    return str(ident) if ident else None


def pick(email: str, users: list[Mapping[str, Any]]) -> Resolution:
    """The account a user search for ``email`` found, or why none can be chosen."""
    wanted = email.strip().lower()
    candidates = [u for u in users if isinstance(u, Mapping) and user_id(u)
                  and u.get("accountType", "atlassian") != "app" and u.get("active", True) is not False]
    exact = [u for u in candidates if str(u.get("emailAddress") or "").lower() == wanted]
    if len(exact) == 1:
        return Resolution(email, user_id(exact[0]), "user search (e-mail shown)")
    if len(exact) > 1:
        return Resolution(email, None, problem=f"{len(exact)} Jira users have this e-mail")
    hidden = [u for u in candidates if not u.get("emailAddress")]
    if len(hidden) == 1:
        return Resolution(email, user_id(hidden[0]), "user search (e-mail hidden, the only match)")
    if len(hidden) > 1:
        names = ", ".join(sorted(str(u.get("displayName") or user_id(u)) for u in hidden))
        return Resolution(email, None, problem=f"ambiguous: {len(hidden)} Jira users with hidden e-mails "
                                               f"match ({names})")
    if candidates:
        return Resolution(email, None, problem="the Jira users the search found show other e-mails")
    return Resolution(email, None, problem="no Jira user matches this e-mail (not invited, inactive, or the "
                                           "API user lacks Browse users and groups)")


def load_mapping_file(path: str | Path) -> dict[str, str]:
    """``e-mail -> account id`` from a JSON object or a two-column CSV (``email,account_id``).

    Raises:
        ValueError: naming the file and the line or key that is wrong.
    """
    p = Path(path)
    text = p.read_text("utf-8")
    out: dict[str, str] = {}
    if p.suffix.lower() == ".json":
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError(f"{p}: expected an object of e-mail -> Jira account id")
        for email, ident in data.items():
            if not isinstance(ident, str) or "@" not in str(email) or not ident.strip():
                raise ValueError(f"{p}: {email!r}: expected an e-mail mapped to a Jira account id")
            out[str(email).strip().lower()] = ident.strip()
        return out
    for n, row in enumerate(csv.reader(text.splitlines()), 1):
        if not row or row[0].strip().startswith("#") or row[0].strip().lower() in ("email", "e-mail"):
            continue
        if len(row) < 2 or "@" not in row[0] or not row[1].strip():
            raise ValueError(f"{p}: line {n}: expected 'email,account_id'")
        out[row[0].strip().lower()] = row[1].strip()
    return out


class People:
    """Resolves e-mails to Jira account ids for one connector (see the module doc).

    Args:
        search: ``query -> list of user objects`` (the Jira user search).
        mapping_file: the ``JIRA_PEOPLE_FILE`` path, or None.
        salesforce_rows: ``() -> rows`` of ``Email`` and the Salesforce mapping field, or None; a
            failure (field not deployed) is remembered as a problem, not raised.
    """

    def __init__(self, search: Callable[[str], list[Mapping[str, Any]]], *, mapping_file: str | None = None,
                 salesforce_rows: Callable[[], list[Mapping[str, Any]]] | None = None,
                 salesforce_field: str = SALESFORCE_FIELD) -> None:
        self.search = search
        self.mapping_file = mapping_file
        self.salesforce_rows = salesforce_rows
        self.salesforce_field = salesforce_field
        self._mapping: dict[str, tuple[str, str]] | None = None
        self._reading = threading.Lock()  # the executor resolves people from several threads: read once
        self.problems: list[str] = []  # why a mapping source could not be read

    def mapping(self) -> dict[str, tuple[str, str]]:
        """``e-mail -> (account id, source)`` from the explicit sources, read once.

        A field that is not there (not deployed, no access) is remembered as a problem and not
        asked again; a transient failure (a 5xx, an expired session, the daily limit) leaves the
        mapping unread, to be asked again by the next resolution, which meanwhile uses the file.
        """
        with self._reading:
            if self._mapping is not None:
                return self._mapping
            found: dict[str, tuple[str, str]] = {}
            transient = False
            if self.salesforce_rows is not None:
                try:
                    for row in self.salesforce_rows():
                        email, ident = str(row.get("Email") or "").lower(), row.get(self.salesforce_field)
                        if email and ident:
                            found[email] = (str(ident).strip(), f"Salesforce User.{self.salesforce_field}")
                except RetriableError as exc:
                    transient = True
                    log.warning("jira people: Salesforce User.%s not read this time: %s", self.salesforce_field, exc)
                except Exception as exc:  # noqa: BLE001 - a missing field degrades to the search
                    self.problems.append(f"Salesforce User.{self.salesforce_field} is not readable: {exc}")
                    log.warning("jira people: %s", self.problems[-1])
            if self.mapping_file:
                for email, ident in load_mapping_file(self.mapping_file).items():
                    found[email] = (ident, f"mapping file {self.mapping_file}")
            if not transient:
                self._mapping = found
            return found

    def resolve(self, email: str) -> Resolution:
        """Who ``email`` is in Jira (explicit mapping, then the user search)."""
        key = email.strip().lower()
        mapped = self.mapping().get(key)
        if mapped:
            return Resolution(email, mapped[0], mapped[1])
        return pick(key, list(self.search(key)))

    def account_id(self, email: str) -> str | None:
        found = self.resolve(email)
        if found.account_id is None:
            log.warning("jira user for %s not resolved: %s", email, found.problem)
        return found.account_id


def people_for(jira: Any, *, mapping_file: str | None = None, salesforce: Any = None,
               salesforce_field: str = SALESFORCE_FIELD, reset: bool = False) -> People:
    """The :class:`People` of a :class:`connectors.jira.JiraConnector` (made on first use; the
    runtime calls this once with the mapping sources, ``reset=True``)."""
    existing = getattr(jira, "_people", None)
    if existing is not None and not reset:
        return existing  # type: ignore[no-any-return]

    def search(query: str) -> list[Mapping[str, Any]]:
        # one page on purpose (i11pag): a full e-mail matching more than 20 users is ambiguous anyway
        users = jira.call("user search", lambda: jira.client.search_users(query=query, maxResults=20))
        return [getattr(u, "raw", {}) for u in users]

    rows = None
    if salesforce is not None:
        soql = f"SELECT Email, {salesforce_field} FROM User WHERE {salesforce_field} != null"
        rows = lambda: list(salesforce.query("jira people mapping", soql))  # noqa: E731
    if mapping_file:
        load_mapping_file(mapping_file)  # a bad file is refused at start, naming the line
    people = People(search, mapping_file=mapping_file, salesforce_rows=rows, salesforce_field=salesforce_field)
    jira._people = people
    return people


def person_of(user: Any, known: Mapping[str, str]) -> str | None:
    """The person (lower-case e-mail) behind a user object from any Jira response.

    ``known`` maps account id -> e-mail as the connector resolved them; the account id decides,
    and a visible ``emailAddress`` is used only for an account the connector never resolved. This
    is the one place people in Jira responses are compared.
    """
    if not isinstance(user, Mapping):
        return None
    ident = user_id(user)
    if ident and ident in known:
        return known[ident]
    return str(user.get("emailAddress") or "").lower() or None


def known_people(pairs: Mapping[str, str | None]) -> dict[str, str]:
    """``account id -> e-mail`` from the connector's ``e-mail -> account id`` cache."""
    out: dict[str, str] = {}
    for email, ident in sorted(pairs.items()):
        if ident:
            out.setdefault(ident, email.lower())
    return out
