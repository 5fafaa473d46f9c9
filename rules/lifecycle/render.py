"""The monthly review as Markdown (for chat and the terminal) and as one self-contained HTML page.

The page has no script, no stylesheet link and no font or image fetch: the charts are inline
SVG, so it opens the same from a mail attachment, a wiki upload or an air-gapped laptop. Both
take a :class:`~rules.lifecycle.trends.Review` (six months, breakdowns, the playbook's reference
figures) or a bare :class:`~rules.lifecycle.report.Report` (that month alone).
"""

from __future__ import annotations

from html import escape

from rules.lifecycle.charts import bar_chart, line_chart
from rules.lifecycle.report import Report
from rules.lifecycle.trends import TIERS, Review, TierSeverity, single

SECTIONS = ("summary", "trends", "trigger-kinds", "tier-severity", "owners", "root-causes")


def _pct(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate:.0%}"


def _days(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f} business days"


def _review(subject: Report | Review) -> Review:
    return subject if isinstance(subject, Review) else single(subject)


def headline(report: Report) -> list[tuple[str, str]]:
    """The summary table's rows: (measure, value as text)."""
    r = report
    return [
        ("Escalations opened", str(r.opened)),
        ("Escalations active in the month", str(r.active)),
        ("Resolved in the month", str(r.resolved)),
        ("Resolution rate", f"{_pct(r.resolution_rate)} ({r.resolved} of {r.active})"),
        ("Resolved without concession",
         f"{_pct(r.without_concession_rate)} ({r.without_concession} of {r.resolved}; "
         f"{r.with_concession} with, {r.concession_unknown} unknown)"),
        ("Mean time to resolution", _days(r.mean_resolution_days)),
        ("Acknowledge-SLA compliance",
         f"{_pct(r.ack_compliance)} ({r.ack_on_time} of {r.ack_judged})"),
    ]


def trend_rows(review: Review) -> list[tuple[str, list[str]]]:
    """The trend table: one row per measure, one column per month."""
    t = review.trend
    return [
        ("Opened", [str(r.opened) for r in t]),
        ("Resolved", [str(r.resolved) for r in t]),
        ("Resolution rate", [_pct(r.resolution_rate) for r in t]),
        ("Without concession", [_pct(r.without_concession_rate) for r in t]),
        ("Mean business days", ["n/a" if r.mean_resolution_days is None else f"{r.mean_resolution_days:.1f}"
                                for r in t]),
        ("Acknowledge compliance", [_pct(r.ack_compliance) for r in t]),
    ]


def references(review: Review) -> str:
    return (f"Playbook references: {review.reference_without_concession:.0%} resolved without concession "
            f"(13 of 14), about {review.reference_resolution_days:.0f} business days to resolution.")


def _cause_rows(report: Report) -> list[tuple[str, list[str]]]:
    causes = sorted({c.root_cause for c in report.root_causes})
    cells = {(c.quarter, c.root_cause): c for c in report.root_causes}
    rows = []
    for cause in causes:
        row = []
        for quarter in report.quarters:
            hit = cells.get((quarter, cause))
            mark = " (systemic)" if hit is not None and hit.systemic else ""
            row.append("0" if hit is None else f"{hit.count}{mark}")
        rows.append((cause, row))
    return rows


def _tier_rows(review: Review) -> list[tuple[str, list[str]]]:
    cells = {(c.severity, c.tier): c for c in review.cells}
    severities = sorted({c.severity for c in review.cells})
    def shown(c: TierSeverity) -> str:
        return "-" if not (c.opened or c.open_at_end) else f"{c.opened} / {c.open_at_end}"

    return [(s, [shown(cells[(s, t)]) for t in TIERS]) for s in severities]


def month_label(month: str, first: bool) -> str:
    """``Nov``, or ``Nov 2026`` for the first month shown and every January."""
    year, mon = month.split("-")
    name = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")[int(mon) - 1]
    return f"{name} {year}" if first or mon == "01" else name


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|")


def _md_table(header: list[str], rows: list[list[str]], right_from: int = 1) -> list[str]:
    out = ["| " + " | ".join(_md_cell(h) for h in header) + " |",
           "|" + "|".join("---" if i < right_from else "---:" for i in range(len(header))) + "|"]
    return out + ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]


