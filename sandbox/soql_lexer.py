"""SOQL tokens: quoted strings with SOQL escapes (and their LIKE patterns), numbers, unquoted
datetime and date literals, date literals such as ``LAST_N_DAYS:7``, operators, identifiers.

Errors are :class:`SoqlError` with the position, rendered as Salesforce renders them.
"""


from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any


class SoqlError(Exception):
    """A query Salesforce would refuse; ``code`` is the REST ``errorCode``."""

    def __init__(self, code: str, message: str, pos: int | None = None, text: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.detail = message
        self.pos = pos
        self.text = text

    def render(self) -> str:
        """The message as Salesforce formats it: the query, a caret, row and column."""
        if self.pos is None or not self.text:
            return self.detail
        before = self.text[: self.pos]
        row = before.count("\n") + 1
        col = self.pos - (before.rfind("\n") + 1)
        line = self.text.splitlines()[row - 1] if self.text.splitlines() else ""
        return f"\n{line}\n{' ' * col}^\nERROR at Row:{row}:Column:{col + 1}\n{self.detail}"


@dataclass
class Token:
    kind: str  # IDENT STRING NUMBER DATETIME DATE DATELIT OP LP RP COMMA EOF
    value: Any
    pos: int
    raw: str = ""
    like: re.Pattern[str] | None = None


DATE_LITERALS = {
    "TODAY", "YESTERDAY", "TOMORROW", "LAST_WEEK", "THIS_WEEK", "NEXT_WEEK", "LAST_MONTH",
    "THIS_MONTH", "NEXT_MONTH", "LAST_90_DAYS", "NEXT_90_DAYS", "THIS_YEAR", "LAST_YEAR",
    "NEXT_YEAR",
}
N_DATE_LITERALS = {"LAST_N_DAYS", "NEXT_N_DAYS", "N_DAYS_AGO", "LAST_N_WEEKS", "NEXT_N_WEEKS",
                   "LAST_N_MONTHS", "NEXT_N_MONTHS"}

_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,3})?(Z|[+-]\d{2}:?\d{2})"
)
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?![\dT:])")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


def tokenize(text: str) -> list[Token]:
    """Split SOQL into tokens; a stray character or bad escape is ``MALFORMED_QUERY``."""
    out: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch == "'":
            out.append(_string(text, i))
            i = out[-1].pos + len(out[-1].raw)
            continue
        if ch in "(),":
            out.append(Token({"(": "LP", ")": "RP", ",": "COMMA"}[ch], ch, i, ch))
            i += 1
            continue
        two = text[i : i + 2]
        if two in ("!=", "<=", ">=", "<>"):
            out.append(Token("OP", "!=" if two == "<>" else two, i, two))
            i += 2
            continue
        if ch in "=<>":
            out.append(Token("OP", ch, i, ch))
            i += 1
            continue
        m = _DATETIME.match(text, i)
        if m:
            out.append(Token("DATETIME", _parse_datetime(m), i, m.group(0)))
            i = m.end()
            continue
        m = _DATE.match(text, i)
        if m:
            try:
                value = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                raise SoqlError("MALFORMED_QUERY", f"line 1:{i} no viable alternative at "
                                f"character '{m.group(0)}'", i, text) from None
            out.append(Token("DATE", value, i, m.group(0)))
            i = m.end()
            continue
        m = _NUMBER.match(text, i)
        if m and (ch.isdigit() or ch == "." or (ch in "+-" and not out or
                                               (out and out[-1].kind in ("OP", "LP", "COMMA")))):
            raw = m.group(0)
            out.append(Token("NUMBER", float(raw) if "." in raw else int(raw), i, raw))
            i = m.end()
            continue
        m = _IDENT.match(text, i)
        if m:
            word = m.group(0)
            end = m.end()
            if word.upper() in N_DATE_LITERALS and text[end : end + 1] == ":":
                num = re.compile(r"\d+").match(text, end + 1)
                if not num:
                    raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{word}:'", i, text)
                out.append(Token("DATELIT", (word.upper(), int(num.group(0))), i,
                                 text[i : num.end()]))
                i = num.end()
                continue
            if word.upper() in DATE_LITERALS:
                out.append(Token("DATELIT", (word.upper(), None), i, word))
            else:
                out.append(Token("IDENT", word, i, word))
            i = end
            continue
        raise SoqlError("MALFORMED_QUERY", f"line 1:{i} no viable alternative at character "
                        f"'{ch}'", i, text)
    out.append(Token("EOF", None, n, ""))
    return out


def _string(text: str, start: int) -> Token:
    i = start + 1
    value: list[str] = []
    pattern: list[str] = []
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            nxt = text[i + 1 : i + 2]
            if nxt in _ESCAPES:
                value.append(_ESCAPES[nxt])
                pattern.append(re.escape(_ESCAPES[nxt]))
            elif nxt in ("%", "_"):
                value.append(nxt)
                pattern.append(re.escape(nxt))
            elif nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", text[i + 2 : i + 6] or ""):
                value.append(chr(int(text[i + 2 : i + 6], 16)))
                pattern.append(re.escape(value[-1]))
                i += 4
            else:
                raise SoqlError("MALFORMED_QUERY", "Invalid string literal '" +
                                text[start : i + 2] + "'. Illegal escape sequence '\\" + nxt +
                                "'", start, text)
            i += 2
            continue
        if ch == "'":
            raw = text[start : i + 1]
            like = re.compile("^" + "".join(pattern) + "$", re.IGNORECASE | re.DOTALL)
            return Token("STRING", "".join(value), start, raw, like)
        value.append(ch)
        pattern.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
        i += 1
    raise SoqlError("MALFORMED_QUERY", f"line 1:{len(text)} mismatched character '<EOF>' "
                    "expecting '''", start, text)


def _parse_datetime(m: re.Match[str]) -> datetime:
    y, mo, d, h, mi, s = (int(m.group(k)) for k in range(1, 7))
    frac = m.group(7)
    micro = int(float(frac) * 1_000_000) if frac else 0
    zone = m.group(8)
    dt = datetime(y, mo, d, h, mi, s, micro, tzinfo=UTC)
    if zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        offset = int(digits[:2]) * 3600 + int(digits[2:]) * 60
        dt = dt.replace(tzinfo=None)
        from datetime import timedelta

        dt = (dt - sign * timedelta(seconds=offset)).replace(tzinfo=UTC)
    return dt
