"""Reading a book file for ``backtest``: YAML, JSON or JSON Lines, without holding it as models.

* JSON is read with the JSON parser (``yaml.safe_load`` took 40 of 48 s on a 20,000-ticket file).
  The top-level object is walked one ticket at a time; each ticket's text stays in the file's
  string and is validated when the replay reaches it.
* JSON Lines (``.jsonl``/``.ndjson``, one record a line with its ``kind``) is read once for the
  small records and each ticket's place in the file, then each ticket is read again, in time order,
  when the replay needs it: memory is the accounts and the tickets in flight, not the file.
* YAML goes through libyaml's ``CSafeLoader`` when present; it is for books written by hand.

A bad record is an :class:`~rules.errors.InputError` naming it (``tickets[3].priorty``,
``line 12 (ticket): priorty: unknown key``); with ``skip_bad`` it is left out and counted instead.
"""

from __future__ import annotations

import json
import os
import re
from array import array
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import yaml
from pydantic import TypeAdapter, ValidationError

from rules.book import parse_book
from rules.book_stream import BookSource, compact_health, first_event_us, to_us
from rules.errors import InputError, describe
from rules.models import Account, BookEscalation, Comment, Ticket, User, UtcDatetime

YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
JSONL_SUFFIXES = (".jsonl", ".ndjson")
_AT: TypeAdapter[datetime] = TypeAdapter(UtcDatetime)
_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


class Problems:
    """The bad records of one file: fatal at the end, unless the user asked to skip them."""

    def __init__(self, name: str, skip_bad: bool) -> None:
        self.name = name
        self.skip_bad = skip_bad
        self.lines: list[str] = []

    def add(self, where: str, problems: list[str]) -> None:
        """``tickets[3]`` + ``priorty: unknown key`` -> ``tickets[3].priorty: unknown key``;
        ``line 12 (ticket)`` + the same -> ``line 12 (ticket): priorty: unknown key``."""
        for problem in problems:
            if not where:
                self.lines.append(problem)
            elif where.endswith("]"):
                self.lines.append(f"{where}.{problem}")
            else:
                self.lines.append(f"{where}: {problem}")



class _Tickets:
    """Tickets by position: where each record is, and when its first event happens."""

    def __init__(self, read: Callable[[int], Any], where: Callable[[int], str], problems: Problems,
                 text: Callable[[int], str | bytes | None] | None = None) -> None:
        self.read, self.where, self.problems = read, where, problems
        self.text = text  # the record's JSON text when it is exactly a ticket (None: it is not)
        self.created = array("q")
        self.first_comment = array("q")  # -1: no comment
        self.keys: set[str] = set()
        self.extra: dict[str, list[Any]] = {}  # ticket key -> comment records given on their own lines

    def note(self, data: Any, position: str) -> bool:
        """Check what ordering needs (key, creation, comment times) of one ticket record."""
        try:
            key = data["key"]
            created = _us(data["created"])
            ats = [_us(c["at"]) for c in data.get("comments") or ()]
            if not isinstance(key, str):
                raise TypeError(key)
        except (KeyError, TypeError, ValidationError, IndexError):
            try:
                Ticket.model_validate(data)
            except ValidationError as exc:
                self.problems.add(position, describe(exc))
            else:  # pragma: no cover - the light check refused what the model accepts
                self.problems.add(position, ["created: not a time"])
            return False
        if key in self.keys:
            self.problems.add(position, [f"key: duplicated value {key!r}"])
            return False
        self.keys.add(key)
        self.created.append(created)
        self.first_comment.append(min(ats) if ats else -1)
        return True

    def __len__(self) -> int:
        return len(self.created)

    def first_us(self, index: int, now: datetime) -> int | None:
        first = self.first_comment[index]
        return first_event_us(self.created[index], first if first >= 0 else None, to_us(now))

    def load(self, index: int) -> Ticket | None:
        raw = self.text(index) if self.text is not None and not self.extra else None
        if raw is not None:  # parsed and validated in one go by pydantic-core
            try:
                return Ticket.model_validate_json(raw)
            except ValidationError as exc:
                self.problems.add(self.where(index), describe(exc))
                return None
        data = self.read(index)
        extra = self.extra.get(data.get("key")) if isinstance(data, dict) else None
        if extra:
            data = {**data, "comments": [*(data.get("comments") or ()), *extra]}
        try:
            return Ticket.model_validate(data)
        except ValidationError as exc:
            self.problems.add(self.where(index), describe(exc))
            return None


