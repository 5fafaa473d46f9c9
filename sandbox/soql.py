"""A hand-written SOQL reader: tokens, then a recursive-descent parser to a small AST.

Covers what a connector sends: field lists with relationship paths, ``COUNT()``, ``WHERE``
with AND/OR/NOT and parentheses (mixing AND and OR without parentheses is refused, as Salesforce
does), comparison operators, ``IN``/``NOT IN``, ``LIKE``, ``null``/``true``/``false``, numbers,
quoted strings with SOQL escapes, unquoted datetime and date literals, date literals such as
``TODAY`` and ``LAST_N_DAYS:7``, ``ORDER BY`` with ``ASC``/``DESC``/``NULLS FIRST|LAST``,
``LIMIT`` and ``OFFSET``. Errors carry the position, rendered as Salesforce does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sandbox.soql_lexer import SoqlError, Token, tokenize

__all__ = ["SoqlError", "Token", "parse", "Query", "FieldRef", "Count", "Cond", "BoolOp", "Not",
           "Order"]


# --- AST -------------------------------------------------------------------------------------


@dataclass
class FieldRef:
    path: str  # as written
    pos: int


@dataclass
class Count:
    field: FieldRef | None
    alias: str | None
    pos: int


@dataclass
class Cond:
    field: FieldRef
    op: str  # = != < <= > >= IN NOT IN LIKE
    value: Token | list[Token]


@dataclass
class BoolOp:
    op: str  # AND OR
    items: list[Any]


@dataclass
class Not:
    item: Any


@dataclass
class Order:
    field: FieldRef
    desc: bool = False
    nulls_last: bool | None = None


@dataclass
class Query:
    fields: list[FieldRef | Count]
    sobject: str
    sobject_pos: int
    where: Any = None
    order: list[Order] = field(default_factory=list)
    limit: int | None = None
    offset: int = 0
    text: str = ""


VALUE_KINDS = ("STRING", "NUMBER", "DATETIME", "DATE", "DATELIT")
_CLAUSE_END = {"WHERE", "ORDER", "LIMIT", "OFFSET", "GROUP", "HAVING", "FOR", "WITH", "UPDATE"}


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = tokenize(text)
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.toks[self.i]

    def kw(self, *words: str) -> bool:
        return self.tok.kind == "IDENT" and self.tok.value.upper() in words

    def take(self) -> Token:
        t = self.tok
        self.i += 1
        return t

    def fail(self, tok: Token | None = None, message: str | None = None) -> SoqlError:
        tok = tok or self.tok
        shown = "EOF" if tok.kind == "EOF" else tok.raw
        return SoqlError("MALFORMED_QUERY", message or f"unexpected token: '{shown}'"
                         if tok.kind != "EOF" else message or "unexpected token: <EOF>",
                         tok.pos, self.text)

    def expect_kw(self, word: str) -> Token:
        if not self.kw(word):
            raise self.fail()
        return self.take()

    def parse(self) -> Query:
        self.expect_kw("SELECT")
        fields = self.select_list()
        self.expect_kw("FROM")
        if self.tok.kind != "IDENT":
            raise self.fail()
        obj = self.take()
        if self.tok.kind == "IDENT" and not self.kw(*_CLAUSE_END):
            self.take()  # an alias: SELECT a.Name FROM Account a
        q = Query(fields, obj.value, obj.pos, text=self.text)
        if self.kw("WHERE"):
            self.take()
            q.where = self.expr()
        if self.kw("ORDER"):
            self.take()
            self.expect_kw("BY")
            q.order = self.order_list()
        if self.kw("LIMIT"):
            self.take()
            t = self.take()
            if t.kind != "NUMBER" or not isinstance(t.value, int) or t.value < 0:
                raise self.fail(t)
            q.limit = t.value
        if self.kw("OFFSET"):
            self.take()
            t = self.take()
            if t.kind != "NUMBER" or not isinstance(t.value, int) or t.value < 0:
                raise self.fail(t)
            if t.value > 2000:
                raise SoqlError("NUMBER_OUTSIDE_VALID_RANGE", "Maximum SOQL offset allowed is "
                                "2000", t.pos, self.text)
            q.offset = t.value
        if self.tok.kind != "EOF":
            raise self.fail()
        return q

    def select_list(self) -> list[FieldRef | Count]:
        items: list[FieldRef | Count] = []
        seen: set[str] = set()
        while True:
            t = self.tok
            if t.kind != "IDENT" or t.value.upper() == "FROM":
                raise self.fail()
            self.take()
            if t.value.upper() == "COUNT" and self.tok.kind == "LP":
                self.take()
                inner = None
                if self.tok.kind == "IDENT":
                    inner_tok = self.take()
                    inner = FieldRef(inner_tok.value, inner_tok.pos)
                if self.tok.kind != "RP":
                    raise self.fail()
                self.take()
                alias = None
                if self.tok.kind == "IDENT" and not self.kw("FROM"):
                    alias = self.take().value
                items.append(Count(inner, alias, t.pos))
            else:
                if t.value.lower() in seen:
                    raise SoqlError("MALFORMED_QUERY", f"duplicate field selected: {t.value}",
                                    t.pos, self.text)
                seen.add(t.value.lower())
                items.append(FieldRef(t.value, t.pos))
            if self.tok.kind == "COMMA":
                self.take()
                continue
            return items

    def expr(self) -> Any:
        first = self.unary()
        items = [first]
        op: str | None = None
        while self.kw("AND", "OR"):
            word = self.tok.value.upper()
            if op and word != op:
                raise self.fail()
            op = word
            self.take()
            items.append(self.unary())
        return BoolOp(op, items) if op else first

    def unary(self) -> Any:
        if self.kw("NOT"):
            self.take()
            return Not(self.unary())
        if self.tok.kind == "LP":
            self.take()
            inner = self.expr()
            if self.tok.kind != "RP":
                raise self.fail()
            self.take()
            return inner
        return self.condition()

    def condition(self) -> Cond:
        t = self.tok
        if t.kind != "IDENT":
            raise self.fail()
        self.take()
        ref = FieldRef(t.value, t.pos)
        if self.tok.kind == "OP":
            op = self.take().value
            return Cond(ref, op, self.value())
        if self.kw("LIKE"):
            self.take()
            v = self.value()
            return Cond(ref, "LIKE", v)
        negate = False
        if self.kw("NOT"):
            self.take()
            negate = True
        if self.kw("IN"):
            self.take()
            if self.tok.kind != "LP":
                raise self.fail()
            self.take()
            values = [self.value()]
            while self.tok.kind == "COMMA":
                self.take()
                values.append(self.value())
            if self.tok.kind != "RP":
                raise self.fail()
            self.take()
            return Cond(ref, "NOT IN" if negate else "IN", values)
        raise self.fail()

    def value(self) -> Token:
        t = self.tok
        if t.kind in VALUE_KINDS or (t.kind == "IDENT" and t.value.lower() in
                                     ("null", "true", "false")):
            return self.take()
        raise self.fail()

    def order_list(self) -> list[Order]:
        out = []
        while True:
            t = self.tok
            if t.kind != "IDENT":
                raise self.fail()
            self.take()
            o = Order(FieldRef(t.value, t.pos))
            if self.kw("ASC", "DESC"):
                o.desc = self.take().value.upper() == "DESC"
            if self.kw("NULLS"):
                self.take()
                if not self.kw("FIRST", "LAST"):
                    raise self.fail()
                o.nulls_last = self.take().value.upper() == "LAST"
            out.append(o)
            if self.tok.kind == "COMMA":
                self.take()
                continue
            return out


def parse(text: str) -> Query:
    """Parse one SOQL statement.

    Raises:
        SoqlError: ``MALFORMED_QUERY`` with Salesforce's position-marked message.
    """
    if not text or not text.strip():
        raise SoqlError("MALFORMED_QUERY", "unexpected token: <EOF>")
    return _Parser(text).parse()
