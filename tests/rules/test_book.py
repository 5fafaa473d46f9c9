"""The book format: typed, strict, every error names its key."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rules.book import parse_book, shift_book
from rules.errors import InputError
from tests.paths import EXAMPLES

MINIMAL = {"now": "2026-11-20T12:00:00Z"}


def bad(data) -> list[str]:
    with pytest.raises(InputError) as err:
        parse_book(data)
    return err.value.problems


def test_unknown_key_is_named_with_its_path():
    problems = bad({**MINIMAL, "tickets": [{"key": "T-1", "created": "2026-11-19T10:00:00Z", "priorty": "High"}]})
    assert problems == ["tickets[0].priorty: unknown key"]


def test_missing_and_mistyped_values_are_named():
    problems = bad({**MINIMAL, "accounts": [{"name": "Acme", "arr": "lots"}]})
    assert "accounts[0].id: required key is missing" in problems
    assert any(p.startswith("accounts[0].arr:") for p in problems)


def test_unknown_channel_and_role_are_refused():
    assert bad({**MINIMAL, "users": [{"email": "a@b", "role": "janitor"}]})[0].startswith("users[0].role")
    t = {"key": "T-1", "created": "2026-11-19T10:00:00Z", "channel": "pigeon"}
    assert bad({**MINIMAL, "tickets": [t]})[0].startswith("tickets[0].channel")


def test_duplicated_ticket_key_is_refused():
    t = {"key": "T-1", "created": "2026-11-19T10:00:00Z"}
    assert bad({**MINIMAL, "tickets": [t, t]}) == ["tickets[1].key: duplicated value 'T-1'"]


def test_optional_keys_take_defaults():
    b = parse_book({**MINIMAL, "tickets": [{"key": "T-1", "created": "2026-11-19T10:00:00"}]})
    t = b.tickets[0]
    assert t.channel == "portal" and t.comments == () and t.created.tzinfo is not None


def test_shift_moves_every_timestamp_so_the_book_reads_as_current():
    b = parse_book((EXAMPLES / "small_book.yaml").read_text())
    now = datetime(2027, 3, 1, 12, tzinfo=UTC)
    moved = shift_book(b, now)
    delta = now - b.now
    assert moved.now == now
    assert moved.tickets[0].created == b.tickets[0].created + delta
    assert moved.tickets[0].comments[0].at == b.tickets[0].comments[0].at + delta
    assert moved.accounts[0].health[0].at == b.accounts[0].health[0].at + delta
    assert (moved.accounts[0].renewal_date - b.accounts[0].renewal_date).days == round(delta.total_seconds() / 86400)


@pytest.mark.parametrize("name", ["small_book.yaml", "busy_owner.yaml"])
def test_example_books_parse(name):
    assert parse_book((EXAMPLES / name).read_text()).tickets