# a time as write_book and exporters write it (UTC, an offset or Z): read by ``fromisoformat`` in C
_PLAIN_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?(?:Z|[+-]\d\d:\d\d)", re.ASCII)


def _us(value: Any) -> int:
    """A record's time in microseconds since the epoch; anything but a plain ISO time with its
    offset goes through the model's own time type (the same instant either way)."""
    if isinstance(value, str) and _PLAIN_TIME.fullmatch(value):
        try:
            return to_us(datetime.fromisoformat(value))
        except ValueError:  # out of range (a 31st of a short month): the model's type says why
            pass
    return to_us(_AT.validate_python(value))


def _validated(model: Any, data: Any, position: str, problems: Problems) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems.add(position, describe(exc))
        return None


def _duplicates(section: str, values: list[str], field: str, problems: Problems) -> None:
    seen: set[str] = set()
    for i, value in enumerate(values):
        if value in seen:
            problems.add(f"{section}[{i}]", [f"{field}: duplicated value {value!r}"])
        seen.add(value)


def _source(now: Any, users: list[User], accounts: list[Account], tickets: _Tickets,
            escalations: list[BookEscalation],
            problems: Problems) -> BookSource:
    _duplicates("accounts", [a.id for a in accounts], "id", problems)
    _duplicates("users", [u.email.lower() for u in users], "email", problems)
    try:
        at = _AT.validate_python(now)
    except ValidationError:
        problems.add("", ["now: required key is missing" if now is None else f"now: not a time (got {now!r})"])
        raise InputError(problems.name, problems.lines) from None  # nothing can be replayed without it
    tickets.keys = set()  # only reading needs them (duplicates): a million keys are 100 MB
    bare, health = compact_health(accounts)
    return BookSource(now=at, users=tuple(users), accounts=bare, tickets=tickets,
                      escalations=tuple(escalations), skipped=problems.lines, health=health)


# --- JSON -----------------------------------------------------------------------------------------


def _skip(text: str, at: int) -> int:
    match = _SPACE.match(text, at)
    return match.end() if match else at


