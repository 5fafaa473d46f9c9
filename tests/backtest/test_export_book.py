"""``export-book``: the sandbox loaded with a book, exported through the real connectors, backtests
as the original does, account by account (tier, severity, owner, trigger kinds)."""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from benchmarks.generate import generate
from rules.backtest import backtest
from rules.book import parse_book
from rules.config import default_config
from sandbox.server import Sandbox
from sync.commands.book_files import open_book
from sync.commands.export_book import Exporter, connectors, write_records
from sync.runtime import Runtime
from sync.settings import Settings
from tests.paths import EXAMPLES, ROOT


def settings_for(sb: Sandbox) -> Settings:
    env = sb.env()
    values = {k.lower(): v for k, v in env.items() if k.startswith(("SALESFORCE_", "JIRA_"))}
    values["requests_ca_bundle"] = env["REQUESTS_CA_BUNDLE"]
    values.update(jira_search_settle_seconds=0.0, http_timeout_seconds=10.0, redis_url="redis://127.0.0.1:1/0")
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def decided(result: dict) -> dict[str, tuple]:
    return {e["account"]: (e["tier"], e["severity"], e["owner"], sorted({t["kind"] for t in e["triggers"]}))
            for e in result["escalations"]}


def export(sb: Sandbox, tmp_path, fmt: str, since: timedelta = timedelta(days=400)) -> str:
    settings = settings_for(sb)
    salesforce, jira = connectors(settings)
    now = datetime.now(UTC)
    exporter = Exporter(salesforce, jira, support_jql=settings.jira_support_jql, since=now - since, now=now)
    buffer = io.StringIO()
    write_records(buffer, exporter.records(), fmt)
    path = tmp_path / f"export.{fmt}"
    path.write_text(buffer.getvalue())
    return str(path)


@pytest.mark.parametrize("name", ["small_book.yaml", "busy_owner.yaml"])
def test_an_exported_example_book_backtests_as_the_original(tmp_path, name):
    book = parse_book((EXAMPLES / name).read_text())
    with Sandbox(EXAMPLES / name) as sb:
        path = export(sb, tmp_path, "jsonl")
    exported = open_book(path)
    assert not exported.skipped
    assert decided(backtest(exported, default_config())) == decided(backtest(book, default_config()))


def test_an_exported_generated_book_backtests_as_the_original(tmp_path):
    data = generate(400, 60, days=30, seed=4, components=4)
    source = tmp_path / "generated.json"
    source.write_text(json.dumps(data))
    book = parse_book(data)
    expected = decided(backtest(book, default_config()))
    with Sandbox(source) as sb:
        path = export(sb, tmp_path, "json")
    assert decided(backtest(open_book(path), default_config())) == expected
    assert len(expected) > 10


def test_the_command_warns_and_writes_a_private_file(tmp_path):
    with Sandbox(EXAMPLES / "small_book.yaml") as sb:
        env = {**os.environ, **sb.env(), "JIRA_SEARCH_SETTLE_SECONDS": "0"}
        out_file = tmp_path / "history.jsonl"
        out_file.write_text("old")
        os.chmod(out_file, 0o644)
        run = subprocess.run([sys.executable, "-m", "sync.cli", "export-book", "--since", "400d", "--out",
                              str(out_file)], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "customer text" in run.stderr and "mode 600" in run.stderr
    assert stat.S_IMODE(out_file.stat().st_mode) == 0o600
    kinds = {json.loads(line)["kind"] for line in out_file.read_text().splitlines()}
    assert kinds >= {"now", "user", "account", "ticket"}


def test_existing_escalations_are_exported_with_their_status(tmp_path):
    from tests.redis_server import RedisServer

    server = RedisServer()
    try:
        with Sandbox(EXAMPLES / "small_book.yaml") as sb:
            settings = settings_for(sb).model_copy(update={"redis_url": server.url})
            Runtime(settings).cycle()  # the connector opens the book's escalations
            path = export(sb, tmp_path, "jsonl")
    finally:
        server.stop()
    source = open_book(path)
    live = {e.account: e for e in source.escalations}
    replayed = decided(backtest(source, default_config()))
    assert set(live) == set(replayed)
    assert all(e.status == "Open" and e.id.startswith("ESC-") for e in live.values())
    assert {a: (e.tier, e.severity, e.owner) for a, e in live.items()} == {
        a: (tier, severity, owner) for a, (tier, severity, owner, _) in replayed.items()}
