"""The request log and the ASGI wrapper that records calls and applies faults.

Every API call (not admin calls) is logged as ``{"system", "method", "path", "status", "at"}``
plus ``query``, ``start_s`` (seconds on a monotonic clock from the sandbox's start, when the
request arrived), ``duration_ms`` (arrival to answer, the latency's two legs included, so
``[start_s, start_s + duration_ms / 1000]`` is the call's time in flight; ``started_unix`` is
the same instant on the wall clock, for a benchmark in another process), the decoded request
``body``, ``rate_limit_reason`` on a Jira 429 and ``dropped`` (``close``/``timeout``) when the
answer was lost on purpose. ``at`` is the sandbox clock (which tests move), so it is not for
timing. Tests and benchmarks count API calls, validate what a client sent and compute calls in
flight from this.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from sandbox.clock import Clock
from sandbox.faults import FaultBoard, error_body, rate_limit_headers

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]],
                   Awaitable[None]]


class RequestLog:
    """Thread-safe list of served calls."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._entries: list[dict[str, Any]] = []
        self.epoch = time.perf_counter()  # ``start_s`` of an entry counts from here

    def add(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._entries.append(entry)

    def entries(self, system: str | None = None, bodies: bool = False) -> list[dict[str, Any]]:
        with self._lock:
            out = [e for e in self._entries if system is None or e["system"] == system]
        if bodies:
            return [dict(e) for e in out]
        return [{k: v for k, v in e.items() if k != "body"} for e in out]

    def clear(self) -> int:
        with self._lock:
            n = len(self._entries)
            self._entries.clear()
            return n


class Observed:
    """Wrap one service's ASGI app: latency, faults, budget and limits first, then the app; log
    the outcome.

    The request body is read whole before anything is decided (the limits need it: a link's
    two issues are in its body), then replayed to the app; the app's answer is held until the
    return leg of the latency has passed, and logged just before it is sent.
    """

    def __init__(self, app: ASGIApp, system: str, log: RequestLog, faults: FaultBoard,
                 skip_prefixes: tuple[str, ...] = ()) -> None:
        self.app, self.system, self.log, self.faults = app, system, log, faults
        self.skip = skip_prefixes
        self.connections: Callable[[], Any] = lambda: ()  # the server's open connections

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.skip):
            await self.app(scope, receive, send)
            return
        started, unix = time.perf_counter(), time.time()
        at = self.log.clock.now()
        method, path = scope["method"], scope["path"]
        chunks: list[bytes] = []
        while True:  # the whole body first (the limits read it; it is logged)
            message = await receive()
            if message.get("type") == "http.request":
                chunks.append(message.get("body", b""))
            if message.get("type") != "http.request" or not message.get("more_body"):
                break
        raw = b"".join(chunks)
        parsed: Any = None
        if raw:
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = raw.decode("utf-8", "replace")
        delay = self.faults.latency.seconds(self.system)
        if delay:
            await asyncio.sleep(delay / 2)  # the request's way in
        decision = self.faults.decide(self.system, method, path)
        if self.system == "jira":
            self.faults.limit(decision, method, path, parsed)
        if decision.delay_ms:
            await asyncio.sleep(decision.delay_ms / 1000)
        entry: dict[str, Any] = {
            "system": self.system, "method": method, "path": path,
            "query": scope.get("query_string", b"").decode("latin-1"),
            "status": 500, "at": at.isoformat().replace("+00:00", "Z"),
            "start_s": round(started - self.log.epoch, 6), "started_unix": round(unix, 6), "body": parsed}
        if decision.status == 429 and self.system == "jira":
            entry["rate_limit_reason"] = "jira-burst-based" if decision.reason == "injected" else decision.reason
        out = await self._answer(scope, raw, decision)
        if decision.drop is not None:
            entry["status"], entry["dropped"] = out[0]["status"] if out else 500, decision.drop
            self._finish(entry, started)
            await self._drop(scope, receive, decision)
            return
        if delay:
            await asyncio.sleep(delay / 2)  # the answer's way back
        if out:
            entry["status"] = out[0]["status"]
        self._finish(entry, started)
        for message in out:
            await send(message)

    def _finish(self, entry: dict[str, Any], started: float) -> None:
        # logged before the response starts, so a client never sees a response whose call
        # is not yet in the log (a 204 is complete once its headers are out)
        entry["duration_ms"] = round((time.perf_counter() - started) * 1000, 3)
        self.log.add(entry)

    async def _answer(self, scope: Scope, raw: bytes, decision: Any) -> list[dict[str, Any]]:
        """The messages to send: the injected error, or the app's answer (state changed)."""
        if decision.status is not None:
            body = error_body(self.system, decision.status, decision.body)
            if isinstance(body, str):
                payload, kind = body.encode(), b"text/html;charset=UTF-8"
            else:
                payload, kind = json.dumps(body).encode(), b"application/json;charset=UTF-8"
            headers = [(b"content-type", kind)]
            headers += [(k.lower().encode(), v.encode()) for k, v in rate_limit_headers(decision).items()]
            return [{"type": "http.response.start", "status": decision.status, "headers": headers},
                    {"type": "http.response.body", "body": payload}]
        replayed = [False]

        async def replay() -> Any:
            if not replayed[0]:
                replayed[0] = True
                return {"type": "http.request", "body": raw, "more_body": False}
            await asyncio.Event().wait()  # the app never reads past the body; block as a socket would
            return {"type": "http.disconnect"}

        out: list[dict[str, Any]] = []

        async def hold(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if decision.limit is not None:
                    headers.append((b"x-ratelimit-limit", str(decision.limit).encode()))
                    headers.append((b"x-ratelimit-remaining", str(decision.remaining).encode()))
                if decision.near:
                    headers.append((b"x-ratelimit-nearlimit", b"true"))
                message = dict(message, headers=headers)
            out.append(message)

        await self.app(scope, replay, hold)
        if self.system == "jira" and self.faults.jira_limits.active:
            self.faults.jira_limits.charge(scope["method"], _json_of(out))
        return out

    async def _drop(self, scope: Scope, receive: Any, decision: Any) -> None:
        """The write is done; its answer is lost: close now, or once the client gives up."""
        if decision.drop == "timeout":
            async def gone() -> None:
                while (await receive()).get("type") != "http.disconnect":
                    pass

            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(gone(), decision.hold_ms / 1000)
        for conn in list(self.connections()):
            if getattr(conn, "scope", None) is scope and getattr(conn, "transport", None) is not None:
                conn.transport.close()
        await asyncio.sleep(0.01)  # let the server see the connection go before the app returns


def _json_of(messages: list[dict[str, Any]]) -> Any:
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    try:
        return json.loads(body) if body else None
    except ValueError:
        return None
