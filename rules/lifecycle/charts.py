"""Inline SVG charts for the monthly review: horizontal bars and small line charts with a
dashed reference line. Plain strings, no script, no fonts or images to fetch."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

PALETTE = ("#3e7cb1", "#e07b39", "#5a9e6f", "#8e6bb3")
REFERENCE_COLOUR = "#b42318"


def _fmt(value: float, unit: str) -> str:
    if unit == "%" or float(value).is_integer():
        return f"{value:.0f}{unit}"
    return f"{value:.1f}{unit}"


def nice_top(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten at or above ``value`` (axis tops: 8, 10, 20)."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= value - 1e-9)


def bar_chart(title: str, rows: Sequence[tuple[str, float]], scale: float | None = None,
              unit: str = "") -> str:
    """A horizontal bar chart: one labelled bar per row, the value at its end."""
    bar_h, gap, label_w, width = 18, 6, 200, 360
    top = scale if scale is not None else max((v for _, v in rows), default=0) or 1
    height = len(rows) * (bar_h + gap) + gap
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{label_w + width + 80}" '
             f'height="{height}" aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for i, (label, value) in enumerate(rows):
        y = gap + i * (bar_h + gap)
        w = max(0.0, min(1.0, value / top)) * width
        parts.append(f'<text x="{label_w - 6}" y="{y + bar_h - 5}" text-anchor="end">{escape(label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{PALETTE[0]}"/>')
        parts.append(f'<text x="{label_w + w + 6:.1f}" y="{y + bar_h - 5}">{escape(_fmt(value, unit))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def line_chart(title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]], *,
               unit: str = "", top: float | None = None, reference: tuple[float, str] | None = None) -> str:
    """A small line chart over ``labels`` (months): one line per series, each point labelled;
    ``None`` leaves a gap. ``reference`` (value, text) draws a dashed line across, labelled."""
    width, height, left, right, top_pad, bottom = 400, 220, 44, 16, 52, 28
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    values = [v for _, vs in series for v in vs if v is not None]
    high = top if top is not None else nice_top(max([*values, reference[0] if reference else 0, 1]) * 1.1)
    step = plot_w / max(1, len(labels) - 1)

    def x(i: int) -> float:
        return left + (i * step if len(labels) > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top_pad + plot_h - max(0.0, min(1.0, v / high)) * plot_h

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
             f'aria-label="{escape(title)}" class="chart"><title>{escape(title)}</title>',
             f'<text x="{left}" y="16" class="ct">{escape(title)}</text>']
    for frac in (0, 0.5, 1):
        gy = top_pad + plot_h - frac * plot_h
        parts.append(f'<line x1="{left}" y1="{gy:.1f}" x2="{width - right}" y2="{gy:.1f}" stroke="#e4e7eb"/>')
        parts.append(f'<text x="{left - 6}" y="{gy + 4:.1f}" text-anchor="end" class="ax">'
                     f'{escape(_fmt(high * frac, unit))}</text>')
    for i, label in enumerate(labels):
        parts.append(f'<text x="{x(i):.1f}" y="{height - 8}" text-anchor="middle" class="ax">{escape(label)}</text>')
    legend_x = left
    if len(series) > 1:
        for n, (name, _) in enumerate(series):
            colour = PALETTE[n % len(PALETTE)]
            parts.append(f'<rect x="{legend_x}" y="27" width="12" height="3" fill="{colour}"/>'
                         f'<text x="{legend_x + 16}" y="32" class="ax">{escape(name)}</text>')
            legend_x += 24 + 7 * len(name)
    if reference is not None:
        ry = y(reference[0])
        parts.append(f'<line x1="{left}" y1="{ry:.1f}" x2="{width - right}" y2="{ry:.1f}" '
                     f'stroke="{REFERENCE_COLOUR}" stroke-dasharray="5 4" stroke-width="1.5"/>')
        parts.append(f'<line x1="{legend_x}" y1="28.5" x2="{legend_x + 16}" y2="28.5" stroke="{REFERENCE_COLOUR}" '
                     f'stroke-dasharray="5 4" stroke-width="1.5"/><text x="{legend_x + 20}" y="32" class="ref" '
                     f'fill="{REFERENCE_COLOUR}">{escape(reference[1])}</text>')
    for n, (_, vs) in enumerate(series):
        colour = PALETTE[n % len(PALETTE)]
        runs: list[list[tuple[float, float]]] = [[]]
        for i, v in enumerate(vs):
            if v is None:
                runs.append([])
            else:
                runs[-1].append((x(i), y(v)))
        for run in runs:
            if len(run) > 1:
                path = " ".join(f"{px:.1f},{py:.1f}" for px, py in run)
                parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for i, v in enumerate(vs):
            if v is None:
                continue
            px, py = x(i), y(v)
            parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{colour}"/>')
            dy = -7 if n == 0 else 15
            if reference is not None and abs(py + dy - 4 - y(reference[0])) < 8:
                dy = 15 if dy < 0 else -7  # keep the label off the reference line
            parts.append(f'<text x="{px:.1f}" y="{py + dy:.1f}" text-anchor="middle" class="pt" fill="{colour}">'
                         f'{escape(_fmt(v, unit))}</text>')
    parts.append("</svg>")
    return "".join(parts)
