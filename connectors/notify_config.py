"""Who hears about what: the ``NOTIFY_WEBHOOKS`` routes, and keeping webhook URLs secret.

Routes send events to Slack-compatible webhooks per tier, engaged role, severity or event kind,
with a ``default`` for anything no other route catches. A webhook URL is a secret (its path is
its credential): it lives in ``SecretStr`` and is shown only as :func:`redact`'s
``scheme://host/…``; a filter on the ``httpx`` logger rewrites httpx's own request lines.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any, Literal, get_args
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, BeforeValidator, ConfigDict, SecretStr, field_validator, model_validator

from rules.models import Role

EventKind = Literal["new_escalation", "tier_rise", "sla_breach", "exec_sponsor", "go_live_digest"]
EVENT_KINDS: tuple[str, ...] = get_args(EventKind)
SEVERITY_LABELS = ("SEV-1", "SEV-2", "SEV-3", "SEV-4")
log = logging.getLogger("escalation_sync.notify")


# --- redaction ---------------------------------------------------------------------------------

def redact(url: str) -> str:
    """``https://hooks.slack.com/…``: the scheme and host of a webhook, never its path or query."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return "webhook…"
    if parts.scheme not in ("http", "https") or not host:
        return "webhook…"
    return f"{parts.scheme}://{host}{f':{port}' if port else ''}/…"


class _SecretUrlFilter(logging.Filter):
    """Rewrites any registered webhook URL in a log record to its redacted form.

    httpx logs every request line (``HTTP Request: POST https://hooks.slack.com/services/...``)
    at INFO; this filter sits on the ``httpx`` logger so that line can never carry the secret.
    """

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._secrets: dict[str, str] = {}
        self._order: tuple[str, ...] = ()  # longest form first, so a URL wins over its path

    def add(self, url: str) -> None:
        shown = redact(url)
        forms = {url}
        with contextlib.suppress(httpx.InvalidURL, TypeError, ValueError):
            forms.add(str(httpx.URL(url)))  # the normalised form httpx prints
        path = urlsplit(url).path
        if len(path) > 1:
            forms.add(path)
        with self._lock:
            for form in forms:
                self._secrets[form] = shown
            self._order = tuple(sorted(self._secrets, key=len, reverse=True))

    def filter(self, record: logging.LogRecord) -> bool:
        order = self._order
        if not order:
            return True
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        cleaned = message
        for secret in order:
            if secret in cleaned:
                cleaned = cleaned.replace(secret, self._secrets[secret])
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


_URL_FILTER = _SecretUrlFilter()
for _name in ("httpx", log.name):
    logging.getLogger(_name).addFilter(_URL_FILTER)


# --- configuration -----------------------------------------------------------------------------

def _route_key_ok(key: str) -> bool:
    kind, _, value = key.partition(":")
    return (key == "default"
            or (kind == "tier" and value in ("1", "2", "3", "4"))
            or (kind == "role" and value in {r.value for r in Role})
            or (kind == "severity" and value in SEVERITY_LABELS)
            or (kind == "event" and value in EVENT_KINDS))


def _masked(value: Any) -> Any:
    """Strings become ``SecretStr``; lists stay lists; any other shape becomes its type name."""
    if isinstance(value, str):
        return SecretStr(value)
    if isinstance(value, list | tuple):
        return [_masked(v) for v in value]
    if isinstance(value, SecretStr | int | float | bool) or value is None:
        return value
    return f"<a JSON {type(value).__name__}>"


def _masked_routes(value: Any) -> Any:
    if not isinstance(value, dict):
        return _masked(value)
    out: dict[Any, Any] = {}
    for n, (key, urls) in enumerate(value.items(), 1):
        if isinstance(key, str) and "://" in key:
            key = f"<route key #{n} is a URL: keys name routes, values are URLs>"
        out[key] = _masked([urls] if isinstance(urls, str | SecretStr) else urls)
    return out


def _unwrap(value: Any) -> Any:
    # the masking wrapper has done its job; SecretStr's JSON-mode schema wants a plain str
    return value.get_secret_value() if isinstance(value, SecretStr) else value


WebhookUrl = Annotated[SecretStr, BeforeValidator(_unwrap)]
"""A webhook URL: a secret (prints as stars)."""


