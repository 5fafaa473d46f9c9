"""The rules file: defaults mirror POLICY.md, overlays merge, bad files name the field."""

from __future__ import annotations

import json
from datetime import timedelta

import jsonschema
import pytest
import yaml

from rules.config import default_data, json_schema, json_schema_text, parse_config
from rules.durations import parse_duration
from rules.errors import InputError
from tests.paths import ROOT


def test_defaults_hold_the_policy_numbers():
    c = parse_config()
    t = c.triggers
    assert t.keyword.words == ("cancel", "legal", "breach")
    assert (t.ticket_burst.count, t.ticket_burst.window) == (3, timedelta(days=7))
    assert (t.health_drop.points, t.health_drop.window) == (30, timedelta(days=7))
    assert t.ceo_email.min_tier == 3 and t.repeat.window == timedelta(days=30)
    sla = c.severity.sla
    assert [sla[s].acknowledge for s in ("SEV-1", "SEV-2", "SEV-3", "SEV-4")] == [
        timedelta(minutes=15), timedelta(hours=1), timedelta(hours=4), timedelta(hours=24)]
    assert sla["SEV-2"].business_hours == ("update",)
    assert c.tiers.arr_tier3 == 500_000 and c.tiers.top_accounts == 10 and c.tiers.arr_share == 0.01
    assert c.owner.fatigue_threshold == 5 and c.exec_sponsor.arr_over == 100_000
    assert c.exec_sponsor.renewal_within == timedelta(days=90)
    assert c.learning.pattern_threshold == 5
    assert (c.calendar.start.hour, c.calendar.end.hour) == (9, 17)


def test_overlay_merges_mappings_and_replaces_lists():
    c = parse_config("triggers:\n  keyword:\n    words: [churn]\n")
    assert c.triggers.keyword.words == ("churn",)
    assert c.triggers.keyword.min_tier == 2  # kept from the defaults


@pytest.mark.parametrize("text,path", [
    ("triggers: {ticket_burst: {count: one}}", "triggers.ticket_burst.count"),
    ("triggers: {keyword: {wrds: [x]}}", "triggers.keyword.wrds"),
    ("severity: {sla: {SEV-2: {acknowledge: soon}}}", "severity.sla.SEV-2.acknowledge"),
    ("calendar: {timezone: Mars/Olympus}", "calendar.timezone"),
    ("tiers: {owner_roles: {2: janitor}}", "tiers.owner_roles[2]"),
    ("tiers: {stakeholder_roles: {3: [janitor]}}", "tiers.stakeholder_roles"),
    ("owner: {fatigue_threshold: 0}", "owner.fatigue_threshold"),
    ("bogus: 1", "bogus"),
])
def test_bad_rules_are_refused_naming_the_field(text, path):
    with pytest.raises(InputError) as err:
        parse_config(text, name="r.yaml")
    assert any(p.startswith(path) for p in err.value.problems), err.value.problems


def test_not_yaml_is_refused():
    with pytest.raises(InputError, match="not valid YAML"):
        parse_config("a: [", name="r.yaml")


@pytest.mark.parametrize("text,seconds", [("15m", 900), ("1h30m", 5400), ("7d", 604800), ("1w", 604800),
                                          (90, 90), ("84h", 302400)])
def test_durations_read_human_units(text, seconds):
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["soon", "5x", "", "h", True])
def test_durations_refuse_other_text(text):
    with pytest.raises(ValueError):
        parse_duration(text)


def test_published_schema_is_the_generated_one():
    regenerate = "escalation-sync config-schema > rules/config.schema.json"
    assert (ROOT / "rules" / "config.schema.json").read_text() == json_schema_text(), f"run: {regenerate}"


def test_schema_accepts_the_defaults_and_a_partial_file_and_refuses_a_typo():
    schema = json_schema()
    jsonschema.validate(json.loads(json.dumps(default_data(), default=str)), schema)
    jsonschema.validate(yaml.safe_load("triggers: {keyword: {words: [churn]}}"), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"triggers": {"keyword": {"wrds": []}}}, schema)
