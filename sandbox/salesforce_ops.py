"""Salesforce operations that shape response bodies: query pages, collections, limits.

Kept apart from :mod:`sandbox.salesforce_api` (routing, auth, budget) so each stays small.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.datastructures import QueryParams
from starlette.responses import Response

from sandbox import soql
from sandbox.org import Org
from sandbox.sf_values import SfError
from sandbox.soql_eval import attributes, execute, to_json

JSON_TYPE = "application/json;charset=UTF-8"
COLLECTION_LIMIT = 200
ROLLED_BACK = {"statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
               "message": "Record rolled back because not all records were valid and the request "
               "was using AllOrNone header", "fields": []}


def resources(version: str) -> dict[str, str]:
    base = f"/services/data/v{version}"
    return {name: f"{base}/{name}" for name in
            ("sobjects", "query", "queryAll", "limits", "composite", "search", "recent")}


def limits(org: Org) -> dict[str, Any]:
    def pair(mx: int, remaining: int) -> dict[str, int]:
        return {"Max": mx, "Remaining": remaining}

    return {
        "DailyApiRequests": pair(org.api_max, max(0, org.api_max - org.api_used)),
        "DailyAsyncApexExecutions": pair(250000, 250000),
        "DailyBulkApiBatches": pair(15000, 15000),
        "DailyBulkV2QueryJobs": pair(10000, 10000),
        "DataStorageMB": pair(5, 5),
        "FileStorageMB": pair(20, 20),
        "SingleEmail": pair(5000, 5000),
    }


def query(org: Org, text: str, version: str, include_deleted: bool, batch: int) -> dict[str, Any]:
    """Run SOQL; the first page of at most ``batch`` rows plus a ``nextRecordsUrl``."""
    parsed = soql.parse(text)
    result = execute(parsed, org.source(), org.clock.now(), include_deleted, version)
    records = result.records
    if org.short_pages and records:  # i15: batches of 200-2,000 rows by row size
        batch = short_batch(records, batch)
    page: dict[str, Any] = {"totalSize": result.total, "done": True, "records": records}
    if len(records) > batch:
        locator = org.open_cursor(records, batch)
        page["records"] = records[:batch]
        page["done"] = False
        page["nextRecordsUrl"] = f"/services/data/v{version}/query/{locator}-{batch}"
    return page


SHORT_BATCH_BYTES = 150_000


def short_batch(records: list[dict[str, Any]], asked: int) -> int:
    """Under ``short_pages``: "up to 2,000 records can be returned at a time ... the returned
    batch can include fewer records than the limit or what's set in the request, based on the
    size and complexity of records queried" (REST API Developer Guide, "Query"; its example pages
    by 500). The sandbox fits ~150 KB of JSON per batch, never fewer than 200 rows (the smallest
    ``batchSize`` Salesforce takes) nor more than asked."""
    sample = records[: min(len(records), 50)]
    average = max(1, len(json.dumps(sample, default=str)) // len(sample))
    return max(200, min(asked, SHORT_BATCH_BYTES // average))


def query_more(org: Org, ident: str, version: str) -> dict[str, Any]:
    locator, _, offset_text = ident.rpartition("-")
    cursor = org.cursors.get(locator)
    if cursor is None or not offset_text.isdigit():
        raise SfError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
    rows, batch, total = cursor
    offset = int(offset_text)
    chunk = rows[offset : offset + batch]
    page: dict[str, Any] = {"totalSize": total, "done": offset + batch >= total,
                            "records": chunk}
    if not page["done"]:
        page["nextRecordsUrl"] = f"/services/data/v{version}/query/{locator}-{offset + batch}"
    else:
        org.cursors.pop(locator, None)
    return page


def render_row(org: Org, obj: str, row: dict[str, Any], version: str,
               fields: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"attributes": attributes(obj, row, version)}
    wanted = None
    if fields:
        wanted = {f.strip().lower() for f in fields.split(",") if f.strip()}
        unknown = [f for f in wanted if org.field(obj, f) is None]
        if unknown:
            raise SfError(400, "INVALID_FIELD", f"No such column '{unknown[0]}' on sobject of "
                          f"type {obj}")
    for name, fd in org.schema[obj].items():
        if wanted is None or name.lower() in wanted:
            out[name] = to_json(fd, row.get(name))
    return out


def upsert_response(org: Org, row: dict[str, Any], created: bool, version: str) -> Response:
    """201 on create; on update 200 with ``created: false`` or 204 (configurable, and always
    204 before v46.0, which has no ``created`` flag)."""
    new_style = float(version) >= 46.0
    if created:
        body: dict[str, Any] = {"id": row["Id"], "success": True, "errors": []}
        if new_style:
            body["created"] = True
        return Response(json.dumps(body), 201, media_type=JSON_TYPE)
    if new_style and org.upsert_update_status == 200:
        body = {"id": row["Id"], "success": True, "errors": [], "created": False}
        return Response(json.dumps(body), 200, media_type=JSON_TYPE)
    return Response(status_code=204)


# --- sObject Collections ---------------------------------------------------------------------


def collections(org: Org, method: str, version: str, seg: list[str], body: Any,
                params: QueryParams) -> Response:
    """``/composite/sobjects``: create (POST), update (PATCH), upsert (PATCH with object and
    external id field), delete (DELETE ?ids=), read (GET /<Obj>?ids=&fields=)."""
    if method == "GET" and len(seg) == 1:
        obj = _object(org, seg[0])
        ids = [i for i in (params.get("ids") or "").split(",") if i]
        out = []
        for rid in ids:
            row = org.get(obj, rid)
            out.append(None if row is None or row.get("IsDeleted") else
                       render_row(org, obj, row, version, params.get("fields")))
        return _ok(out)
    if method == "DELETE" and not seg:
        ids = [i for i in (params.get("ids") or "").split(",") if i]
        _check_count(len(ids))
        all_or_none = (params.get("allOrNone") or "false").lower() == "true"
        return _ok(_apply(org, ids, all_or_none, lambda rid: _delete_one(org, rid)))
    if not isinstance(body, dict) or not isinstance(body.get("records"), list):
        raise SfError(400, "JSON_PARSER_ERROR", "The request body must hold a records list")
    records = body["records"]
    _check_count(len(records))
    _known_fields(org, records)
    all_or_none = bool(body.get("allOrNone", False))
    if method == "POST" and not seg:
        return _ok(_apply(org, records, all_or_none, lambda r: _create_one(org, r), True))
    if method == "PATCH" and not seg:
        return _ok(_apply(org, records, all_or_none, lambda r: _update_one(org, r)))
    if method == "PATCH" and len(seg) == 2:
        obj = _object(org, seg[0])
        fd = org.field(obj, seg[1])
        if fd is None or not fd.external_id:
            raise SfError(404, "NOT_FOUND", "Provided external ID field does not exist or is not "
                          f"accessible: {seg[1]}")
        return _ok(_apply(org, records, all_or_none,
                          lambda r: _upsert_one(org, obj, fd.name, r)))
    raise SfError(404, "NOT_FOUND", "The requested resource does not exist")


def _known_fields(org: Org, records: list[Any]) -> None:
    """An unknown field makes the request "not well formed": Salesforce answers 400 for the
    whole request before processing any record ("If the request isn't well formed, the API
    returns a 400 Bad Request HTTP Status. ... If the request is well formed, the API returns a
    200 OK HTTP Status" and per-record results: REST API guide, "Create Records Using sObject
    Collections"); the body fails to map onto the sObject type, as the per-record
    ``JsonMappingException: No such column`` of the Bulk API shows (simple-salesforce#372)."""
    for record in records:
        if not isinstance(record, dict) or not isinstance(record.get("attributes"), dict):
            continue
        obj = org.object_name(str(record["attributes"].get("type") or ""))
        if obj is None:
            continue
        for key in record:
            if key != "attributes" and org.field(obj, key) is None:
                raise SfError(400, "INVALID_FIELD", f"No such column '{key}' on sobject of type {obj}")


def _ok(body: Any) -> Response:
    return Response(json.dumps(body), 200, media_type=JSON_TYPE)


def _check_count(n: int) -> None:
    if n > COLLECTION_LIMIT:
        raise SfError(400, "EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more than "
                      "200 records into this call")


def _object(org: Org, name: str) -> str:
    obj = org.object_name(name)
    if obj is None:
        raise SfError(400, "INVALID_TYPE", f"sObject type '{name}' is not supported.")
    return obj


def _type_of(org: Org, record: Any) -> tuple[str, dict[str, Any]]:
    if not isinstance(record, dict):
        raise SfError(400, "INVALID_INPUT", "Each record must be a JSON object")
    attrs = record.get("attributes") or {}
    name = attrs.get("type") if isinstance(attrs, dict) else None
    if not name:
        raise SfError(400, "INVALID_TYPE", "No SObject Type defined in record")
    obj = org.object_name(name)
    if obj is None:
        raise SfError(400, "INVALID_TYPE", f"sObject type '{name}' is not supported.")
    return obj, {k: v for k, v in record.items() if k != "attributes"}


def _create_one(org: Org, record: Any) -> dict[str, Any]:
    obj, values = _type_of(org, record)
    row = org.create(obj, values)
    return {"id": row["Id"], "success": True, "errors": []}


def _update_one(org: Org, record: Any) -> dict[str, Any]:
    obj, values = _type_of(org, record)
    rid = values.pop("Id", None) or values.pop("id", None)
    if not rid:
        raise SfError(400, "MISSING_ARGUMENT", "Id not specified in an update call", [])
    org.update(obj, rid, values)
    return {"id": org.get(obj, rid)["Id"], "success": True, "errors": []}  # type: ignore[index]


def _upsert_one(org: Org, obj: str, field_name: str, record: Any) -> dict[str, Any]:
    rec_obj, values = _type_of(org, record)
    if rec_obj != obj:
        raise SfError(400, "INVALID_TYPE", f"record type {rec_obj} does not match {obj}")
    key = next((k for k in values if k.lower() == field_name.lower()), None)
    if key is None or values[key] in (None, ""):
        raise SfError(400, "MISSING_ARGUMENT", f"{field_name} not specified", [])
    value = str(values[key])
    row, created = org.upsert(obj, field_name, value, values)
    return {"id": row["Id"], "success": True, "errors": [], "created": created}


def _delete_one(org: Org, rid: str) -> dict[str, Any]:
    found = org.find_any(rid)
    if found is None:
        raise SfError(404, "ENTITY_IS_DELETED", "entity is deleted", [])
    org.delete(found[0], rid)
    return {"id": found[1]["Id"], "success": True, "errors": []}


def _apply(org: Org, items: list[Any], all_or_none: bool, one: Any,
           creating: bool = False) -> list[dict[str, Any]]:
    """Run ``one`` per item in input order; with allOrNone, any failure rolls back the rest."""
    snap = org.snapshot(org.schema) if all_or_none else None
    results: list[dict[str, Any]] = []
    failed = False
    for item in items:
        try:
            results.append(one(item))
        except SfError as err:
            if err.status == 300:
                err = SfError(300, "DUPLICATE_EXTERNAL_ID", err.message, [])
            failed = True
            entry: dict[str, Any] = {"success": False, "errors": [err.item()]}
            if isinstance(item, dict) and item.get("Id"):
                entry = {"id": item["Id"], **entry}
            results.append(entry)
    if all_or_none and failed and snap is not None:
        org.restore(snap)
        rolled = []
        for r in results:
            if r["success"]:
                entry = {"success": False, "errors": [dict(ROLLED_BACK)]}
                if not creating and not r.get("created"):
                    entry = {"id": r["id"], **entry}
                rolled.append(entry)
            else:
                rolled.append(r)
        return rolled
    return results
