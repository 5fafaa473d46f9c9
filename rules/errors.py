"""Validation errors that name the offending field, for books and rules files alike."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import ValidationError


class InputError(ValueError):
    """Bad input: each problem names the field path (``tickets[3].priority``) and the reason."""

    def __init__(self, source: str, problems: Iterable[str]):
        self.source = source
        self.problems = list(problems)
        super().__init__(f"{source}: " + "; ".join(self.problems))


def field_path(loc: Iterable[int | str]) -> str:
    """``('tickets', 3, 'reporter', 'email')`` -> ``tickets[3].reporter.email``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.startswith(("function-after", "function-before", "function-wrap")):
            continue  # pydantic's validator frames, not a field
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def describe(error: ValidationError) -> list[str]:
    """One readable line per problem, e.g. ``accounts[0].segmant: unknown key``."""
    lines = []
    for item in error.errors(include_url=False):
        if item["type"] == "extra_forbidden":
            reason = "unknown key"
        elif item["type"] == "missing":
            reason = "required key is missing"
        else:
            reason = item["msg"]
            if "input" in item and item["type"] not in ("model_type", "dict_type"):
                shown = repr(item["input"])
                reason += f" (got {shown[:60]})"
        lines.append(f"{field_path(item['loc'])}: {reason}")
    return lines
