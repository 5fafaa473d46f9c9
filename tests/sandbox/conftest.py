"""Fixtures for the sandbox's fidelity tests: a running sandbox, the real clients pointed at
it, and validators for Atlassian's OpenAPI components (the spec is loaded once per session)."""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Callable, Iterator
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import requests

from sandbox import testing
from sandbox.server import Sandbox

# Atlassian's published spec, kept with the tests (gzipped); JIRA_OPENAPI_SPEC overrides.
SPEC = Path(os.environ.get("JIRA_OPENAPI_SPEC") or Path(__file__).resolve().parent / "specs" /
            "jira-cloud-platform.openapi.json.gz")


@pytest.fixture
def make_sandbox() -> Iterator[Callable[..., Sandbox]]:
    """Start sandboxes with options; every one is stopped after the test."""
    started: list[Sandbox] = []

    def make(book: Any = None, **options: Any) -> Sandbox:
        sb = Sandbox(book, **options).start()
        started.append(sb)
        return sb

    yield make
    for sb in started:
        sb.stop()


@pytest.fixture
def sandbox(make_sandbox: Callable[..., Sandbox]) -> Sandbox:
    """The default book, Cloud flavour, no lag, generous budgets."""
    return make_sandbox()


@pytest.fixture
def sf(sandbox: Sandbox) -> Any:
    """simple_salesforce.Salesforce with a direct session (no login call)."""
    return testing.salesforce(sandbox)


@pytest.fixture
def jira_client(sandbox: Sandbox) -> Any:
    return testing.jira(sandbox)


class Admin:
    """Plain HTTP to the admin surface."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()
        self.http.trust_env = False

    def get(self, path: str, **kw: Any) -> Any:
        r = self.http.get(self.base + path, timeout=10, **kw)
        r.raise_for_status()
        return r.json()

    def call(self, method: str, path: str, body: Any = None) -> requests.Response:
        return self.http.request(method, self.base + path, json=body, timeout=10)


@pytest.fixture
def admin(sandbox: Sandbox) -> Admin:
    return Admin(sandbox.admin_url)


@pytest.fixture
def http(sandbox: Sandbox) -> requests.Session:
    """A raw session that trusts the sandbox CA (for asserting exact status codes/bodies)."""
    return testing.SandboxSession(sandbox, rewrite_login=False)


# --- OpenAPI validation ----------------------------------------------------------------------


@lru_cache(maxsize=1)
def _spec() -> dict[str, Any]:
    raw = SPEC.read_bytes()
    return json.loads(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw)


@cache
def _validator(component: str) -> jsonschema.protocols.Validator:
    spec = _spec()
    root = {"components": spec["components"], "$ref": f"#/components/schemas/{component}"}
    return jsonschema.Draft4Validator(root)


def _without_nulls(value: Any) -> Any:
    """Jira sends ``null`` for empty values the spec does not mark nullable; drop them."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


@pytest.fixture(scope="session")
def jira_schema() -> Callable[[str, Any], None]:
    """``jira_schema("IssueBean", body)`` validates against components/schemas (or
    ``"[]FieldDetails"`` for a list of them)."""
    _spec()  # a missing spec is a failure, not a skip: fidelity is what these tests prove

    def check(component: str, body: Any) -> None:
        if component.startswith("[]"):
            assert isinstance(body, list)
            for item in body:
                check(component[2:], item)
            return
        errors = sorted(_validator(component).iter_errors(_without_nulls(body)),
                        key=lambda e: list(e.path))
        assert not errors, f"{component}: " + "; ".join(
            f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors[:5])

    return check
