"""The emulated Salesforce org: records, DML with Salesforce's validation, sessions, API budget.

Plain Python state with no HTTP in it; :mod:`sandbox.salesforce_api` turns requests into calls
here, and tests may call it directly (under :attr:`Org.lock`) to inspect or seed data.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import secrets
import threading
from collections import OrderedDict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sandbox.clock import Clock
from sandbox.ids import KEY_PREFIXES, looks_like_id, make_id, to18
from sandbox.sf_schema import FieldDef, default_objects, without_field
from sandbox.sf_values import SfError, coerce
from sandbox.soql_eval import Source

Row = dict[str, Any]
SYSTEM = {"Id", "IsDeleted", "CreatedDate", "CreatedById", "LastModifiedDate",
          "LastModifiedById", "SystemModstamp"}


class Org:
    """One Salesforce org's data and its server-side rules."""

    def __init__(self, clock: Clock, *, client_id: str, client_secret: str,
                 token_ttl_seconds: float = 7200, daily_api_limit: int = 15000,
                 upsert_update_status: int = 200, jwt_public_key: str | None = None,
                 lock: threading.RLock | None = None) -> None:
        self.clock = clock
        self.lock = lock or threading.RLock()
        self.schema: dict[str, dict[str, FieldDef]] = default_objects()
        self.records: dict[str, dict[str, Row]] = {name: {} for name in self.schema}
        self.client_id = client_id
        self.client_secret = client_secret
        self.jwt_public_key = jwt_public_key
        self.token_ttl = timedelta(seconds=token_ttl_seconds)
        self.tokens: dict[str, datetime] = {}
        self.api_max = daily_api_limit
        self.api_used = 0
        self.upsert_update_status = upsert_update_status
        self.org_id = make_id(KEY_PREFIXES["Organization"], 1, pod="5g")
        self.cursors: OrderedDict[str, tuple[list[Row], int, int]] = OrderedDict()
        self._counter = itertools.count(1)
        self._autonumber = itertools.count(1)
        self.integration_user_id = ""
        self.short_pages = False  # query batches of 200-2,000 rows by row size (salesforce_ops.py)

    # --- ids and reads ------------------------------------------------------------------------

    def new_id(self, obj: str) -> str:
        return make_id(KEY_PREFIXES[obj], next(self._counter))

    def object_name(self, name: str) -> str | None:
        """The schema's spelling of an object name (they are case-insensitive)."""
        for obj in self.schema:
            if obj.lower() == name.lower():
                return obj
        return None

    def field(self, obj: str, name: str) -> FieldDef | None:
        for f in self.schema[obj].values():
            if f.name.lower() == name.lower():
                return f
        return None

    def get(self, obj: str, record_id: str | None) -> Row | None:
        if not record_id or not looks_like_id(record_id):
            return None
        return self.records.get(obj, {}).get(to18(record_id))

    def find_any(self, record_id: str) -> tuple[str, Row] | None:
        """Find a record by id in whichever object its key prefix names."""
        for obj, prefix in KEY_PREFIXES.items():
            if record_id.startswith(prefix) and obj in self.records:
                row = self.get(obj, record_id)
                if row is not None:
                    return obj, row
        return None

    def source(self) -> Source:
        return Source(self.schema, lambda obj: self.records[obj].values(), self.get)

    # --- writes -------------------------------------------------------------------------------

    def insert_raw(self, obj: str, values: Row, at: datetime | None = None) -> Row:
        """Store a record as given (no validation), filling system fields: for seeding."""
        at = at or self.clock.now()
        rid = values.get("Id") or self.new_id(obj)
        row: Row = {f: None for f in self.schema[obj]}
        row.update({"Id": rid, "IsDeleted": False, "CreatedDate": at,
                    "CreatedById": self.integration_user_id})
        if "SystemModstamp" in self.schema[obj]:
            row.update({"LastModifiedDate": at, "SystemModstamp": at,
                        "LastModifiedById": self.integration_user_id})
        if obj == "Escalation__c":
            row["Name"] = f"ESC-{next(self._autonumber):05d}"
            row["OwnerId"] = self.integration_user_id
        row.update(values)
        row["Id"] = rid
        self.records[obj][rid] = row
        return row

    def _values(self, obj: str, body: Row, creating: bool) -> Row:
        out: Row = {}
        locked: list[str] = []
        for key, value in body.items():
            if key == "attributes":
                continue
            fd = self.field(obj, key)
            if fd is None:
                raise SfError(400, "INVALID_FIELD", f"No such column '{key}' on sobject of type "
                              f"{obj}", [])
            if fd.name == "Id" and not creating:
                continue
            if fd.name == "Id":
                raise SfError(400, "INVALID_FIELD", "cannot specify Id in an insert call", ["Id"])
            if not (fd.createable if creating else fd.updateable):
                locked.append(fd.name)
                continue
            out[fd.name] = coerce(fd, value)
        if locked:
            raise SfError(400, "INVALID_FIELD_FOR_INSERT_UPDATE", "Unable to create/update fields: "
                          f"{', '.join(locked)}. Please check the security settings of this field "
                          "and verify that it is read/write for your profile or permission set.",
                          locked)
        for name, value in out.items():
            fd = self.schema[obj][name]
            if fd.type == "reference" and value:
                if not looks_like_id(value):
                    raise SfError(400, "MALFORMED_ID", f"{fd.label}: id value of incorrect type: "
                                  f"{value}", [name])
                target = fd.reference_to or ""
                if not value.startswith(KEY_PREFIXES.get(target, "???")):
                    raise SfError(400, "FIELD_INTEGRITY_EXCEPTION", f"{fd.label}: id value of "
                                  f"incorrect type: {value}", [name])
                if self.get(target, value) is None:
                    raise SfError(400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id",
                                  [name])
                out[name] = to18(value)
        return out

    def _check_unique(self, obj: str, values: Row, own_id: str | None) -> None:
        for name, value in values.items():
            fd = self.schema[obj][name]
            if not fd.unique or value is None:
                continue
            for other in self.records[obj].values():
                if other["Id"] == own_id or other.get("IsDeleted"):
                    continue
                theirs = other.get(name)
                same = (theirs == value) if fd.case_sensitive else (
                    isinstance(theirs, str) and theirs.lower() == str(value).lower())
                if same:
                    raise SfError(400, "DUPLICATE_VALUE", f"duplicate value found: {name} "
                                  f"duplicates value on record with id: {other['Id']}", [])

    def create(self, obj: str, body: Row) -> Row:
        """Insert one record (``POST /sobjects/<Obj>/``)."""
        self._require_object_op(obj, "create")
        values = self._values(obj, body, creating=True)
        missing = [f.name for f in self.schema[obj].values()
                   if not f.nillable and f.createable and f.type != "boolean"
                   and f.name not in values and f.name not in ("OwnerId",)]
        if missing:
            raise SfError(400, "REQUIRED_FIELD_MISSING",
                          f"Required fields are missing: [{', '.join(missing)}]", missing)
        self._check_unique(obj, values, None)
        for f in self.schema[obj].values():
            if f.type == "boolean" and f.name not in values and f.name not in SYSTEM:
                values[f.name] = False
        return self.insert_raw(obj, values)

    def update(self, obj: str, record_id: str, body: Row) -> Row:
        """Change fields of one record (``PATCH /sobjects/<Obj>/<Id>``)."""
        self._require_object_op(obj, "update")
        row = self.get(obj, record_id)
        if row is None or row.get("IsDeleted"):
            if row is not None:
                raise SfError(404, "ENTITY_IS_DELETED", "entity is deleted", [])
            raise SfError(404, "NOT_FOUND", "The requested resource does not exist")
        values = self._values(obj, body, creating=False)
        self._check_unique(obj, values, row["Id"])
        row.update(values)
        self.touch(obj, row)
        return row

    def touch(self, obj: str, row: Row, at: datetime | None = None) -> None:
        if "SystemModstamp" in row:
            at = at or self.clock.now()
            row["LastModifiedDate"] = at
            row["SystemModstamp"] = at
            row["LastModifiedById"] = self.integration_user_id

    def delete(self, obj: str, record_id: str) -> None:
        self._require_object_op(obj, "delete")
        row = self.get(obj, record_id)
        if row is None:
            raise SfError(404, "NOT_FOUND", "The requested resource does not exist")
        if row.get("IsDeleted"):
            raise SfError(404, "ENTITY_IS_DELETED", "entity is deleted", [])
        row["IsDeleted"] = True
        self.touch(obj, row)

    def find_by_external(self, obj: str, field_name: str, value: str) -> list[Row]:
        fd = self.field(obj, field_name)
        if fd is None or not (fd.external_id or fd.name == "Id"):
            raise SfError(404, "NOT_FOUND", "Provided external ID field does not exist or is not "
                          f"accessible: {field_name}")
        if fd.name == "Id":
            row = self.get(obj, value)
            return [row] if row and not row.get("IsDeleted") else []
        needle = value if fd.case_sensitive else value.lower()
        return [r for r in self.records[obj].values() if not r.get("IsDeleted")
                and isinstance(r.get(fd.name), str)
                and (r[fd.name] if fd.case_sensitive else r[fd.name].lower()) == needle]

    def upsert(self, obj: str, field_name: str, value: str, body: Row) -> tuple[Row, bool]:
        """Upsert by external id: returns (record, created). 300 when several records match."""
        if any(k.lower() == "id" for k in body):
            raise SfError(400, "INVALID_FIELD", "The Id field should not be specified in the "
                          "sobject data.", [])
        matches = self.find_by_external(obj, field_name, value)
        if len(matches) > 1:
            err = SfError(300, "MULTIPLE_CHOICES", "more than one record found for external id "
                          f"field {field_name}: {value}")
            err.matches = [m["Id"] for m in matches]  # type: ignore[attr-defined]
            raise err
        fd = self.field(obj, field_name)
        assert fd is not None
        if matches:
            body = {k: v for k, v in body.items() if k.lower() != fd.name.lower()}
            return self.update(obj, matches[0]["Id"], body), False
        if fd.name == "Id":
            raise SfError(404, "NOT_FOUND", "The requested resource does not exist")
        body = dict(body)
        if not any(k.lower() == fd.name.lower() for k in body):
            body[fd.name] = value
        return self.create(obj, body), True

    def _require_object_op(self, obj: str, op: str) -> None:
        from sandbox.sf_schema import OBJECT_CAPS

        createable, updateable, deletable = OBJECT_CAPS.get(obj, (False, False, False))
        allowed = {"create": createable, "update": updateable, "delete": deletable}[op]
        if not allowed:
            raise SfError(400, "INVALID_TYPE_FOR_OPERATION", f"entity type {obj} does not support "
                          f"{'insert' if op == 'create' else op}")

    def snapshot(self, objects: Iterable[str]) -> dict[str, dict[str, Row]]:
        return {o: {k: dict(v) for k, v in self.records[o].items()} for o in objects}

    def restore(self, snap: dict[str, dict[str, Row]]) -> None:
        for obj, rows in snap.items():
            self.records[obj] = rows

    def remove_field(self, obj: str, name: str) -> bool:
        """Drop a field from the schema (``doctor`` tests): describe and SOQL stop knowing it."""
        before = len(self.schema[obj])
        self.schema[obj] = without_field(self.schema[obj], name)
        return len(self.schema[obj]) < before

    # --- sessions and budget ------------------------------------------------------------------

    def issue_token(self) -> str:
        """A new access token, valid for the configured TTL from the sandbox's now."""
        token = f"{self.org_id[:15]}!AQ{secrets.token_urlsafe(40).replace('-', 'x')}"
        self.tokens[token] = self.clock.now() + self.token_ttl
        return token

    def token_valid(self, token: str) -> bool:
        expires = self.tokens.get(token)
        return expires is not None and self.clock.now() < expires

    def expire_tokens(self) -> int:
        n = len(self.tokens)
        self.tokens.clear()
        return n

    def signature(self, token_id: str, issued_at: str) -> str:
        digest = hashlib.sha256(f"{token_id}{issued_at}{self.client_secret}".encode()).digest()
        return base64.b64encode(digest).decode()

    def charge_call(self) -> bool:
        """Count one API call; False when the daily budget is already spent."""
        if self.api_used >= self.api_max:
            return False
        self.api_used += 1
        return True

    def limit_header(self) -> str:
        return f"api-usage={self.api_used}/{self.api_max}"

    # --- query cursors ------------------------------------------------------------------------

    def open_cursor(self, rows: list[Row], batch: int) -> str:
        locator = make_id(KEY_PREFIXES["QueryLocator"], next(self._counter))
        self.cursors[locator] = (rows, batch, len(rows))
        while len(self.cursors) > 200:
            self.cursors.popitem(last=False)
        return locator