def to_markdown(subject: Report | Review) -> str:
    """The review as Markdown: this month, the trend, per kind, per tier and severity, owners, causes."""
    review = _review(subject)
    report = review.current
    out = [f"# Escalation review {report.month}", "",
           f"Period: {report.start:%Y-%m-%d %H:%M}Z to {report.end:%Y-%m-%d %H:%M}Z "
           f"(the month in the business calendar's time zone, shown in UTC)", "",
           "| measure | value |", "|---|---|"]
    out += [f"| {_md_cell(k)} | {_md_cell(v)} |" for k, v in headline(report)]
    out += ["", references(review)]
    if len(review.trend) > 1:
        out += ["", f"## Trends, {review.period}", ""]
        out += _md_table(["measure", *[r.month for r in review.trend]], [[k, *v] for k, v in trend_rows(review)])
    if review.kinds:
        out += ["", f"## Per trigger kind, {review.period}", ""]
        out += _md_table(["trigger kind", "opened", "dismissed", "precision"],
                         [[k.kind, str(k.opened), str(k.dismissed), _pct(k.precision)] for k in review.kinds])
    if review.cells:
        out += ["", "## Per severity and tier (opened in the month / open at its end)", ""]
        out += _md_table(["severity", *[f"tier {t}" for t in TIERS]], [[s, *v] for s, v in _tier_rows(review)])
    out += ["", "## Open escalations per owner at month end", ""]
    if report.open_per_owner:
        out += ["| owner | open |", "|---|---:|"]
        out += [f"| {_md_cell(o.owner)} | {o.open} |" for o in report.open_per_owner]
    else:
        out.append("None open.")
    out += ["", f"## Root causes of closed escalations per quarter "
                f"(systemic at {report.pattern_threshold} or more)", ""]
    rows = _cause_rows(report)
    if rows:
        out.append("| root cause | " + " | ".join(report.quarters) + " |")
        out.append("|---|" + "---:|" * len(report.quarters))
        out += [f"| {_md_cell(c)} | " + " | ".join(r) + " |" for c, r in rows]
    else:
        out.append("No closed escalations in these quarters.")
    return "\n".join(out) + "\n"


