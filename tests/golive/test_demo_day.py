"""The demo's day (issue 12, item 5): policy tiers, no breach at start, a person reassigning an
epic and a person dismissing one, as the live table shows them."""

from __future__ import annotations

from sandbox.life import SCRIPT
from sandbox.server import Sandbox
from sync.commands.demo import _rows
from tests.golive.test_first_cycle import go_live, runtime_on
from tests.sync.outcome import expected


def step(what: str):
    return next(s for s in SCRIPT if s.what.startswith(what))


def test_the_demo_day_starts_at_policy_tiers_and_shows_a_reassignment_and_a_dismissal(redis_url):
    with Sandbox("sandbox/books/small_book.yaml") as sb:
        rt = runtime_on(sb, redis_url)
        go_live(sb, rt, watches=2)
        rows = {r["account"]: r for r in _rows(rt.store)}
        tiers = {e["account_name"]: e["tier"] for e in expected(sb).values()}
        assert {a: r["tier"] for a, r in rows.items()} == tiers
        assert all(r["breaches"] == 0 for r in rows.values())
        assert step("a director reassigns").do(sb)
        assert step("a director closes a false alarm").do(sb)
        sb.clock.advance(10)
        rt.watch()
        after = {r["account"]: r for r in _rows(rt.store)}
        moved = [a for a in after if after[a]["owner"] != rows[a]["owner"]]
        assert len(moved) == 1 and after[moved[0]]["latest"].startswith("Owner ")
        dismissed = [a for a, r in after.items() if r["status"] == "Dismissed"]
        assert len(dismissed) == 1 and after[dismissed[0]]["latest"].startswith("Dismissed as not an escalation")
