"""Salesforce over simple-salesforce: accounts, health history, users; escalation records.

Reads are declarations (object, fields, cursor field) paged by ``nextRecordsUrl``; writes are
sObject Collections upserts by external id, 200 records a call. Values put into SOQL go
through ``format_soql``, which quotes and escapes them. A 401 ``INVALID_SESSION_ID`` gets one
token refresh and one retry; everything else maps onto :mod:`connectors.errors`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar

import requests
from pydantic import ValidationError
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceError,
    SalesforceExpiredSession,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)
from simple_salesforce.format import format_soql

from connectors.calls import response_hook
from connectors.errors import FatalError, RetriableError, SkippableRecordError
from connectors.pagination import RecordsPaginator, paged
from connectors.salesforce_auth import Token, TokenSource
from rules.models import Account, HealthSample, Role, User

log = logging.getLogger(__name__)
T = TypeVar("T")
BATCH = 200  # sObject Collections limit


class TimeoutSession(requests.Session):
    """A requests session with a default timeout (requests has none) and, when given, a CA
    bundle passed on every request (a session-level ``verify`` loses to the environment's
    ``REQUESTS_CA_BUNDLE`` in requests; a request-level one does not)."""

    def __init__(self, timeout: float, ca_bundle: str | None = None):
        super().__init__()
        self.default_timeout = timeout
        self.ca_bundle = ca_bundle

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", self.default_timeout)
        if self.ca_bundle:
            kwargs.setdefault("verify", self.ca_bundle)
        return super().request(*args, **kwargs)


def sf_datetime(text: str | None) -> datetime | None:
    """Salesforce's ``2026-11-20T12:00:00.000+0000`` as an aware datetime."""
    if not text:
        return None
    value = text.replace("Z", "+00:00")
    if len(value) > 5 and value[-5] in "+-" and value[-3] != ":":
        value = value[:-2] + ":" + value[-2:]
    return datetime.fromisoformat(value).astimezone(UTC)


