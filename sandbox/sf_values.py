"""Reading field values that clients send in DML bodies, with Salesforce's refusals.

Each refusal is an :class:`SfError` carrying the REST ``errorCode``, the message and the
``fields`` list Salesforce puts in its error bodies.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from sandbox.sf_schema import FieldDef


class SfError(Exception):
    """One Salesforce error: HTTP status, ``errorCode``, message, affected fields."""

    def __init__(self, status: int, code: str, message: str, fields: list[str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or []

    def body(self) -> dict[str, Any]:
        """The REST error entry (``errorCode``); collections use :meth:`item`."""
        out: dict[str, Any] = {"message": self.message, "errorCode": self.code}
        if self.fields:
            out["fields"] = self.fields
        return out

    def item(self) -> dict[str, Any]:
        """The sObject Collections error entry (``statusCode``, always ``fields``)."""
        return {"statusCode": self.code, "message": self.message, "fields": self.fields}


_DT = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)(Z|[+-]\d{2}:?\d{2})?$"
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def parse_datetime(text: str) -> datetime | None:
    """``2026-11-20T12:00:00Z``, ``…+00:00``, ``…+0000``, ``….000+0000``; naive means UTC."""
    m = _DT.match(text.strip())
    if not m:
        return None
    zone = m.group(5) or "+00:00"
    if zone == "Z":
        zone = "+00:00"
    elif ":" not in zone:
        zone = zone[:3] + ":" + zone[3:]
    clock = m.group(2)
    if m.group(3) is None:
        clock += ":00"
    frac = m.group(4)
    if frac and len(frac) > 7:
        clock = clock[: clock.index(".") + 7]
    try:
        return datetime.fromisoformat(f"{m.group(1)}T{clock}{zone}").astimezone(UTC)
    except ValueError:
        return None


def _parser_error(fd: FieldDef, value: Any, kind: str) -> SfError:
    shown = value if isinstance(value, str) else repr(value)
    return SfError(400, "JSON_PARSER_ERROR", f"Cannot deserialize instance of {kind} from "
                   f"{'VALUE_STRING' if isinstance(value, str) else 'VALUE'} value {shown} or "
                   "request may be missing a required field")


def coerce(fd: FieldDef, value: Any) -> Any:
    """Turn a JSON value into the stored value for ``fd``, or raise Salesforce's error."""
    label = fd.label or fd.name.removesuffix("__c").replace("_", " ")
    if value is None:
        if fd.type == "boolean":
            return False
        return None
    t = fd.type
    if t == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise _parser_error(fd, value, "boolean")
    if t in ("double", "currency", "percent", "int"):
        if isinstance(value, bool):
            raise _parser_error(fd, value, "double")
        if isinstance(value, int | float):
            return float(value)
        try:
            return float(str(value))
        except ValueError:
            raise _parser_error(fd, value, "double") from None
    if t == "datetime":
        dt = parse_datetime(value) if isinstance(value, str) else None
        if dt is None:
            raise _parser_error(fd, value, "datetime")
        return dt
    if t == "date":
        try:
            return date.fromisoformat(str(value)[:10]) if isinstance(value, str) else None
        except ValueError:
            raise _parser_error(fd, value, "date") from None
    if isinstance(value, dict | list):
        raise _parser_error(fd, value, "string")
    text = value if isinstance(value, str) else (
        str(value).lower() if isinstance(value, bool) else str(value))
    if t in ("string", "email", "picklist", "textarea") and fd.length and len(text) > fd.length:
        raise SfError(400, "STRING_TOO_LONG", f"{label}: data value too large: "
                      f"{text[:80]} (max length={fd.length})", [fd.name])
    if t == "picklist" and fd.restricted_picklist and text not in fd.picklist:
        raise SfError(400, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                      f"{label}: bad value for restricted picklist field: {text}", [fd.name])
    if t == "email" and text and not _EMAIL.match(text):
        raise SfError(400, "INVALID_EMAIL_ADDRESS", f"{label}: invalid email address: {text}",
                      [fd.name])
    return text
