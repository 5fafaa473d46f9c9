"""The sandbox answers as the recorded real responses in ``samples.json`` (see ``compare.py``)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from sandbox.server import Sandbox
from tests.fidelity import compare

ENTRIES = json.loads(compare.SAMPLES.read_text("utf-8"))


@pytest.fixture(scope="module")
def asker() -> Iterator[compare.Asker]:
    with Sandbox(compare.BOOK) as sb:
        yield compare.Asker(sb)


def test_every_sample_names_its_source_and_a_known_comparison():
    for entry in ENTRIES:
        assert len(entry["source"]) > 20 and entry["compare"] in ("shape", "subset", "equal"), entry["name"]


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["name"] for e in ENTRIES])
def test_the_sandbox_answers_like_the_recorded_response(asker, entry):
    assert compare.compare(entry, asker.ask(entry["request"])) == []


def test_the_shape_comparison_catches_a_missing_key_a_wrong_type_and_a_present_hidden_field():
    entry = {"compare": "shape", "sample": {"a": 1, "b": {"c": "x"}}, "absent": ["e"]}
    assert compare.compare(entry, {"a": 2, "b": {"c": "y"}}) == []
    assert compare.compare(entry, {"a": "2", "b": {}, "e": 1}) == [
        "a.: str where the real answer has number", "b.c: missing",
        "e: present, the real answer leaves it out"]