@dataclass(frozen=True)
class Target:
    """One webhook an event goes to, and the route keys that chose it."""

    url: SecretStr
    routes: tuple[str, ...]

    @property
    def shown(self) -> str:
        return redact(self.url.get_secret_value())

    @property
    def fingerprint(self) -> str:
        """A short digest of the URL: a stable dedup-key suffix that reveals nothing."""
        return hashlib.sha256(self.url.get_secret_value().encode("utf-8")).hexdigest()[:12]


class NotifyConfig(BaseModel):
    """Where notifications go: the JSON of ``NOTIFY_WEBHOOKS``.

    The short form is the route mapping itself::

        {"default": ["https://hooks.slack.com/services/..."],
         "tier:3": ["https://..."], "role:cro": ["https://..."]}

    The long form adds options: ``{"routes": {...}, "new_escalation_severities": ["SEV-1"],
    "block_kit": "auto"}`` (``auto``: Block Kit to Slack hosts, text elsewhere; ``always``; ``never``).
    Route keys: ``default``, ``tier:1``..``tier:4`` (the escalation's tier), ``role:<role>``
    (a role the event engages, e.g. ``role:cro``), ``severity:SEV-1``..``SEV-4``,
    ``event:<kind>``. ``default`` is used only when no other key matches. A route value is a
    URL or a list of URLs; a URL matched by several keys is posted to once.
    Validation errors name the route key, never the URL.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    routes: dict[str, tuple[WebhookUrl, ...]] = {}
    new_escalation_severities: tuple[str, ...] = ("SEV-1", "SEV-2")
    block_kit: Literal["auto", "always", "never"] = "auto"
    """Block Kit ``blocks`` beside ``text``: ``auto`` for Slack's own hosts only (others ignore them)."""

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, data: Any) -> Any:
        """Accept the bare mapping and a single URL per route, and mask every URL at once.

        pydantic's errors show the input of the failing validator; once every string is a
        ``SecretStr`` (printed as stars) and URL-like keys are renamed, no error can echo a URL.
        """
        if isinstance(data, BaseModel):
            return data
        if not isinstance(data, dict) or not ({"routes", "new_escalation_severities", "block_kit"} & set(data)):
            data = {"routes": data}
        out = {k: _masked_routes(v) if k == "routes" else v for k, v in data.items()}
        severities = out.get("new_escalation_severities")
        if isinstance(severities, list | tuple):
            out["new_escalation_severities"] = [
                "<not a severity>" if isinstance(s, str) and s not in SEVERITY_LABELS else s
                for s in severities]
        return out

    @field_validator("routes")
    @classmethod
    def _check_routes(cls, routes: dict[str, tuple[SecretStr, ...]]
                      ) -> dict[str, tuple[SecretStr, ...]]:
        for key, urls in routes.items():
            if not _route_key_ok(key):
                raise ValueError(
                    f"unknown route key {key!r}: use default, tier:1..tier:4, role:<role>, "
                    "severity:SEV-1..SEV-4 or event:<kind>")
            for i, url in enumerate(urls):
                if redact(url.get_secret_value()) == "webhook…":
                    raise ValueError(f"route {key!r}, URL #{i + 1}: not an http(s) URL with a host")
        return routes

    @field_validator("new_escalation_severities")
    @classmethod
    def _check_severities(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(s not in SEVERITY_LABELS for s in value):
            raise ValueError("new_escalation_severities: use SEV-1..SEV-4")
        return value

    def targets(self, *, tier: int, severity: str, kind: str,
                roles: Iterable[str] = ()) -> list[Target]:
        """The webhooks for an event, each once, in route order; ``default`` if nothing matched."""
        wanted = {f"tier:{tier}", f"severity:{severity}", f"event:{kind}",
                  *(f"role:{r}" for r in roles)}
        keys = [k for k in self.routes if k in wanted]
        if not keys and "default" in self.routes:
            keys = ["default"]
        found: dict[str, tuple[SecretStr, list[str]]] = {}
        for key in keys:
            for url in self.routes[key]:
                found.setdefault(url.get_secret_value(), (url, []))[1].append(key)
        return [Target(url, tuple(routes)) for url, routes in found.values()]


