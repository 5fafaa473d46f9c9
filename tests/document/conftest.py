"""Atlassian's ADF JSON Schema (vendored, see schema/README.md) and the example books' escalations."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from rules.backtest import run_backtest
from rules.book import parse_book
from rules.config import default_config
from rules.models import Book, Escalation
from tests.golive.conftest import any_sandbox  # noqa: F401 - shared fixtures (the live log tests)
from tests.paths import EXAMPLES
from tests.sync.conftest import redis_server, redis_url  # noqa: F401

SCHEMA = Path(__file__).resolve().parent / "schema" / "adf-full.json"


def _node_types(schema: dict[str, Any], branch: Any) -> set[str] | None:
    """The ``type`` values a branch accepts (its ``properties.type.enum``), or None if open."""
    if isinstance(branch, dict) and str(branch.get("$ref", "")).startswith("#/definitions/"):
        branch = schema["definitions"].get(branch["$ref"].rsplit("/", 1)[1])
    if not isinstance(branch, dict) or branch.get("anyOf") or branch.get("allOf"):
        return None
    enum = ((branch.get("properties") or {}).get("type") or {}).get("enum")
    return set(enum) if isinstance(enum, list) else None


@cache
def _validator() -> Any:
    """Draft 4, as the schema declares, with one shortcut that changes no verdict: an ``anyOf``
    skips the branches whose ``type`` enum cannot match the node's ``type`` (they would fail on
    it anyway). Without it, jsonschema walks every wrong branch to the bottom, and a 30 KB
    document takes seconds."""
    schema = json.loads(SCHEMA.read_text("utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    draft4_any_of = jsonschema.Draft4Validator.VALIDATORS["anyOf"]

    def any_of(validator: Any, branches: Any, instance: Any, where: Any) -> Any:
        if isinstance(instance, dict) and isinstance(instance.get("type"), str):
            kept = [b for b in branches if (t := _node_types(schema, b)) is None or instance["type"] in t]
            if kept:
                branches = kept
        yield from draft4_any_of(validator, branches, instance, where)

    cls = jsonschema.validators.extend(jsonschema.Draft4Validator, {"anyOf": any_of})
    return cls(schema)


def adf_errors(doc: Any) -> list[str]:
    """Every way ``doc`` breaks Atlassian's ADF schema (the deepest cause of each)."""
    out = []
    for err in _validator().iter_errors(doc):
        deepest = min(err.context, key=lambda e: -len(e.absolute_path), default=err) if err.context else err
        out.append(f"{'/'.join(map(str, deepest.absolute_path))}: {deepest.message[:200]}")
    return out


def example_books() -> list[Path]:
    return sorted(EXAMPLES.glob("*.yaml"))


@cache
def book_of(path: Path) -> Book:
    return parse_book(path.read_text("utf-8"), path.name)


def escalations_of(path: Path) -> list[Escalation]:
    book = book_of(path)
    return run_backtest(book, default_config()).escalations()
