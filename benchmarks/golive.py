"""The first minute of ``escalation-sync run`` on a book with history: breaches, tiers, notifications.

    python -m benchmarks.golive --book sandbox/books/small_book.yaml --seconds 60 [--go-live quiet]

Starts the sandbox (the book shifted so its ``now`` is the present: its escalations began hours
to days earlier), a private redis-server, a local webhook receiver that counts what arrives,
and the real ``escalation-sync run`` (worker + beat) as a subprocess, exactly as a user would.
After ``--seconds`` it reads the connector's Redis and prints one JSON line: escalations, breaches,
the tiers reached, and the notifications received by kind.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import redis

from sandbox.server import Sandbox
from sync.state import Store
from tests.redis_server import RedisServer


class Hooks(BaseHTTPRequestHandler):
    received: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            payload = json.loads(body)
            blocks = payload.get("blocks") or []  # Block Kit to Slack, text alone elsewhere
            title = blocks[0]["text"]["text"] if blocks else str(payload.get("text", "")).split("\n")[0].strip("*")
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            title = "?"
        Hooks.received.append(title)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        return


def kind_of(title: str) -> str:
    for prefix, kind in (("New ", "new_escalation"), ("Escalation raised", "tier_rise"), ("SLA breach", "sla_breach"),
                         ("Executive sponsor", "exec_sponsor"), ("escalation-sync is live", "go_live_digest")):
        if title.startswith(prefix):
            return kind
    return "other"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--book", default="sandbox/books/small_book.yaml")
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--go-live", default=None, help="GO_LIVE (unset: the default)")
    p.add_argument("--interval", type=float, default=0, help="poll/watch/flush interval (default: the settings')")
    p.add_argument("--flavour", choices=("cloud", "datacenter"), default="cloud")
    args = p.parse_args()
    hooks = ThreadingHTTPServer(("127.0.0.1", 0), Hooks)
    threading.Thread(target=hooks.serve_forever, daemon=True).start()
    server = RedisServer()
    sandbox = Sandbox(args.book, flavour=args.flavour).start()
    workdir = tempfile.mkdtemp(prefix="golive-bench-")
    env = {**os.environ, **sandbox.env(), "REDIS_URL": server.url,
           "NOTIFY_WEBHOOKS": json.dumps({"default": f"http://127.0.0.1:{hooks.server_port}/hook"})}
    if args.interval:
        env.update({name: str(args.interval) for name in (
            "POLL_INTERVAL_SECONDS", "SLA_WATCH_INTERVAL_SECONDS", "FLUSH_INTERVAL_SECONDS")})
    if args.go_live:
        env["GO_LIVE"] = args.go_live
    log = open(Path(workdir) / "run.log", "w")  # noqa: SIM115 - closed below
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-c", "from sync.cli import main; raise SystemExit(main())", "run",
                             "--concurrency", "1", "--metrics-port", "0"],
                            env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        time.sleep(max(0.0, args.seconds - (time.monotonic() - started)))
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
        log.close()
    store = Store(redis.Redis.from_url(server.url))
    escalations = store.escalations()
    tiers = Counter(e.tier for e in escalations.values())
    out = {
        "book": args.book, "go_live": args.go_live or "(default)", "seconds": args.seconds, "flavour": args.flavour,
        "escalations": len(escalations), "breaches": sum(len(e.breaches) for e in escalations.values()),
        "tiers": {str(k): v for k, v in sorted(tiers.items())},
        "records": len(sandbox.escalations()),
        "notifications": len(Hooks.received), "by_kind": dict(Counter(kind_of(t) for t in Hooks.received)),
        "log": log.name,
    }
    print(json.dumps(out))
    sandbox.stop()
    server.stop()
    hooks.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
