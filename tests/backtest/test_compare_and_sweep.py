"""``backtest --compare`` and ``--sweep`` on the small example book, against differences worked out
by hand from the book and POLICY.md (see each test), not from the command's output."""

from __future__ import annotations

import json
import subprocess
import sys

import yaml

from rules.book import dump_book, parse_book
from rules.compare import pareto
from rules.sweep import combinations, overrides, parse_axis
from tests.paths import EXAMPLES, ROOT

SMALL = str(EXAMPLES / "small_book.yaml")


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sync.cli", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


def compare(tmp_path, rules: dict, book: str = SMALL, *extra: str) -> dict:
    path = tmp_path / "b.yaml"
    path.write_text(yaml.safe_dump(rules))
    out = cli("backtest", book, "--compare", str(path), *extra)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def names(escalations) -> list[str]:
    return sorted(e["account_name"] for e in escalations)


def kinds(esc) -> list[str]:
    return [t["kind"] for t in esc["triggers"]]


def test_a_stricter_burst_count_turns_globex_into_its_later_keyword_escalation(tmp_path):
    # Globex's burst is 3 Integrations tickets (SUP-201..203); at 4 there is none, so Globex opens
    # only when SUP-206 says "cancel" (11-19 14:00), and that is no repeat (nothing was open).
    out = compare(tmp_path, {"triggers": {"ticket_burst": {"count": 4}}})
    assert out["added"] == [] and out["removed"] == []
    [change] = out["changed"]
    assert change["before"]["account_name"] == "Globex"
    assert kinds(change["before"]) == ["ticket_burst", "keyword", "repeat"]
    assert kinds(change["after"]) == ["keyword"] and change["after"]["opened"] == "2026-11-19T14:00:00Z"
    a, b = out["summary"]["a"], out["summary"]["b"]
    assert a["by_trigger_kind"]["ticket_burst"] == 1 and "ticket_burst" not in b["by_trigger_kind"]
    assert a["escalations"] == b["escalations"] == 9


def test_a_higher_health_drop_threshold_drops_initech(tmp_path):
    # Initech fell 85 -> 55: exactly 30 points, a trigger at 30 and none at 31; nothing else drops.
    out = compare(tmp_path, {"triggers": {"health_drop": {"points": 31}}})
    assert names(out["removed"]) == ["Initech"] and out["added"] == []
    assert out["summary"]["a"]["escalations"] - out["summary"]["b"]["escalations"] == 1


def test_a_shorter_word_list_drops_the_cancel_escalations(tmp_path):
    # Without "cancel": Acme (SUP-101), Vandelay (SUP-901) and Soylent (SUP-801) had nothing else;
    # Globex keeps its burst, Massive Dynamic its executive flag; Wayne's "breach" stays.
    out = compare(tmp_path, {"triggers": {"keyword": {"words": ["legal", "breach"]}}})
    assert names(out["removed"]) == ["Acme Corp", "Soylent", "Vandelay Industries"]
    changed = {c["account"]: c for c in out["changed"]}
    after = {c["after"]["account_name"]: kinds(c["after"]) for c in changed.values()}
    assert after["Globex"] == ["ticket_burst"] and after["Massive Dynamic"] == ["executive_flag"]
    assert "Wayne Enterprises" not in names(out["removed"])


def judged_book(tmp_path) -> str:
    book = dump_book(parse_book((EXAMPLES / "small_book.yaml").read_text()))
    ids = {a["name"]: a["id"] for a in book["accounts"]}
    book["escalations"] = [
        {"id": "ESC-1", "account": ids["Acme Corp"], "status": "Dismissed", "kinds": ["keyword"]},
        {"id": "ESC-2", "account": ids["Initech"], "status": "Closed", "kinds": ["health_drop"]},
        {"id": "ESC-3", "account": ids["Globex"], "status": "Open", "kinds": ["ticket_burst"]},
    ]
    path = tmp_path / "judged.json"
    path.write_text(json.dumps(book))
    return str(path)