class SalesforceConnector:
    def __init__(self, tokens: TokenSource, *, api_version: str = "59.0", timeout: float = 30.0,
                 health_field: str = "Health_Score__c", role_field: str = "Escalation_Role__c",
                 ca_bundle: str | None = None,
                 on_call: Callable[[str, int], None] | None = None):
        self.tokens = tokens
        self.api_version = api_version
        self.session = TimeoutSession(timeout, ca_bundle)
        self.session.hooks["response"].append(response_hook("salesforce"))
        self.health_field, self.role_field = health_field, role_field
        self._client: Salesforce | None = None
        self._client_token: Token | None = None
        self.on_call = on_call
        self.api_usage: tuple[int, int] | None = None

    # --- plumbing ------------------------------------------------------------------------

    def client(self) -> Salesforce:
        token = self.tokens.token()
        if self._client is None or self._client_token != token:
            self._client = Salesforce(instance_url=token.instance_url, session_id=token.access_token,
                                      session=self.session, version=self.api_version)
            self._client_token = token
        return self._client

    def call(self, what: str, fn: Callable[[Salesforce], T]) -> T:
        """Run ``fn`` with a client; refresh the token once on an expired session."""
        for attempt in (1, 2):
            client = self.client()
            try:
                result = fn(client)
                self._note_usage(client)
                return result
            except SalesforceExpiredSession as exc:
                if attempt == 2:
                    raise RetriableError(f"Salesforce {what}: session expired again after a refresh") from exc
                log.info("salesforce session expired; refreshing the token", extra={"what": what})
                self.tokens.refresh(self._client_token)
            except SalesforceRefusedRequest as exc:
                if _code(exc) == "REQUEST_LIMIT_EXCEEDED":
                    raise RetriableError(f"Salesforce {what}: daily API request limit reached",
                                         retry_after=900) from exc
                raise FatalError(f"Salesforce {what}: refused ({_code(exc)}); the integration user "
                                 f"needs permission for this") from exc
            except (SalesforceMalformedRequest, SalesforceResourceNotFound) as exc:
                raise FatalError(f"Salesforce {what}: {_code(exc)}: {_message(exc)}") from exc
            except SalesforceError as exc:
                raise RetriableError(f"Salesforce {what}: HTTP {exc.status}") from exc
            except requests.RequestException as exc:
                raise RetriableError(f"Salesforce {what}: {type(exc).__name__}") from exc
        raise AssertionError("unreachable")

    def _note_usage(self, client: Salesforce) -> None:
        usage = getattr(client, "api_usage", {}).get("api-usage")
        if usage is not None:
            self.api_usage = (usage.used, usage.total)

    def query(self, what: str, soql: str) -> Iterator[dict[str, Any]]:
        """All rows of a query, page by page (2,000 a page by default): ``done``/``nextRecordsUrl``
        (connectors/pagination.py), each page through :meth:`call`."""
        def fetch(params: dict[str, Any]) -> Any:
            url = params.get("nextRecordsUrl")
            if url is None:
                return self.call(what, lambda c: c.query(soql))
            return self.call(what, lambda c: c.query_more(url, identifier_is_url=True))

        return paged(RecordsPaginator(what), fetch)

    # --- reads ---------------------------------------------------------------------------

    def users(self) -> list[User]:
        soql = (f"SELECT Id, Email, Name, {self.role_field}, Manager.Email FROM User "
                f"WHERE IsActive = true AND {self.role_field} != null")
        out = []
        for row in self.query("users", soql):
            try:
                email = (row.get("Email") or "").lower()
                if not email:
                    raise ValueError("no Email")
                out.append(User(email=email, name=row.get("Name") or "",
                                role=Role(row[self.role_field]),
                                manager=((row.get("Manager") or {}).get("Email") or "").lower() or None))
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                log.warning("skipping user %s: %s", row.get("Id"), exc)
        return out

    def accounts_since(self, cursor: datetime | None) -> Iterator[tuple[Account, datetime, float | None]]:
        """Accounts changed after ``cursor`` (all when None), oldest change first, each with its
        change time and current health score."""
        fields = (f"Id, Name, ARR__c, Segment__c, Owner.Email, Customer_Since__c, Renewal_Date__c, "
                  f"Email_Domains__c, {self.health_field}, SystemModstamp")
        soql = f"SELECT {fields} FROM Account"
        if cursor is not None:
            soql += format_soql(" WHERE SystemModstamp > {}", cursor)
        soql += " ORDER BY SystemModstamp ASC"
        for row in self.query("changed accounts", soql):
            try:
                stamp = sf_datetime(row["SystemModstamp"])
                if cursor is not None and stamp is not None and stamp <= cursor:
                    continue  # SOQL compares whole seconds: rows at the cursor were read already
                health = row.get(self.health_field)
                yield account_from_row(row), stamp, number(health) if health is not None else None  # type: ignore[misc]
            except (ValidationError, ValueError, KeyError, TypeError, AttributeError) as exc:
                log.warning("skipping account %s: %s", row.get("Id"), exc)

    def health_since(self, cursor: datetime | None) -> Iterator[tuple[str, HealthSample]]:
        """Health-score changes from field history (``AccountHistory``) after ``cursor``."""
        soql = format_soql("SELECT AccountId, NewValue, CreatedDate FROM AccountHistory WHERE Field = {}",
                           self.health_field)
        if cursor is not None:
            soql += format_soql(" AND CreatedDate > {}", cursor)
        yield from self._history("health history", soql + " ORDER BY CreatedDate ASC", cursor)

    def account_health(self, account_id: str) -> list[HealthSample]:
        """One account's whole health-score history (for the month-3 recovery check)."""
        soql = format_soql("SELECT AccountId, NewValue, CreatedDate FROM AccountHistory WHERE AccountId = {} "
                           "AND Field = {} ORDER BY CreatedDate ASC", account_id, self.health_field)
        return [sample for _, sample in self._history("account health", soql, None)]

    def _history(self, what: str, soql: str, cursor: datetime | None) -> Iterator[tuple[str, HealthSample]]:
        for row in self.query(what, soql):
            try:
                at = sf_datetime(row["CreatedDate"])
                if cursor is not None and at is not None and at <= cursor:
                    continue  # whole-second comparison: rows at the cursor were read already
                yield row["AccountId"], HealthSample(at=at, score=number(row["NewValue"]))
            except (ValueError, KeyError, TypeError, ValidationError, AttributeError) as exc:
                log.warning("skipping a health history row of %s: %s", row.get("AccountId"), exc)

    # --- writes --------------------------------------------------------------------------

    def upsert(self, sobject: str, external_field: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Upsert by external id, 200 a call; one result per record, in order."""
        results: list[dict[str, Any]] = []
        for start in range(0, len(records), BATCH):
            chunk = records[start:start + BATCH]
            body = {"allOrNone": False,
                    "records": [{"attributes": {"type": sobject}, **r} for r in chunk]}
            answer = self.call(f"upsert {sobject}", lambda c, b=body: c.restful(
                f"composite/sobjects/{sobject}/{external_field}", method="PATCH", json=b))
            results.extend(answer or [])
        for record, result in zip(records, results, strict=False):
            if not result.get("success"):
                errors = "; ".join(f"{e.get('statusCode')}: {e.get('message')}" for e in result.get("errors", []))
                log.error("salesforce rejected %s %s: %s", sobject, record.get(external_field), errors)
        return results

    def get_by_external_ids(self, sobject: str, field: str, values: list[str],
                            fields: str = "Id") -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for start in range(0, len(values), 500):
            chunk = values[start:start + 500]
            soql = format_soql(f"SELECT {fields}, {field} FROM {sobject} WHERE {field} IN {{}}", chunk)
            for row in self.query(f"read {sobject}", soql):
                out[row[field]] = row
        return out


def number(value: Any) -> float:
    """A numeric field's value; NaN and infinities (or text) are refused with ValueError."""
    out = float(value)
    if not math.isfinite(out):
        raise ValueError(f"{value!r} is not a finite number")
    return out


def account_from_row(row: dict[str, Any]) -> Account:
    domains = [d.strip() for d in (row.get("Email_Domains__c") or "").replace(";", ",").split(",") if d.strip()]
    if not row.get("Name") or row.get("Segment__c") not in (None, "enterprise", "mid_market", "smb"):
        log.warning("account %s degraded: Name %r, Segment__c %r (read as the id and mid_market)",
                    row.get("Id"), str(row.get("Name"))[:40], str(row.get("Segment__c"))[:40])
    return Account(
        id=row["Id"], name=row.get("Name") or row["Id"], arr=number(row.get("ARR__c") or 0),
        segment=row.get("Segment__c") if row.get("Segment__c") in ("enterprise", "mid_market", "smb")
        else "mid_market",
        owner=((row.get("Owner") or {}).get("Email") or "").lower() or None,
        customer_since=row.get("Customer_Since__c"), renewal_date=row.get("Renewal_Date__c"),
        domains=tuple(domains),
    )


def _code(exc: SalesforceError) -> str:
    content = exc.content
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return str(content[0].get("errorCode", exc.status))
    return str(exc.status)


def _message(exc: SalesforceError) -> str:
    content = exc.content
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return str(content[0].get("message", ""))[:300]
    return str(content)[:300]


__all__ = ["SalesforceConnector", "SkippableRecordError", "account_from_row", "sf_datetime"]
