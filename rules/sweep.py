"""``--sweep PATH=VALUES``: the rule sets of every combination of some thresholds.

``triggers.ticket_burst.count=2..5`` is 2, 3, 4, 5; ``triggers.health_drop.points=20,25,30`` is a
list; values read as YAML scalars (``7d``, ``0.5``, ``true``). Pure: specs in, overrides out.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from rules.errors import InputError

Axis = tuple[str, tuple[Any, ...]]


def parse_axis(spec: str) -> Axis:
    """``PATH=A..B`` (whole numbers, inclusive) or ``PATH=V1,V2,...``.

    Raises:
        InputError: naming the spec that cannot be read.
    """
    path, sep, values = spec.partition("=")
    path = path.strip()
    if not sep or not path or not values.strip():
        raise InputError("--sweep", [f"{spec!r}: expected PATH=A..B or PATH=V1,V2"])
    if ".." in values:
        low, _, high = values.partition("..")
        try:
            a, b = int(low), int(high)
        except ValueError:
            raise InputError("--sweep", [f"{spec!r}: a range is whole numbers, A..B"]) from None
        if b < a:
            raise InputError("--sweep", [f"{spec!r}: the range is empty"])
        return path, tuple(range(a, b + 1))
    return path, tuple(yaml.safe_load(v.strip()) for v in values.split(","))


def nested(path: str, value: Any) -> dict[str, Any]:
    """``a.b.c`` = v -> ``{"a": {"b": {"c": v}}}`` (a rules file's shape)."""
    out: dict[str, Any] = {}
    node = out
    parts = path.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return out


def combinations(axes: Sequence[Axis]) -> list[dict[str, Any]]:
    """Every combination, as ``{path: value}``, in the order the axes and values were given."""
    paths = [p for p, _ in axes]
    return [dict(zip(paths, values, strict=True)) for values in itertools.product(*(v for _, v in axes))]


def overrides(combination: Mapping[str, Any]) -> dict[str, Any]:
    """One combination as a rules-file mapping to lay over the base rules."""
    from rules.config import merge

    out: dict[str, Any] = {}
    for path, value in combination.items():
        out = merge(out, nested(path, value))
    return out