def _json_book(text: str, name: str, problems: Problems) -> BookSource:
    """Walk the top-level object; decode each ticket to check it, keep only where it is."""
    spans = array("q")
    def span(i: int) -> str:
        return text[spans[2 * i]:spans[2 * i + 1]]

    tickets = _Tickets(lambda i: json.loads(span(i)), lambda i: f"tickets[{i}]", problems, text=span)
    top: dict[str, Any] = {}
    try:
        at = _skip(text, 0)
        if text[at:at + 1] != "{":
            raise InputError(name, ["(top level): a book is a mapping with now, users, accounts, tickets"])
        at = _skip(text, at + 1)
        while text[at:at + 1] != "}":
            key, at = _DECODER.raw_decode(text, at)
            at = _skip(text, at)
            if text[at:at + 1] != ":":
                raise ValueError(f"':' expected at char {at}")
            at = _skip(text, at + 1)
            if key == "tickets" and text[at:at + 1] == "[":
                at = _skip(text, at + 1)
                count = 0
                while text[at:at + 1] != "]":
                    record, end = _DECODER.raw_decode(text, at)
                    if tickets.note(record, f"tickets[{count}]"):
                        spans.extend((at, end))
                    count += 1
                    at = _skip(text, end)
                    if text[at:at + 1] == ",":
                        at = _skip(text, at + 1)
                at += 1
            else:
                top[key], at = _DECODER.raw_decode(text, at)
            at = _skip(text, at)
            if text[at:at + 1] == ",":
                at = _skip(text, at + 1)
    except (ValueError, IndexError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(name, [f"not valid JSON: {exc}"]) from exc
    unknown = sorted(set(top) - {"now", "users", "accounts", "escalations"})
    if unknown:
        problems.add("", [f"{k}: unknown key" for k in unknown])
    users = [u for i, d in enumerate(top.get("users") or ()) if (u := _validated(User, d, f"users[{i}]", problems))]
    accounts = [a for i, d in enumerate(top.get("accounts") or ())
                if (a := _validated(Account, d, f"accounts[{i}]", problems))]
    escalations = [e for i, d in enumerate(top.get("escalations") or ())
                   if (e := _validated(BookEscalation, d, f"escalations[{i}]", problems))]
    return _source(top.get("now"), users, accounts, tickets, escalations, problems)


# --- JSON Lines -----------------------------------------------------------------------------------

KINDS = ("now", "user", "account", "health", "ticket", "comment", "escalation")
_TICKET_LINE = b'{"kind": "ticket", '  # how write_book starts a ticket's line


def _jsonl_book(path: str, handle: IO[bytes], problems: Problems) -> BookSource:
    """Pass one: the small records, and each ticket's offset; tickets are read again on demand."""
    offsets = array("q")
    lengths = array("q")
    lines = array("q")
    def read(i: int) -> Any:  # the store keeps the file open through this closure
        record = json.loads(os.pread(handle.fileno(), lengths[i], offsets[i]))  # exactly the line
        record.pop("kind", None)
        return record

    def text(i: int) -> bytes | None:
        """The line as a ticket's JSON, when it starts as written here (``{"kind": "ticket", ...``)."""
        line = os.pread(handle.fileno(), lengths[i], offsets[i])
        return b"{" + line[len(_TICKET_LINE):] if line.startswith(_TICKET_LINE) else None

    tickets = _Tickets(read, lambda i: f"line {lines[i]} (ticket)", problems, text=text)
    now: Any = None
    users: list[User] = []
    accounts: list[Account] = []
    health: dict[str, list[Any]] = defaultdict(list)
    escalations: list[BookEscalation] = []
    offset, number = 0, 0
    for raw in iter(handle.readline, b""):
        number += 1
        here, offset = offset, offset + len(raw)
        if not raw.strip():
            continue
        where = f"line {number}"
        try:
            record = json.loads(raw)
        except ValueError as exc:
            problems.add(where, [f"not valid JSON: {exc}"])
            continue
        kind = record.pop("kind", None) if isinstance(record, dict) else None
        if kind not in KINDS:
            problems.add(where, [f"kind: expected one of {', '.join(KINDS)} (got {kind!r})"])
            continue
        where = f"{where} ({kind})"
        if kind == "now":
            now = record.get("at", record.get("now"))
        elif kind == "user":
            if (user := _validated(User, record, where, problems)) is not None:
                users.append(user)
        elif kind == "account":
            if (account := _validated(Account, record, where, problems)) is not None:
                accounts.append(account)
        elif kind == "health":
            account_id = record.pop("account", None)
            if not isinstance(account_id, str):
                problems.add(where, ["account: required key is missing"])
            else:
                health[account_id].append(record)
        elif kind == "comment":
            key = record.pop("ticket", None)
            if not isinstance(key, str):
                problems.add(where, ["ticket: required key is missing"])
            elif _validated(Comment, record, where, problems) is not None:
                tickets.extra.setdefault(key, []).append(record)
        elif kind == "escalation":
            if (escalation := _validated(BookEscalation, record, where, problems)) is not None:
                escalations.append(escalation)
        elif tickets.note(record, where):
            offsets.append(here)
            lengths.append(len(raw))
            lines.append(number)
    if health:
        accounts = _with_health(accounts, health, problems)
    _comments_first(tickets)
    return _source(now, users, accounts, tickets, escalations, problems)


def _with_health(accounts: list[Account], health: dict[str, list[Any]], problems: Problems) -> list[Account]:
    known = {a.id for a in accounts}
    for orphan in sorted(set(health) - known):
        problems.add("", [f"health of account {orphan!r}: no such account"])
    out = []
    for account in accounts:
        samples = health.get(account.id)
        if samples:
            merged = {**account.model_dump(exclude={"health"}), "health": [*account.health, *samples]}
            account = _validated(Account, merged, f"health of account {account.id}", problems) or account
        out.append(account)
    return out


def _comments_first(tickets: _Tickets) -> None:
    """Comments given on their own lines count for when their ticket's first event happens."""
    if not tickets.extra:
        return
    # the ticket records do not carry these comments: re-reading would miss them without this
    firsts = {k: min(to_us(_AT.validate_python(c["at"])) for c in cs) for k, cs in tickets.extra.items()}
    for i in range(len(tickets)):
        key = tickets.read(i).get("key")
        if key in firsts:
            old = tickets.first_comment[i]
            tickets.first_comment[i] = firsts[key] if old < 0 else min(old, firsts[key])


# --- Entry point ------------------------------------------------------------------------------------


def book_format(path: str, head: bytes) -> str:
    """``jsonl``, ``json`` or ``yaml``: by the name, else by the first record."""
    suffix = Path(path).suffix.lower()
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    if suffix == ".json":
        return "json"
    if suffix in (".yaml", ".yml"):
        return "yaml"
    first = head.lstrip()[:1]
    if first == b"{":
        line = head.lstrip().split(b"\n", 1)[0]
        try:
            return "jsonl" if isinstance(json.loads(line), dict) and b'"kind"' in line else "json"
        except ValueError:
            return "json"
    return "yaml"


def finish(source: BookSource, path: str, skip_bad: bool) -> None:
    """After the replay: refuse the book if it had bad records and the user did not skip them.

    Tickets are validated when the replay reaches them (validating each twice would cost a third
    of a backtest), so the full list of bad records is known only at the end.

    Raises:
        InputError: naming every bad record found, unless ``skip_bad``.
    """
    if source.skipped and not skip_bad:
        raise InputError(path, source.skipped)


def open_book(path: str, skip_bad: bool = False) -> BookSource:
    """A book file as a :class:`BookSource`; bad records are listed in ``source.skipped``.

    Call :func:`finish` after the replay to refuse a book with bad records.

    Raises:
        InputError: the file cannot be read, is not JSON/YAML at all, or has no ``now``.
    """
    problems = Problems(path, skip_bad)
    try:
        handle = open(path, "rb")  # noqa: SIM115 - a JSONL store reads from it during the replay
    except OSError as exc:
        raise InputError(path, [f"cannot read the file: {exc.strerror or exc}"]) from exc
    fmt = book_format(path, handle.read(65536))
    handle.seek(0)
    if fmt == "jsonl":
        return _jsonl_book(path, handle, problems)
    with handle:
        raw = handle.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(path, [f"not UTF-8 text: {exc}"]) from exc
    del raw  # the text is kept (tickets are decoded from it as the replay reaches them); the bytes not
    if fmt == "json":
        return _json_book(text, path, problems)
    try:
        data = yaml.load(text, Loader=YAML_LOADER)  # noqa: S506 - a safe loader (C or Python)
    except yaml.YAMLError as exc:
        raise InputError(path, [f"not valid YAML/JSON: {exc}"]) from exc
    return BookSource.of(parse_book(data, name=path))


# --- Writing ----------------------------------------------------------------------------------------


def jsonl_records(book: dict[str, Any]) -> Any:
    """A book in the contract's mapping shape as JSON Lines records, each with its ``kind``."""
    yield {"kind": "now", "at": book["now"]}
    for section, kind in (("users", "user"), ("accounts", "account"), ("tickets", "ticket"),
                          ("escalations", "escalation")):
        for record in book.get(section) or ():
            yield {"kind": kind, **record}


def write_book(out: IO[str], book: dict[str, Any], fmt: str) -> None:
    """Write a book mapping as ``json``, ``jsonl`` or ``yaml``."""
    if fmt == "jsonl":
        for record in jsonl_records(book):
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    elif fmt == "yaml":
        yaml.dump(book, out, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False,
                  allow_unicode=True)
    else:
        json.dump(book, out, ensure_ascii=False)
