"""Atlassian Document Format to HTML, as Jira's ``renderedFields`` gives it (approximately).

The sandbox answers ``expand=renderedFields`` with this HTML for a rich description, and the
README's picture of the tracking document is this HTML in a browser. Only the nodes the
connector writes (and plain text) are rendered; anything else shows its text.
"""

from __future__ import annotations

from html import escape
from typing import Any

PANEL_COLOURS = {"info": ("#e9f2ff", "#0c66e4"), "note": ("#f3f0ff", "#6e5dc6"), "success": ("#dcfff1", "#1f845a"),
                 "warning": ("#fff7d6", "#b38600"), "error": ("#ffeceb", "#c9372c"), "tip": ("#dcfff1", "#1f845a")}
LOZENGE = {"neutral": ("#dfe1e6", "#42526e"), "purple": ("#eae6ff", "#403294"), "blue": ("#deebff", "#0747a6"),
           "red": ("#ffebe6", "#bf2600"), "yellow": ("#fff0b3", "#172b4d"), "green": ("#e3fcef", "#006644")}
STYLE = """
body{font-family:-apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,sans-serif;color:#172b4d;font-size:14px;
line-height:1.5;max-width:56rem;margin:1.5rem auto;padding:0 1rem}
h1,h2,h3{color:#172b4d;margin:1.4em 0 .4em}h2{font-size:1.35em}
table{border-collapse:collapse;margin:.6em 0;width:100%}
th,td{border:1px solid #dfe1e6;padding:6px 10px;text-align:left;vertical-align:top}
th{background:#f4f5f7;font-weight:600}
td p,th p{margin:0}
.panel{border-radius:3px;padding:8px 12px;margin:.6em 0;border-left:4px solid}
.panel p{margin:.2em 0}
.lozenge{border-radius:3px;padding:0 4px;font-size:11px;font-weight:700;text-transform:uppercase}
a{color:#0c66e4;text-decoration:none}hr{border:0;border-top:1px solid #dfe1e6;margin:1.5em 0}
em{color:#5e6c84}
"""


def _marks(text: str, marks: list[dict[str, Any]]) -> str:
    out = escape(text)
    for mark in marks or []:
        kind, attrs = mark.get("type"), mark.get("attrs") or {}
        if kind == "strong":
            out = f"<strong>{out}</strong>"
        elif kind == "em":
            out = f"<em>{out}</em>"
        elif kind == "code":
            out = f"<code>{out}</code>"
        elif kind == "link":
            out = f'<a href="{escape(str(attrs.get("href", "")))}">{out}</a>'
    return out


def _children(node: dict[str, Any]) -> str:
    return "".join(render_node(c) for c in node.get("content", []) or [] if isinstance(c, dict))


def render_node(node: dict[str, Any]) -> str:
    """One node and its children as HTML."""
    kind, attrs = node.get("type"), node.get("attrs") or {}
    if kind == "text":
        return _marks(str(node.get("text", "")), node.get("marks") or [])
    if kind == "hardBreak":
        return "<br>"
    if kind == "status":
        bg, fg = LOZENGE.get(str(attrs.get("color")), LOZENGE["neutral"])
        return f'<span class="lozenge" style="background:{bg};color:{fg}">{escape(str(attrs.get("text", "")))}</span>'
    if kind == "paragraph":
        return f"<p>{_children(node)}</p>"
    if kind == "heading":
        level = min(6, max(1, int(attrs.get("level", 2))))
        return f"<h{level}>{_children(node)}</h{level}>"
    if kind == "rule":
        return "<hr>"
    if kind == "panel":
        bg, fg = PANEL_COLOURS.get(str(attrs.get("panelType")), PANEL_COLOURS["info"])
        return f'<div class="panel" style="background:{bg};border-color:{fg}">{_children(node)}</div>'
    tags = {"table": "table", "tableRow": "tr", "tableHeader": "th", "tableCell": "td", "bulletList": "ul",
            "orderedList": "ol", "listItem": "li", "blockquote": "blockquote"}
    if kind in tags:
        return f"<{tags[kind]}>{_children(node)}</{tags[kind]}>"
    return _children(node)


def adf_to_html(doc: Any) -> str:
    """The body HTML of an ADF ``doc`` (empty for anything else)."""
    if not isinstance(doc, dict) or doc.get("type") != "doc":
        return ""
    return _children(doc)


def page(doc: Any, title: str) -> str:
    """A whole page showing ``doc`` as Jira shows an issue description."""
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f"<style>{STYLE}</style></head><body><h1>{escape(title)}</h1>\n{adf_to_html(doc)}\n</body></html>\n")
