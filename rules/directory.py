"""Read-only facts about the world the rules consult: people, accounts, ARR ranking.

Built once per cycle (or once per backtest) from Salesforce users and accounts. Pure data.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from rules.models import Account, Role, Ticket, User


@dataclass(frozen=True)
class Directory:
    users: dict[str, User]
    accounts: dict[str, Account]
    by_domain: dict[str, str]
    by_role: dict[Role, tuple[User, ...]]
    top_accounts: frozenset[str]
    total_arr: float
    by_account_name: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, users: Iterable[User], accounts: Iterable[Account], top_n: int) -> Directory:
        """Index users by email and role, accounts by id and domain, and rank ARR.

        Ties in the ARR ranking are broken by account id so the top N is deterministic.
        """
        users_by_email = {u.email.lower(): u for u in users}
        accounts_by_id = {a.id: a for a in accounts}
        by_domain: dict[str, str] = {}
        for account in sorted(accounts_by_id.values(), key=lambda a: a.id):
            for domain in account.domains:
                by_domain.setdefault(domain.lower().lstrip("@"), account.id)
        by_role: dict[Role, list[User]] = defaultdict(list)
        for user in sorted(users_by_email.values(), key=lambda u: u.email.lower()):
            by_role[user.role].append(user)
        ranked = sorted(accounts_by_id.values(), key=lambda a: (-a.arr, a.id))
        return cls(
            users=users_by_email,
            accounts=accounts_by_id,
            by_domain=by_domain,
            by_role={role: tuple(people) for role, people in by_role.items()},
            top_accounts=frozenset(a.id for a in ranked[:top_n] if a.arr > 0),
            total_arr=sum(a.arr for a in accounts_by_id.values()),
        )

    def user(self, email: str | None) -> User | None:
        return self.users.get(email.lower()) if email else None

    def manager_of(self, email: str | None) -> User | None:
        person = self.user(email)
        return self.user(person.manager) if person else None

    def chain(self, email: str | None) -> list[User]:
        """The manager chain above ``email``, nearest first (cycles are cut)."""
        out: list[User] = []
        seen = {email.lower()} if email else set()
        boss = self.manager_of(email)
        while boss and boss.email.lower() not in seen:
            out.append(boss)
            seen.add(boss.email.lower())
            boss = self.manager_of(boss.email)
        return out

    def people(self, role: Role) -> tuple[User, ...]:
        return self.by_role.get(role, ())


def account_of(ticket: Ticket, directory: Directory) -> str | None:
    """The account a ticket belongs to: its explicit account id, else the reporter's domain.

    An explicit id naming no known account matches nothing (it is reported as unmatched
    rather than guessed from the domain), so a typo in the field is seen, not hidden.
    """
    if ticket.account:
        return ticket.account if ticket.account in directory.accounts else None
    email = ticket.reporter.email.lower()
    if "@" not in email:
        return None
    domain = email.rsplit("@", 1)[1]
    while domain:
        if domain in directory.by_domain:
            return directory.by_domain[domain]
        _, _, domain = domain.partition(".")  # eu.acme.example -> acme.example
        if "." not in domain:
            return None
    return None
