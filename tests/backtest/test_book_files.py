"""Book files: YAML, JSON and JSON Lines give the same backtest; bad records are named or skipped."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from rules.backtest import backtest
from rules.book import dump_book, parse_book
from rules.book_stream import to_us
from rules.config import default_config
from rules.errors import InputError
from rules.models import Ticket
from sync.commands.book_files import _us, finish, open_book, write_book
from tests.paths import EXAMPLES, ROOT


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sync.cli", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


def small() -> dict:
    return dump_book(parse_book((EXAMPLES / "small_book.yaml").read_text()))


def written(tmp_path, book: dict, fmt: str, name: str = "book") -> str:
    path = tmp_path / f"{name}.{fmt}"
    buffer = io.StringIO()
    write_book(buffer, book, fmt)
    path.write_text(buffer.getvalue())
    return str(path)


@pytest.mark.parametrize("name", ["small_book.yaml", "busy_owner.yaml"])
@pytest.mark.parametrize("fmt", ["json", "jsonl", "yaml"])
def test_every_format_of_an_example_book_backtests_the_same(tmp_path, name, fmt):
    book = parse_book((EXAMPLES / name).read_text())
    expected = backtest(book, default_config())
    path = written(tmp_path, dump_book(book), fmt)
    assert backtest(open_book(path), default_config()) == expected
    assert expected["escalations"]


def test_jsonl_may_give_health_and_comments_on_their_own_lines(tmp_path):
    book = small()
    lines = [{"kind": "now", "at": book["now"]}]
    lines += [{"kind": "user", **u} for u in book["users"]]
    for account in book["accounts"]:
        lines.append({"kind": "account", **{k: v for k, v in account.items() if k != "health"}})
    for ticket in book["tickets"]:
        lines.append({"kind": "ticket", **{k: v for k, v in ticket.items() if k != "comments"}})
    # health and comments after everything else, the way an export might append them
    lines += [{"kind": "health", "account": a["id"], **h} for a in book["accounts"] for h in a.get("health", [])]
    lines += [{"kind": "comment", "ticket": t["key"], **c} for t in book["tickets"] for c in t.get("comments", [])]
    path = tmp_path / "split.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    assert backtest(open_book(str(path)), default_config()) == backtest(parse_book(book), default_config())


def test_a_malformed_jsonl_line_is_named_by_its_number_and_refuses_the_book(tmp_path):
    path = written(tmp_path, small(), "jsonl")
    lines = Path(path).read_text().splitlines()
    lines[3] = lines[3][:-7]  # a truncated record
    lines.insert(5, json.dumps({"kind": "ticket", "key": "T-9", "created": "2026-11-19T10:00:00Z", "prio": "x"}))
    Path(path).write_text("\n".join(lines) + "\n")
    out = cli("backtest", path)
    assert out.returncode == 2 and out.stdout == ""
    assert "  line 4: not valid JSON" in out.stderr and "  line 6 (ticket): prio: unknown key" in out.stderr


def test_skip_bad_loads_the_rest_and_counts_the_bad_lines(tmp_path):
    book = small()
    path = written(tmp_path, book, "jsonl")
    with open(path, "a") as f:
        f.write("{not json\n")
        f.write(json.dumps({"kind": "gossip"}) + "\n")
    out = cli("backtest", path, "--skip-bad")
    assert out.returncode == 0, out.stderr
    assert "skipped 2 bad record(s)" in out.stderr
    assert json.loads(out.stdout) == backtest(parse_book(book), default_config())


def test_a_bad_ticket_in_json_is_named_with_its_index(tmp_path):
    book = small()
    book["tickets"][2]["priorty"] = "High"
    path = written(tmp_path, book, "json")
    out = cli("backtest", path)
    assert out.returncode == 2 and "tickets[2].priorty: unknown key" in out.stderr


def test_a_duplicated_ticket_key_is_refused_in_every_format(tmp_path):
    book = small()
    book["tickets"].append(dict(book["tickets"][0]))
    for fmt in ("json", "jsonl"):
        source = open_book(written(tmp_path, book, fmt))
        assert any("key: duplicated value 'SUP-101'" in p for p in source.skipped)
        with pytest.raises(InputError):
            finish(source, "book", skip_bad=False)


def test_format_is_told_by_the_first_record_when_the_name_does_not(tmp_path):
    book = small()
    for fmt in ("json", "jsonl", "yaml"):
        path = tmp_path / f"book-{fmt}.txt"
        buffer = io.StringIO()
        write_book(buffer, book, fmt)
        path.write_text(buffer.getvalue())
        assert backtest(open_book(str(path)), default_config())["escalations"]


def test_yaml_books_are_read_with_a_safe_loader(tmp_path):
    path = tmp_path / "evil.yaml"
    path.write_text("now: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(InputError):
        open_book(str(path))
    assert yaml.__with_libyaml__ in (True, False)


_offsets = st.sampled_from(["Z", "+00:00", "+02:00", "-05:30", "+14:00", ""])


@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1)), _offsets,
       st.sampled_from(["seconds", "milliseconds", "microseconds"]))
def test_a_ticket_time_read_for_ordering_is_the_instant_the_ticket_model_reads(at, offset, spec):
    """The loader reads plain ISO times with ``fromisoformat`` to order tickets; the replay
    validates each ticket with its model. Both must give the same instant (a naive time is UTC)."""
    text = at.isoformat(timespec=spec) + offset
    assert _us(text) == to_us(Ticket.model_validate({"key": "T-1", "created": text}).created)


def test_an_impossible_plain_time_is_refused_by_the_model_not_the_fast_reader():
    with pytest.raises(ValidationError):
        _us("2026-02-31T10:00:00Z")
