"""The monthly review against figures computed by hand from a small, hand-made set.

November 2026 (UTC calendar, Mon-Fri 09:00-17:00; 2 November is a Monday). Each line:
opened, severity, acknowledged (deadline), resolved, closed, concession, root cause, owner.

* E1: Nov 2 09:00, SEV-2, 09:30 (10:00), Nov 4 13:00, Nov 5, no, product_bug, lee
* E2: Nov 6 16:00, SEV-3, 21:00 (20:00, late), Nov 9 13:00, -, yes, -, lee (Resolved)
* E3: Oct 20 09:00, SEV-3, 10:00, Nov 10 09:00, Nov 11, unknown, product_bug, rosa
* E4: Nov 16 10:00, SEV-2, never (11:00), open, rosa
* E5: Nov 30 23:30, SEV-4, never (Dec 1 23:30), open, lee
* E6: Sep 1, SEV-3, Sep 10, Sep 10, product_bug, omar
* E7: Oct 1, SEV-3, closed Oct 15 without resolution time or root cause, omar
* E8: Nov 20 09:00, SEV-3, 10:00 (13:00), open (In Progress), lee
* E9: Dec 2, open, lee (after the month)
* E10: Oct 25, SEV-3, open, omar

By hand: opened = E1 E2 E4 E5 E8 = 5; active = E1 E2 E3 E4 E5 E8 E10 = 7; resolved = E1 E2 E3
= 3; rate 3/7. Concession: without E1, with E2, unknown E3. Business days: E1 Mon 8 h + Tue
8 h + Wed 4 h = 2.5; E2 Fri 1 h + Mon 4 h = 0.625; E3 three whole weeks = 15; mean 18.125 / 3.
Acknowledge: E1 on time, E2 late, E4 never and due before the end, E8 on time, E5 not due
yet: 2 of 4. Open at Dec 1 00:00: E4 rosa, E5 lee, E8 lee, E10 omar. Root causes: 2026-Q3 bug
1 (E6); 2026-Q4 bug 2 (E1, E3), (none) 1 (E7); E2 is Resolved, not Closed.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rules.lifecycle.render import to_html, to_markdown
from rules.lifecycle.report import OwnerCount, RootCauseCount, monthly_report
from rules.models import Severity
from tests.rules.lifecycle.world import ctx, esc

CTX = ctx()
V = "@vendor.example"
S2, S3, S4 = Severity.SEV2, Severity.SEV3, Severity.SEV4


def d(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


BOOK = [
    esc(S2, d(11, 2, 9), owner="lee" + V, acknowledged_at=d(11, 2, 9, 30), status="Closed",
        resolved_at=d(11, 4, 13), closed_at=d(11, 5, 10), concession_given=False,
        root_cause="product_bug"),
    esc(S3, d(11, 6, 16), owner="lee" + V, acknowledged_at=d(11, 6, 21), status="Resolved",
        resolved_at=d(11, 9, 13), concession_given=True),
    esc(S3, d(10, 20, 9), owner="rosa" + V, acknowledged_at=d(10, 20, 10), status="Closed",
        resolved_at=d(11, 10, 9), closed_at=d(11, 11, 9), root_cause="product_bug"),
    esc(S2, d(11, 16, 10), owner="rosa" + V),
    esc(S4, d(11, 30, 23, 30), owner="lee" + V),
    esc(S3, d(9, 1, 9), owner="omar" + V, acknowledged_at=d(9, 1, 10), status="Closed",
        resolved_at=d(9, 10, 9), closed_at=d(9, 10, 9), root_cause="product_bug"),
    esc(S3, d(10, 1, 9), owner="omar" + V, acknowledged_at=d(10, 1, 10), status="Closed",
        closed_at=d(10, 15, 9)),
    esc(S3, d(11, 20, 9), owner="lee" + V, acknowledged_at=d(11, 20, 10), status="In Progress"),
    esc(S3, d(12, 2, 9), owner="lee" + V),
    esc(S3, d(10, 25, 9), owner="omar" + V, acknowledged_at=d(10, 25, 10)),
]


@pytest.fixture(scope="module")
def report():
    return monthly_report(BOOK, "2026-11", CTX)


def test_the_month_is_the_calendars_half_open_month(report):
    assert (report.start, report.end) == (d(11, 1), d(12, 1))


def test_counts_match_the_hand_made_book(report):
    assert (report.opened, report.active, report.resolved) == (5, 7, 3)
    assert report.resolution_rate == pytest.approx(3 / 7)


def test_concessions_match_the_hand_made_book(report):
    counts = (report.without_concession, report.with_concession, report.concession_unknown)
    assert counts == (1, 1, 1)
    assert report.without_concession_rate == pytest.approx(1 / 3)


def test_mean_time_to_resolution_in_business_days(report):
    assert report.mean_resolution_days == pytest.approx((2.5 + 0.625 + 15) / 3)


def test_acknowledge_compliance(report):
    assert (report.ack_on_time, report.ack_judged) == (2, 4)
    assert report.ack_compliance == 0.5


def test_open_escalations_per_owner_at_month_end(report):
    assert report.open_per_owner == (
        OwnerCount(owner="lee" + V, open=2), OwnerCount(owner="omar" + V, open=1),
        OwnerCount(owner="rosa" + V, open=1))


def test_root_causes_per_quarter(report):
    assert report.quarters == ("2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4")
    assert report.root_causes == (
        RootCauseCount(quarter="2026-Q3", root_cause="product_bug", count=1, systemic=False),
        RootCauseCount(quarter="2026-Q4", root_cause="(none)", count=1, systemic=False),
        RootCauseCount(quarter="2026-Q4", root_cause="product_bug", count=2, systemic=False),
    )


def test_an_empty_month_has_no_rates():
    empty = monthly_report([], "2027-02", CTX)
    assert (empty.opened, empty.resolution_rate, empty.mean_resolution_days) == (0, None, None)
    assert "| Resolution rate | n/a (0 of 0) |" in to_markdown(empty)
    assert "None open." in to_html(empty)


def test_a_bad_month_is_refused():
    with pytest.raises(ValueError, match="not a month"):
        monthly_report(BOOK, "2026-13", CTX)


def test_the_markdown_shows_the_figures(report):
    md = to_markdown(report)
    assert md.startswith("# Escalation review 2026-11\n")
    assert "| Resolution rate | 43% (3 of 7) |" in md
    assert "| Resolved without concession | 33% (1 of 3; 1 with, 1 unknown) |" in md
    assert "| Mean time to resolution | 6.04 business days |" in md
    assert "| Acknowledge-SLA compliance | 50% (2 of 4) |" in md
    assert "| lee@vendor.example | 2 |" in md
    assert "| root cause | 2026-Q1 | 2026-Q2 | 2026-Q3 | 2026-Q4 |" in md
    assert "| product_bug | 0 | 0 | 1 | 2 |" in md


def test_a_systemic_root_cause_is_marked():
    many = [esc(S3, d(10, 1 + i, 9), status="Closed", resolved_at=d(10, 10 + i),
                closed_at=d(10, 10 + i), root_cause="routing_failure") for i in range(5)]
    md = to_markdown(monthly_report(many, "2026-11", CTX))
    assert "| routing_failure | 0 | 0 | 0 | 5 (systemic) |" in md


def test_the_html_page_is_self_contained_with_svg_charts(report):
    page = to_html(report)
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") == 4  # rates, owners, Q3, Q4
    assert "<script" not in page and "src=" not in page and "href=" not in page
    assert "@import" not in page and "url(" not in page
    assert "lee@vendor.example" in page and "43%" in page


def test_html_escapes_what_it_shows():
    odd = [esc(S3, d(11, 2, 9), owner="<b>x</b>@vendor.example")]
    page = to_html(monthly_report(odd, "2026-11", CTX))
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page