def test_compare_counts_dismissed_still_opened_and_kept_lost(tmp_path):
    out = compare(tmp_path, {"triggers": {"health_drop": {"points": 31}}}, judged_book(tmp_path))
    a, b = out["summary"]["a"]["judgement"], out["summary"]["b"]["judgement"]
    assert a == {"dismissed_still_opened": 1, "kept_lost": 0, "dismissed": 1, "kept": 2}
    assert b == {"dismissed_still_opened": 1, "kept_lost": 1, "dismissed": 1, "kept": 2}  # Initech lost


def test_compare_table_is_for_a_person(tmp_path):
    path = tmp_path / "b.yaml"
    path.write_text("triggers: {health_drop: {points: 31}}\n")
    out = cli("backtest", SMALL, "--compare", str(path), "--format", "table")
    assert out.returncode == 0, out.stderr
    assert "removed  Initech" in out.stdout and "notifications" in out.stdout


def test_sweep_replays_every_combination_and_marks_the_unbeaten(tmp_path):
    book = judged_book(tmp_path)
    out = cli("backtest", book, "--sweep", "triggers.ticket_burst.count=2..5",
              "--sweep", "triggers.health_drop.points=20,25,30,35,40")
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)["combinations"]
    assert len(rows) == 20
    assert rows[0]["settings"] == {"triggers.ticket_burst.count": 2, "triggers.health_drop.points": 20}
    by = {(r["settings"]["triggers.ticket_burst.count"], r["settings"]["triggers.health_drop.points"]): r
          for r in rows}
    # Initech's 30-point drop is kept at 20..30 and lost at 35, 40; Globex (kept) opens at every
    # count thanks to its "cancel" ticket; Acme (dismissed) opens everywhere on its keyword
    assert by[(3, 30)]["judgement"]["kept_lost"] == 0 and by[(3, 35)]["judgement"]["kept_lost"] == 1
    assert all(r["judgement"]["dismissed_still_opened"] == 1 for r in rows)
    assert [r["pareto"] for r in rows] == [r["judgement"]["kept_lost"] == 0 for r in rows]
    table = cli("backtest", book, "--sweep", "triggers.health_drop.points=30,35", "--format", "table").stdout
    assert "best" in table.splitlines()[0] and table.count("*") == 1


def test_a_bad_sweep_is_refused_naming_the_field(tmp_path):
    out = cli("backtest", SMALL, "--sweep", "triggers.ticket_burst.count=1..2")
    assert out.returncode == 2 and "triggers.ticket_burst.count" in out.stderr
    out = cli("backtest", SMALL, "--sweep", "triggers.ticket_burst.count")
    assert out.returncode == 2 and "PATH=A..B" in out.stderr


def test_pareto_marks_rows_no_other_beats_on_both():
    rows = [{"judgement": {"dismissed_still_opened": d, "kept_lost": k}} for d, k in [(3, 0), (1, 1), (2, 2), (1, 1)]]
    assert pareto(rows) == [True, True, False, True]
    assert pareto([{"opened": 1}]) == [None]


def test_sweep_specs():
    assert parse_axis("a.b=2..4") == ("a.b", (2, 3, 4))
    assert parse_axis("a.b=7d,14d") == ("a.b", ("7d", "14d"))
    combos = combinations([("x.y", (1, 2)), ("x.z", (3,))])
    assert combos == [{"x.y": 1, "x.z": 3}, {"x.y": 2, "x.z": 3}]
    assert overrides(combos[0]) == {"x": {"y": 1, "z": 3}}


def test_the_batch_size_changes_memory_not_results(tmp_path):
    book = judged_book(tmp_path)
    runs = [cli("backtest", book, "--sweep", "triggers.health_drop.points=25,35", "--sweep",
                "triggers.ticket_burst.count=3,4", "--batch", n) for n in ("1", "3", "4")]
    assert all(r.returncode == 0 for r in runs), runs[0].stderr
    assert runs[0].stdout == runs[1].stdout == runs[2].stdout
