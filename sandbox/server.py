"""The :class:`Sandbox`: builds the world from a book and serves it on loopback.

Three real HTTP servers (uvicorn, one background thread, one event loop): Salesforce over
HTTPS with a throw-away CA (trustme; ``ca.pem`` in a temp dir), Jira over HTTP, and the admin
surface over HTTP. Ports are ephemeral unless ``port`` is given (then Salesforce ``port``, Jira
``port + 1``, admin ``port + 2``). State is guarded by one lock shared by both services.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import tempfile
import threading
import time
from importlib import resources
from pathlib import Path
from typing import Any

import trustme
import uvicorn

from rules.book import parse_book, shift_book
from rules.models import Book
from sandbox.admin import build_admin_app, ticket_from
from sandbox.clock import Clock
from sandbox.faults import FaultBoard
from sandbox.jira_api import JiraApi
from sandbox.observe import Observed, RequestLog
from sandbox.org import Org
from sandbox.salesforce_api import SalesforceApi
from sandbox.site import Issue, Site
from sandbox.snapshot import dump_state, escalation_rows
from sandbox.world import World

DEFAULTS = {
    "client_id": "3MVG9sandbox.client.id",
    "client_secret": "sandbox-client-secret",
    "jira_email": "sync-bot@vendor.example",
    "jira_api_token": "sandbox-jira-token",
}


def load_book(book: Book | str | os.PathLike[str] | dict[str, Any] | None) -> Book:
    """A :class:`Book` from a Book, a path, YAML/JSON text, a mapping, or None (the default)."""
    if isinstance(book, Book):
        return book
    if book is None:
        text = resources.files("sandbox").joinpath("default_book.yaml").read_text("utf-8")
        return parse_book(text, "sandbox/default_book.yaml")
    if isinstance(book, dict):
        return parse_book(book)
    path = Path(book)
    if isinstance(book, os.PathLike) or (len(str(book)) < 4096 and "\n" not in str(book)
                                         and path.exists()):
        return parse_book(path.read_text("utf-8"), str(path))
    return parse_book(str(book))


class _Server(uvicorn.Server):
    """uvicorn's server with a main loop that wakes at once when asked to stop (uvicorn polls
    every 0.1 s) and a shutdown without a fixed grace sleep, so a sandbox stops in
    milliseconds (tests start and stop one per test)."""

    _loop: asyncio.AbstractEventLoop | None = None
    _wake: asyncio.Event | None = None

    async def main_loop(self) -> None:
        self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + 1) % 864000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 0.1)
            should_exit = await self.on_tick(counter)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """Close listeners and connections without uvicorn's fixed 0.1 s grace period: the
        sandbox has no background work to drain and no lifespan."""
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        await asyncio.sleep(0)
        for server in self.servers:
            await server.wait_closed()

    def request_exit(self) -> None:
        self.should_exit = True
        self.force_exit = True
        if self._loop is not None and self._wake is not None:
            with contextlib.suppress(RuntimeError):  # the loop already closed
                self._loop.call_soon_threadsafe(self._wake.set)


def _write_bundle(path: str, sandbox_ca: bytes) -> None:
    """The sandbox CA plus the usual public roots, so a process whose ``REQUESTS_CA_BUNDLE`` /
    ``SSL_CERT_FILE`` point here still reaches real HTTPS hosts (webhooks, PyPI)."""
    extra = b""
    try:
        import certifi

        extra = Path(certifi.where()).read_bytes()
    except (ImportError, OSError):
        pass
    Path(path).write_bytes(sandbox_ca + b"\n" + extra)


class Sandbox:
    """Emulated Salesforce + Jira for one book; use as a context manager or start()/stop()."""

    def __init__(self, book: Book | str | os.PathLike[str] | dict[str, Any] | None = None, *,
                 flavour: str = "cloud", token_ttl_seconds: float = 7200,
                 search_lag_seconds: float = 0, daily_api_limit: int = 15000, port: int = 0,
                 host: str = "127.0.0.1", upsert_update_status: int = 200,
                 jira_time_zone: str = "Europe/Berlin", jira_rate_limit: dict[str, Any] | None
                 = None, jql_text_equals: bool = False, shift: bool = True,
                 remove_fields: tuple[str, ...] = (), jwt_public_key: str | None = None,
                 schedule_future: bool = True, jira_email_privacy: str | None = None,
                 short_pages: bool = False,
                 fault_seed: int = 0, latency_ms: float = 0, jitter_ms: float = 0,
                 jira_limits: dict[str, Any] | None = None, **credentials: str) -> None:
        if flavour not in ("cloud", "datacenter"):
            raise ValueError("flavour: cloud or datacenter")
        unknown = set(credentials) - set(DEFAULTS)
        if unknown:
            raise TypeError(f"unknown options: {', '.join(sorted(unknown))}")
        self.creds = {**DEFAULTS, **credentials}
        self.flavour, self.host, self.port = flavour, host, port
        self.clock = Clock()
        self.lock = threading.RLock()
        self.book = load_book(book)
        if shift:
            self.book = shift_book(self.book, self.clock.now())
        self.org = Org(self.clock, client_id=self.creds["client_id"],
                       client_secret=self.creds["client_secret"],
                       token_ttl_seconds=token_ttl_seconds, daily_api_limit=daily_api_limit,
                       upsert_update_status=upsert_update_status,
                       jwt_public_key=jwt_public_key, lock=self.lock)
        self.site = Site(self.clock, flavour=flavour, api_email=self.creds["jira_email"],
                         api_token=self.creds["jira_api_token"], time_zone=jira_time_zone,
                         search_lag_seconds=0, lock=self.lock)
        # i15: hidden e-mails (sandbox/site.py); SANDBOX_JIRA_EMAIL_PRIVACY sets the default (a whole suite)
        self.site.set_email_privacy(jira_email_privacy or os.environ.get("SANDBOX_JIRA_EMAIL_PRIVACY") or "some")
        self.site.short_pages = self.org.short_pages = bool(short_pages)  # i15: short pages
        self.world = World(self.org, self.site, self.clock, self.lock)
        self.world.load(self.book, schedule_future)
        self.site.set_search_lag(search_lag_seconds)
        for spec in remove_fields:
            obj, _, name = spec.rpartition(".")
            self.remove_field(obj or "Escalation__c", name)
        self.log = RequestLog(self.clock)
        self.faults = FaultBoard(fault_seed)
        if jira_rate_limit:
            self.faults.set_budget("jira", int(jira_rate_limit["limit"]),
                                   float(jira_rate_limit.get("window_seconds", 60)),
                                   jira_rate_limit.get("retry_after"))
        self.faults.latency.set(latency_ms, jitter_ms)
        if jira_limits:
            self.set_jira_limits(jira_limits)
        self.jql_text_equals = jql_text_equals
        self._tmp: str | None = None
        self._thread: threading.Thread | None = None
        self._servers: list[_Server] = []
        self.ca_path = ""
        self.bundle_path = ""
        self.salesforce_url = self.jira_url = self.admin_url = ""
        self.startup_seconds = 0.0

    # --- lifecycle ----------------------------------------------------------------------------

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self, timeout: float = 10.0) -> Sandbox:
        started = time.perf_counter()
        self._tmp = tempfile.mkdtemp(prefix="escalation-sandbox-")
        ca = trustme.CA()
        cert = ca.issue_cert(self.host, "localhost")
        self.ca_path = os.path.join(self._tmp, "ca.pem")
        ca.cert_pem.write_to_path(self.ca_path)
        self.bundle_path = os.path.join(self._tmp, "ca-bundle.pem")
        _write_bundle(self.bundle_path, ca.cert_pem.bytes())
        cert_path = os.path.join(self._tmp, "server.pem")
        key_path = os.path.join(self._tmp, "server.key")
        cert.private_key_pem.write_to_path(key_path)
        for i, blob in enumerate(cert.cert_chain_pems):
            blob.write_to_path(cert_path, append=i > 0)
        socks = [self._bind(self.port + i if self.port else 0) for i in range(3)]
        ports = [s.getsockname()[1] for s in socks]
        self.salesforce_url = f"https://{self.host}:{ports[0]}"
        self.jira_url = f"http://{self.host}:{ports[1]}"
        self.admin_url = f"http://{self.host}:{ports[2]}"
        release = self.world.release_due
        sf = Observed(SalesforceApi(self.org, lambda: self.salesforce_url, release).app(),
                      "salesforce", self.log, self.faults)
        jira = Observed(JiraApi(self.site, lambda: self.jira_url, self.jql_text_equals,
                                release).app(), "jira", self.log, self.faults)
        admin = build_admin_app(self)
        common: dict[str, Any] = {"log_level": "warning", "access_log": False, "lifespan": "off",
                  "timeout_keep_alive": 30, "timeout_graceful_shutdown": 1}
        self._servers = [
            _Server(uvicorn.Config(sf, ssl_certfile=cert_path, ssl_keyfile=key_path,
                                          **common)),
            _Server(uvicorn.Config(jira, **common)),
            _Server(uvicorn.Config(admin, **common)),
        ]
        for observed, server in ((sf, self._servers[0]), (jira, self._servers[1])):
            observed.connections = lambda server=server: server.server_state.connections

        async def serve_all() -> None:
            await asyncio.gather(*(s.serve(sockets=[sock])
                                   for s, sock in zip(self._servers, socks, strict=True)))

        self._thread = threading.Thread(target=lambda: asyncio.run(serve_all()),
                                        name="escalation-sandbox", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not all(s.started for s in self._servers):
            if time.monotonic() > deadline or not self._thread.is_alive():
                self.stop()
                raise RuntimeError("the sandbox's servers did not start")
            time.sleep(0.005)
        self.startup_seconds = time.perf_counter() - started
        return self

    def _bind(self, port: int) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((self.host, port))
        sock.listen(128)
        sock.set_inheritable(True)
        return sock

    def stop(self) -> None:
        for s in self._servers:
            s.request_exit()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self._servers = []
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def wait(self) -> None:
        """Block until the servers stop (the CLI's foreground loop)."""
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(timeout=0.5)

    # --- settings -----------------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        """The connector's settings pointing at this sandbox (ARCHITECTURE.md, "Settings")."""
        out = {
            "SALESFORCE_INSTANCE_URL": self.salesforce_url,
            "SALESFORCE_LOGIN_URL": self.salesforce_url,
            "SALESFORCE_CLIENT_ID": self.creds["client_id"],
            "SALESFORCE_CLIENT_SECRET": self.creds["client_secret"],
            "JIRA_URL": self.jira_url,
            "JIRA_EMAIL": self.creds["jira_email"],
            "JIRA_API_TOKEN": self.creds["jira_api_token"],
            "REQUESTS_CA_BUNDLE": self.bundle_path,
            "SSL_CERT_FILE": self.bundle_path,
            "SANDBOX_ADMIN_URL": self.admin_url,
        }
        if self.flavour == "datacenter":
            out["JIRA_PAT"] = self.creds["jira_api_token"]
        return out

    def settings(self) -> dict[str, Any]:
        window = self.faults.windows.get("jira")
        return {
            "flavour": self.flavour,
            "search_lag_seconds": self.site.search_lag.total_seconds(),
            "token_ttl_seconds": self.org.token_ttl.total_seconds(),
            "upsert_update_status": self.org.upsert_update_status,
            "daily_api_limit": self.org.api_max,
            "jira_time_zone": self.site.time_zone,
            "jira_email_privacy": self.site.email_privacy, "short_pages": self.site.short_pages,
            "jira_rate_limit": None if window is None else {
                "limit": window.limit, "window_seconds": window.window,
                "retry_after": window.retry_after},
            "latency": self.faults.latency.to_json(),
            "jira_limits": self.jira_limits(),
        }

    def set_latency(self, latency_ms: float, jitter_ms: float = 0, system: str | None = None) -> None:
        """Every API call of ``system`` (default: both) takes ``latency_ms`` +- ``jitter_ms``
        (``sandbox/latency.py``; also ``PUT /latency``)."""
        self.faults.latency.set(latency_ms, jitter_ms, system)

    def set_jira_limits(self, data: dict[str, Any] | None) -> dict[str, Any]:
        """Jira Cloud's 2026 limits (``sandbox/jira_limits.py``); None or ``{}`` turns them off.
        ``"body": "html" | "json"`` picks the 429 body of every Jira 429."""
        from sandbox.jira_limits import LimitConfig

        data = dict(data or {})
        body = data.pop("body", None)
        if body is not None:
            if body not in ("html", "json"):
                raise ValueError("jira_limits.body: html or json")
            self.faults.jira_429_body = body
        self.faults.jira_limits.configure(LimitConfig.from_json(data) if data else None)
        return self.jira_limits()

    def jira_limits(self) -> dict[str, Any]:
        return {**self.faults.jira_limits.to_json(), "body": self.faults.jira_429_body}

    def configure(self, search_lag_seconds: float | None = None,
                  token_ttl_seconds: float | None = None,
                  upsert_update_status: int | None = None,
                  jira_rate_limit: dict[str, Any] | None | bool = False,
                  daily_api_limit: int | None = None, jira_email_privacy: str | None = None,
                  short_pages: bool | None = None) -> None:
        """Change behaviour at run time (also ``PUT /config`` on the admin surface)."""
        from datetime import timedelta

        with self.lock:
            if search_lag_seconds is not None:
                self.site.set_search_lag(float(search_lag_seconds))
            if token_ttl_seconds is not None:
                self.org.token_ttl = timedelta(seconds=float(token_ttl_seconds))
            if upsert_update_status is not None:
                if upsert_update_status not in (200, 204):
                    raise TypeError("upsert_update_status: 200 or 204")
                self.org.upsert_update_status = int(upsert_update_status)
            if daily_api_limit is not None:
                self.org.api_max = int(daily_api_limit)
            if jira_email_privacy is not None:  # i15
                try:
                    self.site.set_email_privacy(jira_email_privacy)
                except ValueError as exc:
                    raise TypeError(str(exc)) from None  # the admin surface answers 400
            if short_pages is not None:  # i15
                self.site.short_pages = self.org.short_pages = bool(short_pages)
        if jira_rate_limit is not False:
            if jira_rate_limit is None:
                self.faults.set_budget("jira", None)
            else:
                assert isinstance(jira_rate_limit, dict)
                self.faults.set_budget("jira", int(jira_rate_limit["limit"]),
                                       float(jira_rate_limit.get("window_seconds", 60)),
                                       jira_rate_limit.get("retry_after"))

    # --- Python-level controls (the admin surface calls these too) ----------------------------

    def issue_token(self) -> str:
        """A fresh Salesforce session id for ``Salesforce(session_id=..., instance_url=...)``."""
        with self.lock:
            return self.org.issue_token()

    def expire_tokens(self) -> int:
        with self.lock:
            return self.org.expire_tokens()

    def set_api_budget(self, maximum: int | None = None, used: int = 0) -> None:
        with self.lock:
            if maximum is not None:
                self.org.api_max = int(maximum)
            self.org.api_used = int(used)

    def remove_field(self, obj: str, name: str) -> bool:
        with self.lock:
            found = self.org.object_name(obj)
            return found is not None and self.org.remove_field(found, name)

    def requests(self, system: str | None = None, bodies: bool = True) -> list[dict[str, Any]]:
        return self.log.entries(system, bodies)

    def clear_requests(self) -> None:
        self.log.clear()

    def add_ticket(self, data: dict[str, Any]) -> Issue:
        """A new ticket in the book's format (``key``/``created`` default to next SUP key/now)."""
        with self.lock:
            self.world.release_due()
            ticket = ticket_from(data, self.site.next_key("SUP") if "key" not in data else "",
                                 self.clock.now().isoformat())
            return self.world.add_ticket(ticket, bump=True)

    def jira_issue(self, key: str) -> Issue:
        with self.lock:
            self.world.release_due()
            return self.site.issue(key)

    def escalations(self) -> list[dict[str, Any]]:
        """``Escalation__c`` records (not deleted) in the REST shape."""
        with self.lock:
            self.world.release_due()
            return escalation_rows(self.org)

    def state(self, project: str | None = None) -> dict[str, Any]:
        """A JSON-able dump of both systems (``GET /state`` on the admin surface)."""
        with self.lock:
            self.world.release_due()
            return dump_state(self.org, self.site, self.clock, project)

    def progress(self, project: str = "ESC") -> dict[str, Any]:
        """A cheap summary of what the connector has written (``GET /progress``), for benchmarks
        that poll while a burst is written: ``GET /state`` renders every issue and its links.

        ``epics`` maps each epic's escalation label (``ESC-<account>-<opened>``) to its key;
        ``records`` lists the ``Account__c`` of every live ``Escalation__c``.
        """
        with self.lock:
            epics: dict[str, str] = {}
            plan = watchers = 0
            for iss in self.site.issues.values():
                if iss.project != project.upper():
                    continue
                if iss.issuetype == "Epic":
                    watchers += len(iss.watchers)
                    for label in iss.labels:
                        if label.startswith("ESC-"):
                            epics[label] = iss.key
                else:
                    plan += 1
            records = [str(r.get("Account__c")) for r in self.org.records["Escalation__c"].values()
                       if not r["IsDeleted"]]
            return {"epics": epics, "records": records, "plan_issues": plan, "watchers": watchers,
                    "links": len(self.site.links), "now": self.clock.now().isoformat()}
