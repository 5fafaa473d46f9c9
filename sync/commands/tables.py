"""``--format table``: the compare and sweep results laid out for a person at a terminal."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def _grid(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(c) for c in header], *[[("" if c is None else str(c)) for c in r] for r in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"


def _brief(esc: Mapping[str, Any]) -> str:
    kinds = ",".join(dict.fromkeys(t["kind"] for t in esc["triggers"]))
    return f"{esc['severity']} tier {esc['tier']} {esc['owner'] or 'nobody'} [{kinds}]"


def compare_table(out: Mapping[str, Any], name_a: str, name_b: str) -> str:
    """The differences, one account a line, then the two summaries side by side."""
    rows: list[list[Any]] = []
    rows += [["added", e["account_name"], "", _brief(e)] for e in out["added"]]
    rows += [["removed", e["account_name"], _brief(e), ""] for e in out["removed"]]
    rows += [["changed", c["before"]["account_name"], _brief(c["before"]), _brief(c["after"])] for c in out["changed"]]
    text = f"A = {name_a}\nB = {name_b}\n\n"
    text += _grid(["", "account", "A", "B"], rows) if rows else "no differences\n"
    a, b = out["summary"]["a"], out["summary"]["b"]
    lines: list[list[Any]] = [["escalations", a["escalations"], b["escalations"]],
                              ["notifications", a["notifications"], b["notifications"]]]
    for section, label in (("by_tier", "tier"), ("by_severity", ""), ("by_trigger_kind", "")):
        for key in sorted(set(a[section]) | set(b[section])):
            lines.append([f"{label} {key}".strip(), a[section].get(key, 0), b[section].get(key, 0)])
    if "judgement" in a:
        for key in ("dismissed_still_opened", "kept_lost"):
            lines.append([key.replace("_", " "), a["judgement"][key], b["judgement"][key]])
    return text + "\n" + _grid(["summary", "A", "B"], lines)


def sweep_table(rows: Sequence[Mapping[str, Any]]) -> str:
    """One combination a line; ``*`` marks those no other beats on both judgement errors."""
    paths = list(rows[0]["settings"]) if rows else []
    tiers = sorted({t for r in rows for t in r["by_tier"]})
    header = [p.rsplit(".", 2)[-2] + "." + p.rsplit(".", 1)[-1] if p.count(".") else p for p in paths]
    header += ["opened", *[f"tier {t}" for t in tiers], "notifications", "dismissed still opened", "kept lost", "best"]
    body = []
    for r in rows:
        j = r.get("judgement") or {}
        body.append([*(r["settings"][p] for p in paths), r["opened"], *(r["by_tier"].get(t, 0) for t in tiers),
                     r["notifications"], j.get("dismissed_still_opened"), j.get("kept_lost"),
                     "*" if r["pareto"] else ""])
    return _grid(header, body)
