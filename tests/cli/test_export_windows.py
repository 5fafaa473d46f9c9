"""``export-book`` reads the tickets as windows of time at once and writes the book one read gives.

The sandbox serves a generated history; the export through the real connectors with one reader
(one search, page after page) and with four readers over small windows must write the very same
records in the same order, the windowed read's calls at most one a window more, and its searches
must overlap in time (that is what it is for).
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from benchmarks.generate import generate
from sandbox.server import Sandbox
from sync.commands.export_book import Exporter, connectors, write_records
from sync.commands.export_read import windows
from tests.backtest.test_export_book import settings_for


def _export(sb: Sandbox, readers: int, window_tickets: int) -> tuple[list[dict], list[dict]]:
    settings = settings_for(sb)
    salesforce, jira = connectors(settings)
    now = datetime.now(UTC)
    sb.clear_requests()
    exporter = Exporter(salesforce, jira, support_jql=settings.jira_support_jql, since=now - timedelta(days=40),
                        now=now, readers=readers, window_tickets=window_tickets)
    out = io.StringIO()
    write_records(out, exporter.records(), "jsonl")
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    searches = [r for r in sb.requests("jira", bodies=False) if r["path"].endswith("/search/jql")]
    return [r for r in records if r["kind"] != "now"], searches


def test_a_windowed_read_writes_the_book_one_read_gives_with_a_call_a_window_more_at_most(tmp_path):
    source = tmp_path / "book.json"
    source.write_text(json.dumps(generate(1200, 80, days=30, seed=5, components=4)))
    with Sandbox(source, latency_ms=20) as sb:
        one, one_calls = _export(sb, readers=1, window_tickets=150)
        many, many_calls = _export(sb, readers=4, window_tickets=150)
    tickets = [r for r in one if r["kind"] == "ticket"]
    assert len(tickets) == 1200 and len(one_calls) == 12
    assert many == one  # same records, same order
    windows_read = sum(1 for r in many_calls if "nextPageToken" not in r["query"]) - 1
    assert windows_read >= 7  # about 1,100 tickets left after the first page, 150 a window
    assert len(one_calls) < len(many_calls) <= len(one_calls) + windows_read
    spans = sorted((r["start_s"], r["start_s"] + r["duration_ms"] / 1000) for r in many_calls)
    assert any(later[0] < earlier[1] for earlier, later in zip(spans, spans[1:], strict=False))


def test_a_short_history_is_one_search(tmp_path):
    source = tmp_path / "book.json"
    source.write_text(json.dumps(generate(90, 20, days=30, seed=6, components=2)))
    with Sandbox(source) as sb:
        records, calls = _export(sb, readers=4, window_tickets=150)
    assert sum(r["kind"] == "ticket" for r in records) == 90 and len(calls) == 1


@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1)),
       st.integers(0, 90 * 24 * 60), st.integers(1, 50))
def test_windows_part_the_time_on_whole_minutes_the_last_open_ended(start, minutes, count):
    start = start.replace(tzinfo=UTC)
    parts = windows(start, start + timedelta(minutes=minutes, seconds=30), count)
    assert parts[0][0] == start and parts[-1][1] is None and len(parts) <= count
    for (_, until), (since, _) in zip(parts, parts[1:], strict=False):
        assert until == since and since.second == 0 and since.microsecond == 0
    assert all(a < b for a, b in zip([p[0] for p in parts], [p[0] for p in parts[1:]], strict=False))
    assert all(p[0].replace(second=0, microsecond=0) < p[1] for p in parts[:-1] if p[1] is not None)
