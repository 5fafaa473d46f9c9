"""The request log and the ASGI wrapper that records calls and applies faults.

Every API call (not admin calls) is logged as ``{"system", "method", "path", "status", "at"}``
plus ``query``, ``duration_ms`` and the decoded request ``body``, so tests and benchmarks can
count API calls and validate what a client sent.
"""

from __future__ import annotations

import asyncio
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
    """Wrap one service's ASGI app: faults and budget first, then the app; log the outcome."""

    def __init__(self, app: ASGIApp, system: str, log: RequestLog, faults: FaultBoard,
                 skip_prefixes: tuple[str, ...] = ()) -> None:
        self.app, self.system, self.log, self.faults = app, system, log, faults
        self.skip = skip_prefixes

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.skip):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        at = self.log.clock.now()
        method, path = scope["method"], scope["path"]
        chunks: list[bytes] = []

        async def recording_receive() -> Any:
            message = await receive()
            if message.get("type") == "http.request":
                chunks.append(message.get("body", b""))
            return message

        status_box = [500]
        logged = [False]
        decision = self.faults.decide(self.system, method, path)

        def record() -> None:
            # logged before the response starts, so a client never sees a response whose call
            # is not yet in the log (a 204 is complete once its headers are out)
            if logged[0]:
                return
            logged[0] = True
            raw = b"".join(chunks)
            parsed: Any = None
            if raw:
                try:
                    parsed = json.loads(raw)
                except ValueError:
                    parsed = raw.decode("utf-8", "replace")
            self.log.add({
                "system": self.system, "method": method, "path": path,
                "query": scope.get("query_string", b"").decode("latin-1"),
                "status": status_box[0], "at": at.isoformat().replace("+00:00", "Z"),
                "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                "body": parsed,
            })

        async def recording_send(message: Any) -> None:
            if message["type"] == "http.response.start":
                status_box[0] = message["status"]
                if decision.limit is not None and decision.status is None:
                    headers = list(message.get("headers", []))
                    headers.append((b"x-ratelimit-limit", str(decision.limit).encode()))
                    headers.append((b"x-ratelimit-remaining", str(decision.remaining).encode()))
                    message = dict(message, headers=headers)
                record()
            await send(message)

        if decision.delay_ms:
            await asyncio.sleep(decision.delay_ms / 1000)
        if decision.status is not None:
            while True:  # drain the body so it can be logged
                message = await recording_receive()
                if not message.get("more_body"):
                    break
            body = json.dumps(error_body(self.system, decision.status)).encode()
            headers = [(b"content-type", b"application/json;charset=UTF-8")]
            headers += [(k.lower().encode(), v.encode())
                        for k, v in rate_limit_headers(decision).items()]
            await recording_send({"type": "http.response.start", "status": decision.status,
                                  "headers": headers})
            await recording_send({"type": "http.response.body", "body": body})
        else:
            await self.app(scope, recording_receive, recording_send)
        record()
