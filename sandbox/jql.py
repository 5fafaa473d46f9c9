"""A hand-written JQL reader: tokens, then a recursive-descent parser to a small AST.

Precedence is Jira's: NOT binds tightest, then AND, then OR. Field names may be bare words,
quoted strings (``"Salesforce Account Id"``) or ``cf[10011]``; values may be quoted (with ``\\"``
and ``\\\\`` escapes), bare words (``SUP-1``, ``-5m``, ``2026/11/20``) or functions
(``currentUser()``, ``now()``, ``startOfDay()``). Errors carry Jira's wording and position.
An unquoted reserved word (:mod:`sandbox.jql_words`) as a field name or value is refused, as
Jira refuses ``project = SET``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sandbox.jql_words import RESERVED, VALUE_KEYWORDS, reserved_message


class JqlError(Exception):
    """A query Jira would refuse with 400 (message already in Jira's wording)."""


@dataclass
class Tok:
    kind: str  # WORD STR OP LP RP COMMA EOF
    value: str
    pos: int


OPERATORS = ("!=", ">=", "<=", "!~", "=", ">", "<", "~")
_WORD = re.compile(r"[A-Za-z0-9_\-.:/@+*$#&|\[\]]+")
_KEYWORDS = {"AND", "OR", "NOT", "IN", "IS", "EMPTY", "NULL", "ORDER", "BY", "ASC", "DESC",
             "WAS", "CHANGED"}
_VALID_OPS = ("The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', "
              "'NOT IN', 'IS' and 'IS NOT'.")


def _where(pos: int) -> str:
    return f"(line 1, character {pos + 1})"


def tokenize(text: str) -> list[Tok]:
    out: list[Tok] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch in "\"'":
            j, buf = i + 1, []
            while j < n and text[j] != ch:
                if text[j] == "\\" and j + 1 < n:
                    nxt = text[j + 1]
                    buf.append({"n": "\n", "t": "\t", "r": "\r"}.get(nxt, nxt))
                    j += 2
                    continue
                buf.append(text[j])
                j += 1
            if j >= n:
                raise JqlError(f"Error in the JQL Query: The quoted string '{''.join(buf)}' has "
                               f"not been completed. {_where(i)}")
            out.append(Tok("STR", "".join(buf), i))
            i = j + 1
            continue
        if ch in "(),":
            out.append(Tok({"(": "LP", ")": "RP", ",": "COMMA"}[ch], ch, i))
            i += 1
            continue
        op = next((o for o in OPERATORS if text.startswith(o, i)), None)
        if op and not (False) and not (ch == "!" and text[i + 1 : i + 2] not in ("=", "~")):
            out.append(Tok("OP", op, i))
            i += len(op)
            continue
        if ch == "!":
            out.append(Tok("WORD", "NOT", i))
            i += 1
            continue
        m = _WORD.match(text, i)
        if m:
            out.append(Tok("WORD", m.group(0), i))
            i = m.end()
            continue
        raise JqlError(f"Error in the JQL Query: The character '{ch}' is a reserved JQL "
                       f"character. You must enclose it in a string or use the escape '\\u"
                       f"{ord(ch):04x}' instead. {_where(i)}")
    out.append(Tok("EOF", "", n))
    return out


@dataclass
class Value:
    text: str
    quoted: bool
    pos: int
    function: str | None = None  # name when the operand is a function call
    args: list[str] = field(default_factory=list)


@dataclass
class Clause:
    field: str  # as written (unquoted)
    op: str  # = != < <= > >= ~ !~ IN NOT IN IS IS NOT
    values: list[Value]
    pos: int


@dataclass
class And:
    items: list[Any]


@dataclass
class Or:
    items: list[Any]


@dataclass
class Not:
    item: Any


@dataclass
class Sort:
    field: str
    desc: bool | None
    pos: int


@dataclass
class Query:
    where: Any
    order: list[Sort]


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = tokenize(text)
        self.i = 0

    @property
    def tok(self) -> Tok:
        return self.toks[self.i]

    def kw(self, *words: str) -> bool:
        return self.tok.kind == "WORD" and self.tok.value.upper() in words

    def take(self) -> Tok:
        t = self.tok
        self.i += 1
        return t

    def parse(self) -> Query:
        where = None
        if not self.kw("ORDER") and self.tok.kind != "EOF":
            where = self.or_expr()
        order: list[Sort] = []
        if self.kw("ORDER"):
            self.take()
            if not self.kw("BY"):
                raise JqlError("Error in the JQL Query: Expecting 'by' but got "
                               f"'{self.tok.value or '<EOF>'}'. {_where(self.tok.pos)}")
            self.take()
            while True:
                t = self.take()
                if t.kind not in ("WORD", "STR"):
                    raise JqlError("Error in the JQL Query: Expecting a field name but got "
                                   f"'{t.value or '<EOF>'}'. {_where(t.pos)}")
                desc = None
                if self.kw("ASC", "DESC"):
                    desc = self.take().value.upper() == "DESC"
                order.append(Sort(t.value, desc, t.pos))
                if self.tok.kind != "COMMA":
                    break
                self.take()
        if self.tok.kind != "EOF":
            raise JqlError("Error in the JQL Query: Expecting either 'OR' or 'AND' but got "
                           f"'{self.tok.value}'. {_where(self.tok.pos)}")
        return Query(where, order)

    def or_expr(self) -> Any:
        items = [self.and_expr()]
        while self.kw("OR"):
            self.take()
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else Or(items)

    def and_expr(self) -> Any:
        items = [self.not_expr()]
        while self.kw("AND"):
            self.take()
            items.append(self.not_expr())
        return items[0] if len(items) == 1 else And(items)

    def not_expr(self) -> Any:
        if self.kw("NOT"):
            self.take()
            return Not(self.not_expr())
        if self.tok.kind == "LP":
            self.take()
            inner = self.or_expr()
            if self.tok.kind != "RP":
                raise JqlError("Error in the JQL Query: Expecting ')' but got "
                               f"'{self.tok.value or '<EOF>'}'. {_where(self.tok.pos)}")
            self.take()
            return inner
        return self.clause()

    def clause(self) -> Clause:
        t = self.take()
        if t.kind not in ("WORD", "STR") or (t.kind == "WORD" and t.value.upper() in _KEYWORDS):
            raise JqlError("Error in the JQL Query: Expecting a field name but got "
                           f"'{t.value or '<EOF>'}'. {_where(t.pos)}")
        name = t.value
        if t.kind == "WORD" and name.lower() in RESERVED:
            raise JqlError(reserved_message(name, t.pos))
        if self.tok.kind == "OP":
            op = self.take().value
            return Clause(name, op, [self.operand()], t.pos)
        if self.kw("IS"):
            self.take()
            op = "IS"
            if self.kw("NOT"):
                self.take()
                op = "IS NOT"
            if not self.kw("EMPTY", "NULL"):
                raise JqlError("Error in the JQL Query: Expecting 'EMPTY' or 'NULL' but got "
                               f"'{self.tok.value or '<EOF>'}'. {_where(self.tok.pos)}")
            self.take()
            return Clause(name, op, [], t.pos)
        op = "IN"
        if self.kw("NOT"):
            self.take()
            op = "NOT IN"
            if not self.kw("IN"):
                got = self.tok.value or "<EOF>"
                raise JqlError(f"Error in the JQL Query: Expecting operator but got '{got}'. "
                               f"{_VALID_OPS} {_where(self.tok.pos)}")
        if self.kw("IN"):
            self.take()
            if self.tok.kind != "LP":
                return Clause(name, op, [self.operand()], t.pos)
            self.take()
            values = [self.operand()]
            while self.tok.kind == "COMMA":
                self.take()
                values.append(self.operand())
            if self.tok.kind != "RP":
                raise JqlError("Error in the JQL Query: Expecting ')' but got "
                               f"'{self.tok.value or '<EOF>'}'. {_where(self.tok.pos)}")
            self.take()
            return Clause(name, op, values, t.pos)
        if self.kw("WAS", "CHANGED"):
            raise JqlError(f"Error in the JQL Query: The '{self.tok.value.upper()}' operator is "
                           f"not supported by this sandbox. {_where(self.tok.pos)}")
        raise JqlError(f"Error in the JQL Query: Expecting operator but got "
                       f"'{self.tok.value or '<EOF>'}'. {_VALID_OPS} {_where(self.tok.pos)}")

    def operand(self) -> Value:
        t = self.take()
        if t.kind == "STR":
            return Value(t.value, True, t.pos)
        if t.kind == "WORD" and t.value.upper() not in ("AND", "OR", "ORDER"):
            if self.tok.kind == "LP":
                self.take()
                args = []
                while self.tok.kind not in ("RP", "EOF"):
                    a = self.take()
                    if a.kind in ("WORD", "STR"):
                        args.append(a.value)
                if self.tok.kind != "RP":
                    raise JqlError("Error in the JQL Query: Expecting ')' but got '<EOF>'. "
                                   f"{_where(self.tok.pos)}")
                self.take()
                return Value(t.value, False, t.pos, function=t.value, args=args)
            if t.value.lower() in RESERVED and t.value.lower() not in VALUE_KEYWORDS:
                raise JqlError(reserved_message(t.value, t.pos))
            return Value(t.value, False, t.pos)
        raise JqlError("Error in the JQL Query: Expecting either a value, list or function but "
                       f"got '{t.value or '<EOF>'}'. {_where(t.pos)}")


def parse(text: str) -> Query:
    """Parse JQL (an empty string is a query with no restriction)."""
    return _Parser(text or "").parse()