# --- HTML ---------------------------------------------------------------------------------------

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;color:#1f2933;max-width:64rem;
padding:0 1rem;line-height:1.4}
table{border-collapse:collapse;margin:.5rem 0 1.5rem;font-size:.95rem}
th,td{border:1px solid #cbd2d9;padding:.3rem .6rem;text-align:left}
th{background:#f5f7fa}
td.n{text-align:right;font-variant-numeric:tabular-nums}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2.2rem;border-bottom:1px solid #e4e7eb;
padding-bottom:.2rem}h3{font-size:1rem;margin:1rem 0 .3rem;color:#52606d}
.sub{color:#52606d;margin-top:0}
.ref{font-size:11px}
.charts{display:flex;flex-wrap:wrap;gap:1rem}
.charts svg{border:1px solid #e4e7eb;border-radius:4px;background:#fff}
svg text{font-size:12px;fill:#1f2933}
svg text.ax{font-size:11px;fill:#52606d}svg text.ct{font-size:13px;font-weight:600}
svg text.pt{font-size:11px}svg text.ref{fill:#b42318;font-size:11px}
.systemic{font-weight:bold;color:#b42318}
"""


def _table(header: list[str], rows: list[list[str]], numeric_from: int = 1) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(
        f'<td{" class=n" if i >= numeric_from else ""}>{escape(c)}</td>' for i, c in enumerate(row)) + "</tr>"
        for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _trend_charts(review: Review) -> str:
    t, months = review.trend, [month_label(r.month, i == 0) for i, r in enumerate(review.trend)]

    def pct(values: list[float | None]) -> list[float | None]:
        return [None if v is None else round(100 * v, 1) for v in values]

    ref_c, ref_d = review.reference_without_concession, review.reference_resolution_days
    charts = [
        line_chart("Opened and resolved", months, [("opened", [float(r.opened) for r in t]),
                                                   ("resolved", [float(r.resolved) for r in t])]),
        line_chart("Resolution rate (%)", months, [("rate", pct([r.resolution_rate for r in t]))], unit="%",
                   top=100),
        line_chart("Resolved without concession (%)", months,
                   [("without", pct([r.without_concession_rate for r in t]))], unit="%", top=100,
                   reference=(round(100 * ref_c, 1), f"playbook: {ref_c:.0%} (13 of 14)")),
        line_chart("Mean business days to resolution", months,
                   [("days", [r.mean_resolution_days for r in t])],
                   reference=(ref_d, f"playbook: about {ref_d:.0f} days")),
        line_chart("Acknowledge-SLA compliance (%)", months, [("on time", pct([r.ack_compliance for r in t]))],
                   unit="%", top=100),
    ]
    return '<div class="charts">' + "".join(charts) + "</div>"


def to_html(subject: Report | Review) -> str:
    """The review as one self-contained HTML page with inline SVG charts."""
    review = _review(subject)
    r = review.current
    body = [f"<h1>Escalation review {escape(r.month)}</h1>",
            f'<p class="sub">Period: {r.start:%Y-%m-%d %H:%M}Z to {r.end:%Y-%m-%d %H:%M}Z</p>',
            '<section id="summary"><h2>This month</h2>',
            _table(["measure", "value"], [[k, v] for k, v in headline(r)], numeric_from=2),
            f"<p>{escape(references(review))}</p>"]
    rates = [(name, 100 * rate) for name, rate in (
        ("Resolution rate", r.resolution_rate), ("Resolved without concession", r.without_concession_rate),
        ("Acknowledge-SLA compliance", r.ack_compliance)) if rate is not None]
    if rates:
        body.append(bar_chart("Rates (%)", rates, scale=100, unit="%"))
    body.append("</section>")
    if len(review.trend) > 1:
        body += [f'<section id="trends"><h2>Trends, {escape(review.period)}</h2>', _trend_charts(review),
                 _table(["measure", *[m.month for m in review.trend]], [[k, *v] for k, v in trend_rows(review)]),
                 "</section>"]
    if review.kinds:
        fired = [k for k in review.kinds if k.opened]
        body += [f'<section id="trigger-kinds"><h2>Per trigger kind, {escape(review.period)}</h2>',
                 "<p>Precision: the share of the escalations a kind opened that people did not dismiss.</p>"]
        if fired:
            body.append(bar_chart("Precision per trigger kind",
                                  [(k.kind, 100 * (k.precision or 0)) for k in fired], scale=100, unit="%"))
        body += [_table(["trigger kind", "opened", "dismissed", "precision"],
                        [[k.kind, str(k.opened), str(k.dismissed), _pct(k.precision)] for k in review.kinds]),
                 "</section>"]
    if review.cells:
        body += ['<section id="tier-severity"><h2>Per severity and tier</h2>',
                 "<p>Opened in the month / open at its end.</p>",
                 _table(["severity", *[f"tier {t}" for t in TIERS]], [[s, *v] for s, v in _tier_rows(review)]),
                 "</section>"]
    body.append('<section id="owners"><h2>Open escalations per owner at month end</h2>')
    if r.open_per_owner:
        body.append(bar_chart("Open escalations per owner", [(o.owner, o.open) for o in r.open_per_owner]))
        body.append(_table(["owner", "open"], [[o.owner, str(o.open)] for o in r.open_per_owner]))
    else:
        body.append("<p>None open.</p>")
    body.append(f'</section><section id="root-causes"><h2>Root causes of closed escalations per quarter '
                f"(systemic at {r.pattern_threshold} or more)</h2>")
    if r.root_causes:
        for quarter in r.quarters:
            rows = [(c.root_cause, c.count) for c in r.root_causes if c.quarter == quarter]
            if rows:
                body.append(f"<h3>{escape(quarter)}</h3>")
                body.append(bar_chart(f"Root causes {quarter}", rows))
        body.append("<table><tr><th>root cause</th>" + "".join(f"<th>{escape(q)}</th>" for q in r.quarters) + "</tr>")
        for cause, cells in _cause_rows(r):
            tds = "".join(f'<td class="n{" systemic" if "systemic" in c else ""}">{escape(c)}</td>' for c in cells)
            body.append(f"<tr><td>{escape(cause)}</td>{tds}</tr>")
        body.append("</table>")
    else:
        body.append("<p>No closed escalations in these quarters.</p>")
    body.append("</section>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>Escalation review {escape(r.month)}</title><style>{_STYLE}</style></head>"
            "<body>\n" + "\n".join(body) + "\n</body></html>\n")
