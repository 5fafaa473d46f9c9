"""The world a chaos run changes as it goes, kept as a book so ``backtest`` can judge the end.

Every new ticket and health drop goes to the sandbox (as the real systems would receive them)
and to a copy of the book; at the end, the backtest of that book is what must have landed.
"""

from __future__ import annotations

import itertools
from typing import Any

from rules.config import default_config
from rules.models import Book, HealthSample, Ticket
from sandbox.server import Sandbox
from tests.sync.outcome import expected


class ChangingWorld:
    def __init__(self, sb: Sandbox):
        self.sb = sb
        self.book: Book = sb.book
        self._keys = itertools.count(9001)
        quiet = set(expected(sb)) | {t.account for t in self.book.tickets if t.account}
        quiet |= {a.id for a in self.book.accounts for t in self.book.tickets
                  if t.reporter.email.rpartition("@")[2] in a.domains}
        self.spare = [a for a in self.book.accounts if a.id not in quiet and a.domains and a.owner]
        self.tickets = 0
        self.drops = 0

    def new_escalation(self) -> str:
        """A ticket that opens an escalation on an account that has none (a cancellation threat)."""
        account = self.spare.pop(0)
        key = f"SUP-{next(self._keys)}"
        data: dict[str, Any] = {
            "key": key, "summary": "Exports failing again", "priority": "High", "components": ["Reporting"],
            "description": "If this is not fixed this week we will cancel the contract.",
            "reporter": {"email": f"ops@{account.domains[0]}", "name": "Ops Lead", "customer": True},
            "created": self.sb.clock.now().isoformat(),
        }
        self.sb.add_ticket(data)
        self.book = self.book.model_copy(update={"tickets": (*self.book.tickets, Ticket.model_validate(data))})
        self.tickets += 1
        return account.id

    def health_drop(self) -> str:
        """A steep health drop on an account that has none (a health-drop trigger)."""
        account = self.spare.pop(0)
        samples = (HealthSample(at=self.sb.clock.now(), score=35),)
        for s in samples:
            self.sb.world.set_health(account.id, s.score, s.at)
        accounts = tuple(a.model_copy(update={"health": (*a.health, *samples)}) if a.id == account.id else a
                         for a in self.book.accounts)
        self.book = self.book.model_copy(update={"accounts": accounts})
        self.drops += 1
        return account.id

    def expected(self) -> dict[str, dict[str, Any]]:
        from rules.backtest import backtest

        result = backtest(self.book, default_config(), self.sb.clock.now())
        return {e["account"]: e for e in result["escalations"]}
