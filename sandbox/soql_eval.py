"""Running a parsed SOQL query over the org's records: type checks, filters, order, shape.

Type checks are done once per query (a quoted datetime against a datetime field is
``INVALID_FIELD`` before any row is read, as in Salesforce); the filter then runs as closures.
Results come back in the REST shape: ``attributes`` first, fields in schema casing and selection
order, relationship fields nested under the relationship name (or ``null``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sandbox.ids import to18
from sandbox.sf_schema import FieldDef
from sandbox.soql import BoolOp, Cond, Count, FieldRef, Not, Query, SoqlError, Token

Schema = dict[str, dict[str, FieldDef]]
Row = dict[str, Any]

STRINGY = ("string", "email", "picklist", "textarea", "phone", "url")
NUMERIC = ("double", "currency", "int", "percent")
_TYPE_WORD = {"double": "double", "currency": "double", "int": "int", "percent": "double",
              "boolean": "boolean", "date": "date", "datetime": "dateTime", "id": "id",
              "reference": "id"}


@dataclass
class Source:
    """What a query reads: the schema, the rows of an object, and a lookup by id."""

    schema: Schema
    rows: Callable[[str], Iterable[Row]]
    get: Callable[[str, str], Row | None]


@dataclass
class Resolved:
    chain: list[FieldDef]  # reference fields walked, in order
    field: FieldDef
    objects: list[str]  # object of each step, then the final object

    def value(self, row: Row, src: Source) -> Any:
        rec: Row | None = row
        for ref, obj in zip(self.chain, self.objects[1:], strict=False):
            target = rec.get(ref.name) if rec else None
            rec = src.get(obj, target) if target else None
            if rec is None:
                return None
        return rec.get(self.field.name) if rec is not None else None


@dataclass
class Result:
    sobject: str
    total: int
    records: list[Row]


def find_object(schema: Schema, name: str, pos: int | None = None, text: str = "") -> str:
    for obj in schema:
        if obj.lower() == name.lower():
            return obj
    raise SoqlError("INVALID_TYPE", f"\n{name}\n^\nsObject type '{name}' is not supported. If you "
                    "are attempting to use a custom object, be sure to append the '__c' after the "
                    "entity name. Please reference your WSDL or the describe call for the "
                    "appropriate names.", pos, text)


def resolve(schema: Schema, obj: str, ref: FieldRef, text: str) -> Resolved:
    """Walk ``Owner.Manager.Email``-style paths through reference fields."""
    parts = ref.path.split(".")
    if len(parts) > 1 and parts[0].lower() == obj.lower() and not _relationship(
        schema[obj], parts[0]
    ):
        parts = parts[1:]
    chain: list[FieldDef] = []
    objects = [obj]
    cur = obj
    for part in parts[:-1]:
        rel = _relationship(schema[cur], part)
        if rel is None or rel.reference_to not in schema:
            raise SoqlError("INVALID_FIELD", f"Didn't understand relationship '{part}' in field "
                            "path. If you are attempting to use a custom relationship, be sure to "
                            "append the '__r' after the custom relationship name. Please reference "
                            "your WSDL or the describe call for the appropriate names.",
                            ref.pos, text)
        chain.append(rel)
        cur = rel.reference_to
        objects.append(cur)
    fd = _field(schema[cur], parts[-1])
    if fd is None:
        raise SoqlError("INVALID_FIELD", f"No such column '{parts[-1]}' on entity '{cur}'. If you "
                        "are attempting to use a custom field, be sure to append the '__c' after "
                        "the custom field name. Please reference your WSDL or the describe call "
                        "for the appropriate names.", ref.pos, text)
    return Resolved(chain, fd, objects)


def _relationship(fields: dict[str, FieldDef], name: str) -> FieldDef | None:
    for f in fields.values():
        if f.relationship_name and f.relationship_name.lower() == name.lower():
            return f
    return None


def _field(fields: dict[str, FieldDef], name: str) -> FieldDef | None:
    for f in fields.values():
        if f.name.lower() == name.lower():
            return f
    return None


# --- date literals ---------------------------------------------------------------------------


def date_range(lit: tuple[str, int | None], today: date) -> tuple[date, date]:
    """The ``[start, end)`` days a date literal such as ``LAST_N_DAYS:7`` stands for (UTC)."""
    word, n = lit
    n = n or 0
    day = timedelta(days=1)
    week_start = today - timedelta(days=(today.weekday() + 1) % 7)  # weeks start on Sunday
    month_start = today.replace(day=1)
    next_month = (month_start + timedelta(days=32)).replace(day=1)
    prev_month = (month_start - day).replace(day=1)
    year_start = today.replace(month=1, day=1)
    table: dict[str, tuple[date, date]] = {
        "TODAY": (today, today + day),
        "YESTERDAY": (today - day, today),
        "TOMORROW": (today + day, today + 2 * day),
        "THIS_WEEK": (week_start, week_start + 7 * day),
        "LAST_WEEK": (week_start - 7 * day, week_start),
        "NEXT_WEEK": (week_start + 7 * day, week_start + 14 * day),
        "THIS_MONTH": (month_start, next_month),
        "LAST_MONTH": (prev_month, month_start),
        "NEXT_MONTH": (next_month, (next_month + timedelta(days=32)).replace(day=1)),
        "LAST_90_DAYS": (today - 90 * day, today + day),
        "NEXT_90_DAYS": (today + day, today + 91 * day),
        "THIS_YEAR": (year_start, year_start.replace(year=today.year + 1)),
        "LAST_YEAR": (year_start.replace(year=today.year - 1), year_start),
        "NEXT_YEAR": (year_start.replace(year=today.year + 1), year_start.replace(
            year=today.year + 2)),
        "LAST_N_DAYS": (today - n * day, today + day),
        "NEXT_N_DAYS": (today + day, today + (n + 1) * day),
        "N_DAYS_AGO": (today - n * day, today - (n - 1) * day),
        "LAST_N_WEEKS": (week_start - 7 * n * day, week_start),
        "NEXT_N_WEEKS": (week_start + 7 * day, week_start + 7 * (n + 1) * day),
        "LAST_N_MONTHS": (_add_months(month_start, -n), month_start),
        "NEXT_N_MONTHS": (next_month, _add_months(next_month, n)),
    }
    return table[word]


def _add_months(d: date, months: int) -> date:
    m = d.month - 1 + months
    return d.replace(year=d.year + m // 12, month=m % 12 + 1, day=1)


# --- filters ---------------------------------------------------------------------------------

Pred = Callable[[Row], bool]


class _Compiler:
    def __init__(self, q: Query, src: Source, obj: str, now: datetime) -> None:
        self.q, self.src, self.obj, self.now = q, src, obj, now

    def compile(self, node: Any) -> Pred:
        if isinstance(node, BoolOp):
            preds = [self.compile(i) for i in node.items]
            if node.op == "AND":
                return lambda r: all(p(r) for p in preds)
            return lambda r: any(p(r) for p in preds)
        if isinstance(node, Not):
            inner = self.compile(node.item)
            return lambda r: not inner(r)
        return self.condition(node)

    def condition(self, c: Cond) -> Pred:
        res = resolve(self.src.schema, self.obj, c.field, self.q.text)
        fd = res.field
        if not fd.filterable or fd.type == "anyType":
            raise SoqlError("INVALID_FIELD", f"field '{fd.name}' can not be filtered in a query "
                            "call", c.field.pos, self.q.text)
        src = self.src
        get = res.value
        if c.op in ("IN", "NOT IN"):
            assert isinstance(c.value, list)
            keys = {self.literal(fd, t, c) for t in c.value}
            if c.op == "IN":
                return lambda r: _key(fd, get(r, src)) in keys
            return lambda r: _key(fd, get(r, src)) not in keys
        assert isinstance(c.value, Token)
        tok = c.value
        if c.op == "LIKE":
            if fd.type not in STRINGY or tok.kind != "STRING":
                raise SoqlError("INVALID_FIELD", f"invalid operator on {fd.type} field",
                                c.field.pos, self.q.text)
            pattern = tok.like
            assert pattern is not None
            return lambda r: (v := get(r, src)) is not None and bool(pattern.match(str(v)))
        if tok.kind == "DATELIT":
            if fd.type not in ("date", "datetime"):
                raise self.type_error(fd, c)
            return self.range_pred(fd, get, c.op, tok)
        lit = self.literal(fd, tok, c)
        op = c.op
        if lit is None:
            if op == "=":
                return lambda r: get(r, src) is None
            if op == "!=":
                return lambda r: get(r, src) is not None
            return lambda r: False
        if fd.type == "boolean" and op not in ("=", "!="):
            raise SoqlError("INVALID_FIELD", "invalid operator on boolean field", c.field.pos,
                            self.q.text)
        if op == "=":
            return lambda r: _key(fd, get(r, src)) == lit
        if op == "!=":
            return lambda r: _key(fd, get(r, src)) != lit
        tests: dict[str, Callable[[Any], bool]] = {
            "<": lambda a: a < lit, "<=": lambda a: a <= lit, ">": lambda a: a > lit,
            ">=": lambda a: a >= lit}
        cmp = tests[op]
        return lambda r: (v := _key(fd, get(r, src))) is not None and cmp(v)

    def range_pred(self, fd: FieldDef, get: Callable[[Row, Source], Any], op: str,
                   tok: Token) -> Pred:
        start, end = date_range(tok.value, self.now.astimezone(UTC).date())
        lo: Any = start
        hi: Any = end
        if fd.type == "datetime":
            lo = datetime.combine(start, time(), UTC)
            hi = datetime.combine(end, time(), UTC)
        src = self.src
        tests: dict[str, Callable[[Any], bool]] = {
            "=": lambda v: lo <= v < hi, "!=": lambda v: not (lo <= v < hi),
            "<": lambda v: v < lo, "<=": lambda v: v < hi, ">": lambda v: v >= hi,
            ">=": lambda v: v >= lo,
        }
        test = tests[op]
        return lambda r: (v := get(r, src)) is not None and test(v)

    def type_error(self, fd: FieldDef, c: Cond, quoted: bool = True) -> SoqlError:
        word = _TYPE_WORD.get(fd.type, "string")
        tail = "should not be enclosed in quotes" if quoted else "should be enclosed in quotes"
        return SoqlError("INVALID_FIELD", f"value of filter criterion for field '{fd.name}' must be"
                         f" of type {word} and {tail}", c.field.pos, self.q.text)

    def literal(self, fd: FieldDef, tok: Token, c: Cond) -> Any:
        if tok.kind == "IDENT" and tok.value.lower() == "null":
            return None
        t = fd.type
        if t in ("id", "reference"):
            if tok.kind != "STRING":
                raise self.type_error(fd, c, quoted=False)
            return to18(tok.value)
        if t in STRINGY:
            if tok.kind != "STRING":
                raise self.type_error(fd, c, quoted=False)
            return tok.value.lower()
        if t in NUMERIC:
            if tok.kind != "NUMBER":
                raise self.type_error(fd, c)
            return float(tok.value)
        if t == "boolean":
            if not (tok.kind == "IDENT" and tok.value.lower() in ("true", "false")):
                raise self.type_error(fd, c)
            return tok.value.lower() == "true"
        if t == "datetime":
            if tok.kind != "DATETIME":
                raise self.type_error(fd, c)
            return tok.value
        if t == "date":
            if tok.kind != "DATE":
                raise self.type_error(fd, c)
            return tok.value
        raise self.type_error(fd, c)


def _key(fd: FieldDef, value: Any) -> Any:
    """The comparable form of a stored value (strings compare case-insensitively)."""
    if value is None:
        return None
    if fd.type in STRINGY:
        return str(value).lower()
    if fd.type in NUMERIC:
        return float(value)
    return value


# --- execution -------------------------------------------------------------------------------


def execute(q: Query, src: Source, now: datetime, include_deleted: bool, version: str) -> Result:
    """Filter, order, slice and shape the rows of ``q.sobject``."""
    obj = find_object(src.schema, q.sobject, q.sobject_pos, q.text)
    counts = [f for f in q.fields if isinstance(f, Count)]
    plain = [f for f in q.fields if isinstance(f, FieldRef)]
    if counts and plain:
        raise SoqlError("MALFORMED_QUERY", "Field must be grouped or aggregated: "
                        + plain[0].path, plain[0].pos, q.text)
    selected = [resolve(src.schema, obj, f, q.text) for f in plain]
    for c in counts:
        if c.field is not None:
            resolve(src.schema, obj, c.field, q.text)
    pred = _Compiler(q, src, obj, now).compile(q.where) if q.where is not None else None
    rows = [r for r in src.rows(obj) if (include_deleted or not r.get("IsDeleted"))
            and (pred is None or pred(r))]
    for o in reversed(q.order):
        res = resolve(src.schema, obj, o.field, q.text)
        if res.field.type == "textarea" and res.field.length > 255 or res.field.type == "anyType":
            raise SoqlError("INVALID_FIELD", f"field '{res.field.name}' can not be sorted in a "
                            "query call", o.field.pos, q.text)
        nulls_last = o.nulls_last if o.nulls_last is not None else o.desc
        present = [r for r in rows if res.value(r, src) is not None]
        absent = [r for r in rows if res.value(r, src) is None]
        present.sort(key=_sort_key(res, src), reverse=o.desc)
        rows = present + absent if nulls_last else absent + present
    rows = rows[q.offset:]
    if q.limit is not None:
        rows = rows[: q.limit]
    if counts:
        if len(counts) == 1 and counts[0].field is None:
            return Result(obj, len(rows), [])
        agg: Row = {"attributes": {"type": "AggregateResult"}}
        for i, c in enumerate(counts):
            agg[c.alias or f"expr{i}"] = len(rows)
        return Result(obj, 1, [agg])
    return Result(obj, len(rows), [render(obj, r, selected, src, version) for r in rows])


def _sort_key(res: Resolved, src: Source) -> Callable[[Row], Any]:
    return lambda r: _key(res.field, res.value(r, src))


def attributes(obj: str, rec: Row, version: str) -> dict[str, str]:
    return {"type": obj, "url": f"/services/data/v{version}/sobjects/{obj}/{rec['Id']}"}


def render(obj: str, row: Row, selected: list[Resolved], src: Source, version: str) -> Row:
    out: Row = {"attributes": attributes(obj, row, version)}
    for res in selected:
        target = out
        rec: Row | None = row
        for ref, child in zip(res.chain, res.objects[1:], strict=False):
            rel = ref.relationship_name or ref.name
            if rel in target and target[rel] is None:
                rec = None
                break
            target_id = rec.get(ref.name) if rec else None
            related = src.get(child, target_id) if target_id else None
            if related is None:
                target[rel] = None
                rec = None
                break
            target = target.setdefault(rel, {"attributes": attributes(child, related, version)})
            rec = related
        if rec is not None:
            target[res.field.name] = to_json(res.field, rec.get(res.field.name))
    return out


def to_json(fd: FieldDef, value: Any) -> Any:
    """A stored value as Salesforce's JSON writes it (``…T10:00:00.000+0000``, ``72.0``)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        v = value.astimezone(UTC)
        return v.strftime("%Y-%m-%dT%H:%M:%S.") + f"{v.microsecond // 1000:03d}+0000"
    if isinstance(value, date):
        return value.isoformat()
    if fd.type in NUMERIC and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return value
