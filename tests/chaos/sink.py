"""A webhook sink: an HTTP server that records every message posted to it (Slack's shape)."""

from __future__ import annotations

import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Sink:
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with sink.lock:
                    sink.messages.append(json.loads(body or b"{}"))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *_: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/chaos"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def config(self) -> str:
        """``NOTIFY_WEBHOOKS`` sending everything here."""
        return json.dumps({"default": [self.url]})

    def titles(self) -> list[str]:
        with self.lock:
            return [next((b["text"]["text"] for b in m.get("blocks", []) if b.get("type") == "header"),
                         str(m.get("text", "")).split("\n", 1)[0].strip("*"))  # text only: its bold first line
                    for m in self.messages]

    def duplicates(self) -> int:
        """Messages identical to an earlier one (same title, fields and reasons)."""
        with self.lock:
            seen = Counter(json.dumps([m.get("text"), m.get("blocks", [])[:3]], sort_keys=True) for m in self.messages)
        return sum(n - 1 for n in seen.values())

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
