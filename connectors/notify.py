"""Outbound notifications to Slack-compatible incoming webhooks, over httpx.

Who hears about what is configuration (``NOTIFY_WEBHOOKS``, a :class:`NotifyConfig`): webhooks
per tier, per engaged role, per severity or per event kind, with a ``default`` for everything no
other route catches. The shell decides *that* something happened (a new escalation, a tier rise,
an SLA breach, an executive sponsor becoming required) and calls :meth:`Notifier.send`; this
module only shapes the message and delivers it.

Two promises shape the code:

- **A webhook never blocks or breaks the pipeline.** ``send`` never raises: transient failures
  (429, 5xx, timeouts) are retried a few times with short timeouts and capped, jittered backoff;
  whatever still fails is logged and returned in the :class:`Outcome`, for the caller to record.
- **A webhook URL is a secret** (a Slack webhook's path is its credential). URLs live in
  ``SecretStr``; logs, errors and outcomes show only :func:`redact`'s ``scheme://host/…``; and
  a filter on the ``httpx`` logger rewrites the request lines httpx itself logs.

Deliveries are de-duplicated by the event's deterministic key (per webhook), in a pluggable
:class:`SentStore`, so a retried task does not post twice.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol
from urllib.parse import urlsplit

import httpx

from connectors.errors import ConnectorError, FatalError, RetriableError
from connectors.notify_config import (  # noqa: F401 - re-exported: the public API
    _URL_FILTER,
    EVENT_KINDS,
    SEVERITY_LABELS,
    EventKind,
    NotifyConfig,
    Target,
    redact,
)
from connectors.notify_message import slack_message
from rules.models import Escalation

if TYPE_CHECKING:
    import redis

log = logging.getLogger("escalation_sync.notify")

SENT_TTL_SECONDS = 7 * 24 * 3600


# --- the message: connectors/notify_message.py ------------------------------------------------

def _block_kit(config: NotifyConfig, target: Target) -> bool:
    """Whether ``target`` renders Block Kit: Slack does; other Slack-compatible hooks show ``text``."""
    if config.block_kit != "auto":
        return config.block_kit == "always"
    host = (urlsplit(target.url.get_secret_value()).hostname or "").lower()
    return host == "slack.com" or host.endswith(".slack.com")


# --- events and outcomes -----------------------------------------------------------------------

def event_key(kind: str, esc: Escalation) -> str:
    """A deterministic key for an event: the same happening always gives the same key.

    ``<id>|new_escalation``, ``<id>|tier_rise|<tier>``, ``<id>|sla_breach|<clock>|<due>`` (the
    latest breach), ``<id>|exec_sponsor|<due>``.
    """
    if kind == "tier_rise":
        return f"{esc.id}|tier_rise|{esc.tier}"
    if kind == "sla_breach" and esc.breaches:
        last = esc.breaches[-1]
        return f"{esc.id}|sla_breach|{last.clock}|{last.due:%Y%m%dT%H%M%SZ}"
    if kind == "exec_sponsor":
        due = esc.exec_sponsor.due
        return f"{esc.id}|exec_sponsor|{f'{due:%Y%m%dT%H%M%SZ}' if due else '-'}"
    return f"{esc.id}|{kind}"


@dataclass(frozen=True)
class NotifyEvent:
    """Something worth telling people about. ``key`` defaults to :func:`event_key`.

    ``roles`` are the roles the event engages (e.g. the newly reached tier's leaders): they
    select ``role:<role>`` routes. The rules know them; the notifier does not decide them.
    ``arr`` (the account's), ``owner_name`` and ``record_id`` (the ``Escalation__c`` id, linked
    through the notifier's ``salesforce_url``) or ``record_url`` make the message complete.
    """

    kind: EventKind
    escalation: Escalation
    reasons: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    epic_key: str | None = None
    epic_url: str | None = None
    key: str = ""
    arr: float | None = None
    owner_name: str | None = None
    record_id: str | None = None
    record_url: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in EVENT_KINDS:
            raise ValueError(f"unknown event kind {self.kind!r}: one of {', '.join(EVENT_KINDS)}")
        if not self.key:
            object.__setattr__(self, "key", event_key(self.kind, self.escalation))


@dataclass(frozen=True)
class Delivery:
    """What happened at one webhook. ``target`` is redacted; ``error`` never holds the URL."""

    target: str
    routes: tuple[str, ...]
    status: Literal["sent", "already_sent", "failed"]
    attempts: int = 0
    http_status: int | None = None
    error: str | None = None


@dataclass(frozen=True)
class Outcome:
    """The result of :meth:`Notifier.send`: one :class:`Delivery` per matching webhook.

    ``skipped`` says why nothing was attempted (below the severity threshold, no route).
    """

    key: str
    kind: str
    deliveries: tuple[Delivery, ...] = ()
    skipped: str | None = None

    @property
    def ok(self) -> bool:
        return all(d.status != "failed" for d in self.deliveries)

    @property
    def sent(self) -> int:
        return sum(d.status == "sent" for d in self.deliveries)

    @property
    def failed(self) -> tuple[Delivery, ...]:
        return tuple(d for d in self.deliveries if d.status == "failed")


# --- "already sent" memory ---------------------------------------------------------------------

class SentStore(Protocol):
    """Remembers which (event key, webhook) deliveries succeeded."""

    def seen(self, key: str) -> bool: ...

    def mark(self, key: str) -> None: ...


class MemorySentStore:
    """Per process: enough for tests, ``sync-once`` and a single worker."""

    def __init__(self) -> None:
        self._keys: set[str] = set()
        self._lock = threading.Lock()

    def seen(self, key: str) -> bool:
        with self._lock:
            return key in self._keys

    def mark(self, key: str) -> None:
        with self._lock:
            self._keys.add(key)


class RedisSentStore:
    """Shared by every worker: ``{namespace}:notified:{key}``, expiring after ``ttl_seconds``."""

    def __init__(self, client: redis.Redis, namespace: str = "esc",
                 ttl_seconds: int = SENT_TTL_SECONDS) -> None:
        self.client, self.namespace, self.ttl = client, namespace, int(ttl_seconds)

    def _key(self, key: str) -> str:
        return f"{self.namespace}:notified:{key}"

    def seen(self, key: str) -> bool:
        return bool(self.client.exists(self._key(key)))

    def mark(self, key: str) -> None:
        self.client.set(self._key(key), "1", ex=self.ttl)


# --- delivery ----------------------------------------------------------------------------------

def _retry_after(response: httpx.Response) -> float | None:
    """An integer ``Retry-After`` in seconds (Slack's form); dates and junk are ignored."""
    raw = response.headers.get("Retry-After", "").strip()
    return float(raw) if raw.isdigit() else None


def _classify(response: httpx.Response) -> ConnectorError | None:
    """None for 2xx; :class:`RetriableError` for 429 and 5xx; :class:`FatalError` otherwise."""
    code = response.status_code
    if 200 <= code < 300:
        return None
    if code == 429 or code >= 500:
        return RetriableError(f"HTTP {code}", retry_after=_retry_after(response))
    body = response.text.strip()[:64]
    detail = f" ({body})" if body and body.replace("_", "").isalnum() and body.isascii() else ""
    return FatalError(f"HTTP {code}{detail}")  # Slack: 404 no_service, 410 channel_is_archived...


class Notifier:
    """Posts events to the webhooks :class:`NotifyConfig` routes them to; never raises.

    Args:
        config: the routes (``Settings.notify_webhooks``).
        client: an ``httpx.Client`` to use (tests inject one); by default one is created.
        sent: the "already sent" memory; by default in memory (use :class:`RedisSentStore`
            when several workers share the work).
        sleep: how to wait between attempts (tests inject a recorder).
        attempts: tries per webhook, the first included.
        timeout: seconds per HTTP request (connect, read, write each).
        backoff: the first retry's base delay; doubled each retry, jittered to 50-100 %.
        max_delay: cap on any wait, ``Retry-After`` included. A webhook costs at most
            ``attempts * timeout + (attempts - 1) * max_delay`` seconds (35 s by default);
            callers that must not wait that long send from a task of their own.
        jira_url: the Jira base URL, to link an epic key when an event has no ``epic_url``.
        salesforce_url: the org's instance URL, to link a record id when an event has no ``record_url``.
        rand: ``random.random``-like source of jitter.
    """

    def __init__(self, config: NotifyConfig, *, client: httpx.Client | None = None,
                 sent: SentStore | None = None, sleep: Callable[[float], None] = time.sleep,
                 attempts: int = 3, timeout: float = 5.0, backoff: float = 0.5,
                 max_delay: float = 10.0, jira_url: str | None = None,
                 rand: Callable[[], float] = random.random, salesforce_url: str | None = None) -> None:
        self.config = config
        self._own_client = client is None
        self.client = client or httpx.Client(follow_redirects=False,
                                             headers={"User-Agent": "escalation-sync"})
        self.sent: SentStore = sent if sent is not None else MemorySentStore()
        self.sleep, self.attempts, self.rand = sleep, max(1, attempts), rand
        self.timeout = httpx.Timeout(timeout)
        self.backoff, self.max_delay = backoff, max_delay
        self.jira_url = jira_url.rstrip("/") if jira_url else None
        self.salesforce_url = salesforce_url.rstrip("/") if salesforce_url else None
        for urls in config.routes.values():
            for url in urls:
                _URL_FILTER.add(url.get_secret_value())

    def close(self) -> None:
        if self._own_client:
            self.client.close()

    def __enter__(self) -> Notifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(self, event: NotifyEvent) -> Outcome:
        """Post ``event`` to every matching webhook not already posted to for ``event.key``.

        Never raises: failures are logged (redacted) and returned in the outcome.
        """
        try:
            return self._send(event)
        except Exception as exc:  # noqa: BLE001 - a notification must never fail the pipeline
            log.error("notification %s (%s) failed: %s", event.key, event.kind, type(exc).__name__)
            return Outcome(event.key, event.kind, skipped=f"internal error: {type(exc).__name__}")

    def _send(self, event: NotifyEvent) -> Outcome:
        esc = event.escalation
        label = esc.severity.label
        if event.kind == "new_escalation" and label not in self.config.new_escalation_severities:
            return Outcome(event.key, event.kind, skipped=f"{label} is below the notify threshold")
        targets = self.config.targets(tier=esc.tier, severity=label, kind=event.kind,
                                      roles=event.roles)
        if not targets:
            log.debug("notification %s (%s): no webhook configured", event.key, event.kind)
            return Outcome(event.key, event.kind, skipped="no webhook configured for this event")
        epic_url = event.epic_url or (f"{self.jira_url}/browse/{event.epic_key}"
                                      if self.jira_url and event.epic_key else None)
        record_url = event.record_url or (f"{self.salesforce_url}/lightning/r/Escalation__c/{event.record_id}/view"
                                          if self.salesforce_url and event.record_id else None)
        payloads = {kit: slack_message(esc, event.kind, event.reasons, epic_key=event.epic_key, epic_url=epic_url,
                                       arr=event.arr, owner_name=event.owner_name, record_url=record_url,
                                       blocks=kit) for kit in (True, False)}
        deliveries: list[Delivery] = []
        for target in targets:
            payload = payloads[_block_kit(self.config, target)]
            mark = f"{event.key}@{target.fingerprint}"
            if self._seen(mark):
                deliveries.append(Delivery(target.shown, target.routes, "already_sent"))
                continue
            delivery = self._post(target, payload, event)
            if delivery.status == "sent":
                self._mark(mark)
            deliveries.append(delivery)
        return Outcome(event.key, event.kind, tuple(deliveries))

    def _seen(self, key: str) -> bool:
        try:
            return self.sent.seen(key)
        except Exception as exc:  # noqa: BLE001 - posting twice beats never posting
            log.warning("notification memory unavailable (%s): sending %s anyway",
                        type(exc).__name__, key)
            return False

    def _mark(self, key: str) -> None:
        try:
            self.sent.mark(key)
        except Exception as exc:  # noqa: BLE001 - the post itself succeeded
            log.warning("could not remember notification %s as sent (%s)", key, type(exc).__name__)

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_delay)
        base = min(self.max_delay, self.backoff * 2.0 ** (attempt - 1))
        return base * (0.5 + 0.5 * self.rand())

    def _post(self, target: Target, payload: dict[str, Any], event: NotifyEvent) -> Delivery:
        error: ConnectorError = RetriableError("not attempted")
        status: int | None = None
        attempt = 0
        for attempt in range(1, self.attempts + 1):  # noqa: B007 - attempt is reported below
            try:
                response = self.client.post(target.url.get_secret_value(), json=payload,
                                            timeout=self.timeout)
            except httpx.TimeoutException as exc:
                status, error = None, RetriableError(f"timed out ({type(exc).__name__})")
            except httpx.TransportError as exc:
                status, error = None, RetriableError(f"transport error ({type(exc).__name__})")
            except httpx.InvalidURL:
                status, error = None, FatalError("invalid webhook URL")
            else:
                status = response.status_code
                classified = _classify(response)
                if classified is None:
                    log.info("notified %s (%s) via %s", event.key, event.kind, target.shown)
                    return Delivery(target.shown, target.routes, "sent", attempt, status)
                error = classified
            if isinstance(error, FatalError) or attempt == self.attempts:
                break
            delay = self._delay(attempt, getattr(error, "retry_after", None))
            log.warning("webhook %s: %s; retrying in %.1fs (attempt %d of %d)", target.shown,
                        error, delay, attempt + 1, self.attempts)
            self.sleep(delay)
        log.error("notification %s (%s) not delivered to %s after %d attempt(s): %s",
                  event.key, event.kind, target.shown, attempt, error)
        return Delivery(target.shown, target.routes, "failed", attempt, status, str(error))


__all__ = [
    "EVENT_KINDS", "Delivery", "EventKind", "MemorySentStore", "NotifyConfig", "NotifyEvent",
    "Notifier", "Outcome", "RedisSentStore", "SentStore", "Target", "event_key", "redact",
    "slack_message",
]
