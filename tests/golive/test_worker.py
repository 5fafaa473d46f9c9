"""Going live through a real Celery worker (real Redis broker, the sandbox, a local webhook):
the first cycle and watches give no breach, backtest tiers and exactly one digest; a person's
reassignment is followed within one watch."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import redis

from sandbox.life import reassign_epic
from sync.app import app
from sync.state import Store
from tests.celery_worker import Worker
from tests.golive.test_first_cycle import DIGEST_TITLE
from tests.sync.outcome import expected


class Hook(BaseHTTPRequestHandler):
    titles: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        blocks = body.get("blocks") or []  # Block Kit to Slack, text alone elsewhere
        Hook.titles.append(blocks[0]["text"]["text"] if blocks else str(body.get("text", "")).split("\n")[0].strip("*"))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def hook() -> Iterator[str]:
    Hook.titles = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()


@pytest.fixture
def worker(any_sandbox, redis_url, hook):
    app.conf.broker_url = app.conf.result_backend = redis_url
    env = {**any_sandbox.env(), "REDIS_URL": redis_url, "JIRA_SEARCH_SETTLE_SECONDS": "2",
           "NOTIFY_WEBHOOKS": json.dumps({"default": hook})}
    w = Worker(env)
    w.wait_ready()
    yield w
    w.stop()


def run(task: str) -> dict:
    return app.send_task(f"escalation_sync.{task}").get(timeout=90)


def test_going_live_through_a_worker_sends_one_digest_and_follows_a_reassignment(any_sandbox, worker, redis_url):
    sb = any_sandbox
    first = run("poll")
    assert first["opened"] == len(expected(sb)), worker.output()[-3000:]
    for _ in range(3):
        sb.clock.advance(20)
        assert run("watch")["breaches"] == 0
    deadline = time.monotonic() + 20
    while not Hook.titles and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1)
    assert Hook.titles == [DIGEST_TITLE], worker.output()[-3000:]
    store = Store(redis.Redis.from_url(redis_url))
    backtest = expected(sb)
    assert {e.account: e.tier for e in store.escalations().values()} == {a: e["tier"] for a, e in backtest.items()}
    esc = sorted((e for e in store.escalations().values() if e.owner), key=lambda e: e.id)[0]
    new = "kai@vendor.example" if esc.owner != "kai@vendor.example" else "lee@vendor.example"
    reassign_epic(sb, store.index(esc.id)["epic"], new, by="rosa@vendor.example")
    sb.clock.advance(20)
    run("watch")
    assert store.escalations([esc.id])[esc.id].owner == new
    record = next(r for r in sb.escalations() if r["External_Id__c"] == esc.id)
    assert record["Owner_Email__c"] == new
    assert run("poll")["written"] == 0 and run("watch")["decisions"] == 0  # nothing changes after
