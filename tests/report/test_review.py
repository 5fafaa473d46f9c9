"""The monthly review: six months of trends, per trigger kind, per severity and tier, the
playbook's reference lines, as Markdown for chat and one self-contained HTML page.

The world (UTC calendar, Mon-Fri 09:00-17:00): in each month June..November 2026, on the
first Monday, N escalations open (N = 1..6 for June..November), each SEV-2 tier 2 fired by a
keyword, and resolved 3 business days later (at 09:00 on the Thursday) without concession,
except November's last two, which stay open; June's is closed with root cause product_bug.
In addition, two social-media escalations open in October (SEV-1, tier 3): one is dismissed,
one resolved with a concession after 5 business days.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.lifecycle.render import SECTIONS, to_html, to_markdown
from rules.lifecycle.report import monthly_report
from rules.lifecycle.trends import REFERENCE_WITHOUT_CONCESSION, monthly_review, months_up_to
from rules.models import Escalation, Severity, Trigger
from tests.rules.lifecycle.world import ctx, esc

CTX = ctx()
V = "@vendor.example"
FIRST_MONDAYS = {"2026-06": 1, "2026-07": 6, "2026-08": 3, "2026-09": 7, "2026-10": 5, "2026-11": 2}


def trigger(kind: str, when: datetime) -> Trigger:
    return Trigger(id=f"{kind}-{when:%m%d%H%M}", kind=kind, account="A", at=when)


def world() -> list[Escalation]:
    out = []
    for n, (month, day) in enumerate(FIRST_MONDAYS.items(), start=1):
        year, mon = map(int, month.split("-"))
        for i in range(n):
            opened = datetime(year, mon, day, 9, i, tzinfo=UTC)
            still_open = month == "2026-11" and i >= n - 2
            extra = {} if still_open else dict(
                status="Resolved", resolved_at=opened + timedelta(days=3), concession_given=False)
            if month == "2026-06":  # closed with a root cause: the root-cause chart has Q2
                extra.update(status="Closed", closed_at=opened + timedelta(days=4), root_cause="product_bug")
            out.append(esc(Severity.SEV2, opened, acct=f"K{month}{i}", owner="lee" + V,
                           acknowledged_at=opened + timedelta(minutes=30),
                           triggers=(trigger("keyword", opened),), **extra))
    social = datetime(2026, 10, 12, 9, 0, tzinfo=UTC)
    out.append(esc(Severity.SEV1, social, acct="S1", tier=3, owner="rosa" + V, triggers=(
        trigger("social", social), trigger("keyword", social)), acknowledged_at=social)
        .model_copy(update={"status": "Dismissed", "closed_at": social + timedelta(hours=2)}))
    out.append(esc(Severity.SEV1, social + timedelta(hours=1), acct="S2", tier=3, owner="rosa" + V,
                   triggers=(trigger("social", social),), acknowledged_at=social + timedelta(hours=1),
                   status="Resolved", resolved_at=social + timedelta(days=7, hours=1), concession_given=True))
    return out


@pytest.fixture(scope="module")
def review():
    return monthly_review(world(), "2026-11", CTX)


def test_the_trend_is_six_months_each_exactly_that_months_report(review) -> None:
    assert [r.month for r in review.trend] == list(FIRST_MONDAYS)
    assert [r.opened for r in review.trend] == [1, 2, 3, 4, 6, 6]  # the dismissed one is no escalation
    assert [r.resolved for r in review.trend] == [1, 2, 3, 4, 6, 4]
    assert review.trend[-1] == monthly_report(world(), "2026-11", CTX) == review.current
    assert review.trend[4].without_concession_rate == pytest.approx(5 / 6)
    assert review.trend[4].mean_resolution_days == pytest.approx((5 * 3 + 5) / 6)
    assert review.period == "2026-06 to 2026-11"


def test_precision_per_trigger_kind_counts_dismissals_against_every_kind_that_fired(review) -> None:
    kinds = {k.kind: k for k in review.kinds}
    assert (kinds["keyword"].opened, kinds["keyword"].dismissed) == (22, 1)
    assert kinds["keyword"].precision == pytest.approx(21 / 22)
    assert (kinds["social"].opened, kinds["social"].dismissed, kinds["social"].precision) == (2, 1, 0.5)
    assert kinds["health_drop"].opened == 0 and kinds["health_drop"].precision is None


def test_per_severity_and_tier_counts_the_month(review) -> None:
    cells = {(c.severity, c.tier): (c.opened, c.open_at_end) for c in review.cells}
    assert cells[("SEV-2", 2)] == (6, 2)
    assert cells[("SEV-1", 3)] == (0, 0)
    assert sum(o for o, _ in cells.values()) == review.current.opened


def test_months_cross_the_year_and_a_bad_count_is_refused() -> None:
    assert months_up_to("2027-02", 4) == ("2026-11", "2026-12", "2027-01", "2027-02")
    with pytest.raises(ValueError, match="months"):
        monthly_review([], "2026-11", CTX, months=0)


def test_the_html_has_every_section_in_order_and_draws_the_playbook_references(review) -> None:
    page = to_html(review)
    found = re.findall(r'<section id="([a-z-]+)">', page)
    assert found == list(SECTIONS)
    assert "playbook: 93% (13 of 14)" in page and "playbook: about 10 days" in page
    assert page.count('stroke-dasharray="5 4"') == 4, "two reference lines, each with its legend"
    # rates, five trends, precision per kind, owners, root causes of 2026-Q2
    assert page.count("<svg") == 1 + 5 + 1 + 1 + 1
    for month in FIRST_MONDAYS:
        assert f"<th>{month}</th>" in page
    assert "<script" not in page and "src=" not in page and "href=" not in page and "url(" not in page


def test_the_markdown_for_chat_holds_the_same_sections(review) -> None:
    md = to_markdown(review)
    heads = [ln for ln in md.splitlines() if ln.startswith("## ")]
    assert heads == ["## Trends, 2026-06 to 2026-11", "## Per trigger kind, 2026-06 to 2026-11",
                     "## Per severity and tier (opened in the month / open at its end)",
                     "## Open escalations per owner at month end",
                     "## Root causes of closed escalations per quarter (systemic at 5 or more)"]
    assert "| Opened | 1 | 2 | 3 | 4 | 6 | 6 |" in md
    assert "| social | 2 | 1 | 50% |" in md
    assert f"{REFERENCE_WITHOUT_CONCESSION:.0%} resolved without concession (13 of 14)" in md


def test_a_bare_report_still_renders_alone() -> None:
    page = to_html(monthly_report(world(), "2026-11", CTX))
    assert re.findall(r'<section id="([a-z-]+)">', page) == ["summary", "owners", "root-causes"]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 200), st.integers(0, 30), st.booleans()), max_size=12),
       st.sampled_from(["2026-03", "2026-11", "2027-01"]))
def test_every_trend_month_is_the_report_of_that_month(items, month) -> None:
    base = datetime(2026, 1, 5, 9, tzinfo=UTC)
    escs = [esc(Severity.SEV3, base + timedelta(days=d), acct=f"H{i}", triggers=(trigger("repeat", base),),
                **(dict(status="Resolved", resolved_at=base + timedelta(days=d + r)) if done else {}))
            for i, (d, r, done) in enumerate(items)]
    review = monthly_review(escs, month, CTX)
    for r in review.trend:
        assert r == monthly_report(escs, r.month, CTX)
    assert sum(k.opened for k in review.kinds) == sum(
        1 for e in escs if review.trend[0].start <= e.opened < review.current.end)
