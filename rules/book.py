"""The book format (ARCHITECTURE.md, "The book"): parse, validate and shift in time.

Pure: callers read the file; this module turns text or a mapping into a :class:`Book` or an
:class:`InputError` naming every bad key.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import yaml
from pydantic import ValidationError

from rules.errors import InputError, describe
from rules.models import Account, Book, Comment, HealthSample, Ticket

YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_book(source: str | Mapping[str, Any], name: str = "book") -> Book:
    """Parse a book from YAML/JSON text or an already-decoded mapping.

    Raises:
        InputError: naming each bad key (``tickets[2].priorty: unknown key``), a duplicated
            account id or ticket key, or text that is not YAML.
    """
    data = _decode(source, name) if isinstance(source, str) else source
    if not isinstance(data, Mapping):
        raise InputError(name, ["(top level): a book is a mapping with now, users, accounts, tickets"])
    try:
        book = Book.model_validate(data)
    except ValidationError as exc:
        raise InputError(name, describe(exc)) from exc
    problems = _duplicates("accounts", [a.id for a in book.accounts], "id")
    problems += _duplicates("tickets", [t.key for t in book.tickets], "key")
    problems += _duplicates("users", [u.email.lower() for u in book.users], "email")
    if problems:
        raise InputError(name, problems)
    return book


def _decode(text: str, name: str) -> Any:
    """JSON with the JSON parser (about 300 times faster than YAML's), else YAML with libyaml."""
    if text.lstrip().startswith("{"):
        try:
            return json.loads(text)
        except ValueError:
            pass  # a YAML flow mapping, or broken: YAML says which
    try:
        return yaml.load(text, Loader=YAML_LOADER)  # noqa: S506 - a safe loader (C or Python)
    except yaml.YAMLError as exc:
        raise InputError(name, [f"not valid YAML/JSON: {exc}"]) from exc


def _duplicates(section: str, values: list[str], field: str) -> list[str]:
    counts = Counter(values)
    return [
        f"{section}[{i}].{field}: duplicated value {v!r}"
        for i, v in enumerate(values)
        if counts[v] > 1 and values.index(v) != i
    ]


def shift_book(book: Book, to_now: datetime) -> Book:
    """Move every timestamp by ``to_now - book.now`` so the book reads as current.

    Dates (customer since, renewal) move by whole days so the renewal window keeps its length.
    """
    delta = to_now - book.now

    def moved_ticket(t: Ticket) -> Ticket:
        return t.model_copy(
            update={
                "created": t.created + delta,
                "updated": (t.updated + delta) if t.updated else None,
                "comments": tuple(
                    c.model_copy(update={"at": c.at + delta}) for c in t.comments
                ),
            }
        )

    days = timedelta(days=round(delta.total_seconds() / 86400))

    def moved_account(a: Account) -> Account:
        return a.model_copy(
            update={
                "health": tuple(
                    HealthSample(at=h.at + delta, score=h.score) for h in a.health
                ),
                "customer_since": (a.customer_since + days) if a.customer_since else None,
                "renewal_date": (a.renewal_date + days) if a.renewal_date else None,
            }
        )

    return book.model_copy(
        update={
            "now": to_now,
            "accounts": tuple(moved_account(a) for a in book.accounts),
            "tickets": tuple(moved_ticket(t) for t in book.tickets),
        }
    )


def dump_book(book: Book) -> dict[str, Any]:
    """The book as plain JSON-able data in the contract's shape (for the sandbox and tests)."""
    return book.model_dump(mode="json", exclude_none=True)


__all__ = ["parse_book", "shift_book", "dump_book", "InputError", "Comment"]
