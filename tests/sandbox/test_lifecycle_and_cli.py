"""Starting, stopping, the settings it prints, books, and the `escalation-sync sandbox` command."""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from rules.errors import InputError
from sandbox.server import Sandbox

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = {"SALESFORCE_INSTANCE_URL", "SALESFORCE_LOGIN_URL", "SALESFORCE_CLIENT_ID",
            "SALESFORCE_CLIENT_SECRET", "JIRA_URL", "JIRA_EMAIL", "JIRA_API_TOKEN",
            "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "SANDBOX_ADMIN_URL"}


def test_starts_in_under_two_seconds_with_every_setting():
    started = time.perf_counter()
    with Sandbox() as sb:
        elapsed = time.perf_counter() - started
        env = sb.env()
        assert elapsed < 2.0, elapsed
        assert set(env) == SETTINGS
        assert env["SALESFORCE_INSTANCE_URL"].startswith("https://127.0.0.1:")
        assert env["JIRA_URL"].startswith("http://127.0.0.1:")
        bundle = Path(env["REQUESTS_CA_BUNDLE"]).read_text()
        assert Path(sb.ca_path).read_text().strip() in bundle
        r = requests.get(env["SALESFORCE_INSTANCE_URL"] + "/services/data/",
                         verify=env["REQUESTS_CA_BUNDLE"], timeout=5)
        assert r.status_code == 200


def test_stop_releases_the_ports_and_the_temp_dir():
    sb = Sandbox().start()
    port = int(sb.jira_url.rsplit(":", 1)[1])
    ca = sb.ca_path
    sb.stop()
    assert not os.path.exists(ca)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=0.5)


def test_books_load_from_paths_text_and_mappings(tmp_path):
    book = {"now": "2026-11-20T12:00:00Z", "accounts": [{"id": "001000000000001AAA",
                                                          "name": "Solo"}]}
    path = tmp_path / "book.yaml"
    import yaml

    path.write_text(yaml.safe_dump(book))
    for source in (path, str(path), yaml.safe_dump(book), book):
        sb = Sandbox(source)
        assert [a.name for a in sb.book.accounts] == ["Solo"]
    with pytest.raises(InputError):
        Sandbox({"now": "2026-11-20T12:00:00Z", "acounts": []})


def test_book_times_are_shifted_to_the_wall_clock():
    sb = Sandbox()
    assert abs((sb.book.now - sb.clock.now()).total_seconds()) < 5
    unshifted = Sandbox(shift=False)
    assert unshifted.book.now.isoformat().startswith("2026-11-20T12:00:00")


def test_cli_prints_eval_able_settings_and_stops_cleanly_on_ctrl_c():
    proc = subprocess.Popen([sys.executable, "-m", "sync.cli", "sandbox", "--print-env"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = [proc.stdout.readline() for _ in range(len(SETTINGS))]
        env = {}
        for line in lines:
            assert line.startswith("export ")
            name, _, value = line[len("export "):].strip().partition("=")
            env[name] = shlex.split(value)[0]
        assert set(env) == SETTINGS
        assert requests.get(env["SANDBOX_ADMIN_URL"] + "/clock", timeout=5).status_code == 200
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_cli_refuses_a_bad_book_with_exit_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("now: 2026-11-20T12:00:00Z\ntickets: [{key: SUP-1, created: 2026-11-20, "
                   "priorty: High}]\n")
    out = subprocess.run([sys.executable, "-m", "sync.cli", "sandbox", "--book", str(bad)],
                         cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert out.returncode == 2 and "priorty" in out.stderr


FUTURE_BOOK = {
    "now": "2026-11-20T12:00:00Z",
    "users": [{"email": "dana@vendor.example", "name": "Dana Reyes", "role": "csm"}],
    "accounts": [{"id": "001000000000001AAA", "name": "Acme", "owner": "dana@vendor.example",
                  "health": [{"at": "2026-11-19T00:00:00Z", "score": 80},
                             {"at": "2026-11-20T13:00:00Z", "score": 40}]}],
    "tickets": [
        {"key": "SUP-1", "created": "2026-11-20T10:00:00Z", "summary": "now",
         "comments": [{"at": "2026-11-20T12:30:00Z", "author": {"email": "a@acme.example",
                                                                 "customer": True},
                       "body": "later comment"}]},
        {"key": "SUP-2", "created": "2026-11-20T14:00:00Z", "summary": "future"},
    ],
}


def test_book_events_after_now_appear_when_the_clock_reaches_them(make_sandbox):
    from sandbox import testing

    sb = make_sandbox(FUTURE_BOOK, token_ttl_seconds=86400)
    sf, jira = testing.salesforce(sb), testing.jira(sb)

    def keys():
        return sorted(i.key for i in jira.search_issues("project = SUP", maxResults=False))

    def health():
        return sf.Account.get("001000000000001AAA")["Health_Score__c"]

    assert keys() == ["SUP-1"] and health() == 80.0 and len(jira.comments("SUP-1")) == 0
    sb.clock.advance(45 * 60)
    assert len(jira.comments("SUP-1")) == 1 and health() == 80.0
    sb.clock.advance(60 * 60)
    assert health() == 40.0 and keys() == ["SUP-1"]
    sb.clock.advance(60 * 60)
    assert keys() == ["SUP-1", "SUP-2"]
    history = sf.query("SELECT NewValue FROM AccountHistory ORDER BY CreatedDate")["records"]
    assert [h["NewValue"] for h in history] == [80.0, 40.0]
    everything = make_sandbox(FUTURE_BOOK, schedule_future=False)
    assert len(testing.jira(everything).search_issues("project = SUP")) == 2


def test_book_tickets_land_in_sup_and_keep_their_keys(make_sandbox):
    from sandbox import testing

    book = {"now": "2026-11-20T12:00:00Z", "tickets": [
        {"key": "HELP-7", "created": "2026-11-19T12:00:00Z", "summary": "other prefix"}]}
    sb = make_sandbox(book)
    jira = testing.jira(sb)
    issue = jira.issue("HELP-7")
    assert issue.fields.project.key == "SUP"
    assert [i.key for i in jira.search_issues("project = SUP")] == ["HELP-7"]
    new = jira.create_issue(project={"key": "SUP"}, issuetype={"name": "Task"}, summary="n")
    assert new.key == "SUP-1"
