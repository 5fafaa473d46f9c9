"""The monthly review as Markdown (for the terminal) and as one self-contained HTML page.

The page has no script, no stylesheet link and no font or image fetch: the charts are inline
SVG, so it opens the same from a mail attachment, a wiki upload or an air-gapped laptop.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from rules.lifecycle.report import Report


def _pct(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate:.0%}"


def _days(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f} business days"


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


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|")


def to_markdown(report: Report) -> str:
    """The review as Markdown: a summary table, open escalations per owner, root causes."""
    out = [f"# Escalation review {report.month}", "",
           f"Period: {report.start:%Y-%m-%d %H:%M}Z to {report.end:%Y-%m-%d %H:%M}Z "
           f"(the month in the business calendar's time zone, shown in UTC)", "",
           "| measure | value |", "|---|---|"]
    out += [f"| {_md_cell(k)} | {_md_cell(v)} |" for k, v in headline(report)]
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
body{font-family:system-ui,sans-serif;margin:2rem;color:#1f2933;max-width:60rem}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}
th,td{border:1px solid #cbd2d9;padding:.3rem .6rem;text-align:left}
td.n{text-align:right}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}
svg text{font-size:12px;fill:#1f2933}
.systemic{font-weight:bold;color:#b42318}
"""


def bar_chart(title: str, rows: Sequence[tuple[str, float]], scale: float | None = None,
              unit: str = "") -> str:
    """A horizontal bar chart as inline SVG: one labelled bar per row, the value at its end."""
    bar_h, gap, label_w, width = 18, 6, 200, 360
    top = scale if scale is not None else max((v for _, v in rows), default=0) or 1
    height = len(rows) * (bar_h + gap) + gap
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{label_w + width + 80}" '
             f'height="{height}" aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for i, (label, value) in enumerate(rows):
        y = gap + i * (bar_h + gap)
        w = max(0.0, min(1.0, value / top)) * width
        shown = f"{value:.0f}{unit}" if float(value).is_integer() else f"{value:.1f}{unit}"
        parts.append(f'<text x="{label_w - 6}" y="{y + bar_h - 5}" text-anchor="end">'
                     f'{escape(label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                     f'fill="#3e7cb1"/>')
        parts.append(f'<text x="{label_w + w + 6:.1f}" y="{y + bar_h - 5}">{escape(shown)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def to_html(report: Report) -> str:
    """The review as one self-contained HTML page with inline SVG bar charts."""
    r = report
    rates = [(name, 100 * rate) for name, rate in (
        ("Resolution rate", r.resolution_rate),
        ("Resolved without concession", r.without_concession_rate),
        ("Acknowledge-SLA compliance", r.ack_compliance)) if rate is not None]
    body = [f"<h1>Escalation review {escape(r.month)}</h1>",
            f"<p>Period: {r.start:%Y-%m-%d %H:%M}Z to {r.end:%Y-%m-%d %H:%M}Z</p>",
            "<table><tr><th>measure</th><th>value</th></tr>"]
    body += [f"<tr><td>{escape(k)}</td><td>{escape(v)}</td></tr>" for k, v in headline(r)]
    body.append("</table>")
    if rates:
        body.append(bar_chart("Rates (%)", rates, scale=100, unit="%"))
    body.append("<h2>Open escalations per owner at month end</h2>")
    if r.open_per_owner:
        body.append(bar_chart("Open escalations per owner",
                              [(o.owner, o.open) for o in r.open_per_owner]))
        body.append("<table><tr><th>owner</th><th>open</th></tr>")
        body += [f'<tr><td>{escape(o.owner)}</td><td class="n">{o.open}</td></tr>'
                 for o in r.open_per_owner]
        body.append("</table>")
    else:
        body.append("<p>None open.</p>")
    body.append(f"<h2>Root causes of closed escalations per quarter "
                f"(systemic at {r.pattern_threshold} or more)</h2>")
    if r.root_causes:
        for quarter in r.quarters:
            rows = [(c.root_cause, c.count) for c in r.root_causes if c.quarter == quarter]
            if rows:
                body.append(f"<h3>{escape(quarter)}</h3>")
                body.append(bar_chart(f"Root causes {quarter}", rows))
        body.append("<table><tr><th>root cause</th>"
                    + "".join(f"<th>{escape(q)}</th>" for q in r.quarters) + "</tr>")
        for cause, cells in _cause_rows(r):
            tds = "".join(f'<td class="n{" systemic" if "systemic" in c else ""}">{escape(c)}</td>'
                          for c in cells)
            body.append(f"<tr><td>{escape(cause)}</td>{tds}</tr>")
        body.append("</table>")
    else:
        body.append("<p>No closed escalations in these quarters.</p>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>Escalation review {escape(r.month)}</title><style>{_STYLE}</style></head>"
            "<body>\n" + "\n".join(body) + "\n</body></html>\n")
