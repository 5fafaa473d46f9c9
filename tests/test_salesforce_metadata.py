"""The shipped Salesforce metadata (``salesforce/``) can hold everything the connector writes.

Parses every XML file (well-formed, the Metadata API root element and namespace), and checks
each field ``sync.writes.record_fields`` writes against its field file: present, of a type
that can hold the value, picklists holding every value the rules can produce.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, get_args

import pytest

from rules.config import default_config
from rules.models import (
    Escalation,
    ExecSponsor,
    PlanStep,
    Role,
    Segment,
    Severity,
    TimelineEntry,
    external_id,
)
from sync.writes import record_fields
from tests.rules.builders import account, at, only, replay, ticket

ROOT = Path(__file__).resolve().parents[1] / "salesforce"
SRC = ROOT / "force-app" / "main" / "default"
OBJECTS = SRC / "objects"
NS = "http://soap.sforce.com/2006/04/metadata"
Q = f"{{{NS}}}"
ROOTS = {".object-meta.xml": "CustomObject", ".field-meta.xml": "CustomField",
         ".permissionset-meta.xml": "PermissionSet", ".layout-meta.xml": "Layout",
         ".compactLayout-meta.xml": "CompactLayout", ".listView-meta.xml": "ListView",
         ".tab-meta.xml": "CustomTab", ".reportType-meta.xml": "ReportType",
         ".reportFolder-meta.xml": "ReportFolder", ".report-meta.xml": "Report"}
ACCOUNT_FIELDS = ("ARR__c", "Segment__c", "Customer_Since__c", "Renewal_Date__c",
                  "Email_Domains__c", "Health_Score__c")
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SF_ID = re.compile(r"^[A-Za-z0-9]{1,18}$")


def xml_files() -> list[Path]:
    return sorted(ROOT.rglob("*.xml"))


def parse(path: Path) -> ET.Element:
    return ET.parse(path).getroot()


def text(el: ET.Element, name: str, default: str | None = None) -> str | None:
    found = el.find(Q + name)
    return found.text if found is not None and found.text is not None else default


def field(obj: str, name: str) -> ET.Element:
    path = OBJECTS / obj / "fields" / f"{name}.field-meta.xml"
    assert path.exists(), f"{obj}.{name}: no field file {path.relative_to(ROOT)}"
    return parse(path)


def picklist_values(el: ET.Element) -> list[str]:
    path = f"{Q}valueSet/{Q}valueSetDefinition/{Q}value/{Q}fullName"
    return [v.text or "" for v in el.iterfind(path)]


def restricted(el: ET.Element) -> bool:
    return el.findtext(f"{Q}valueSet/{Q}restricted") == "true"


def cannot_hold(el: ET.Element, value: Any) -> str | None:
    """Why a field of this definition cannot hold ``value`` (as JSON sends it), or None."""
    kind = text(el, "type")
    if value is None:
        return "a Checkbox cannot be null" if kind == "Checkbox" else None
    if kind == "Checkbox":
        return None if isinstance(value, bool) else f"{value!r} is not a boolean"
    if kind in ("Number", "Currency", "Percent"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"{value!r} is not a number"
        precision, scale = int(text(el, "precision", "18") or 18), int(text(el, "scale", "0") or 0)
        whole = len(str(int(abs(value))).lstrip("0")) or 1
        if whole > precision - scale:
            return f"{value!r} has more than {precision - scale} integer digits"
        if isinstance(value, float) and round(value, scale) != value:
            return f"{value!r} has more than {scale} decimals"
        return None
    if not isinstance(value, str):
        return f"{value!r} is not text"
    if kind in ("Text", "LongTextArea", "TextArea"):
        limit = int(text(el, "length", "255") or 255)
        return None if len(value) <= limit else f"{len(value)} characters > {limit}"
    if kind == "Email":
        return None if EMAIL.match(value) and len(value) <= 80 else f"{value!r} is not an email"
    if kind == "DateTime":
        return None if ISO.match(value) else f"{value!r} is not an ISO date-time"
    if kind == "Date":
        return None if re.match(r"^\d{4}-\d{2}-\d{2}$", value) else f"{value!r} is not a date"
    if kind == "Picklist":
        ok = value in picklist_values(el) or not restricted(el)
        return None if ok else f"{value!r} is not a value of the restricted picklist"
    if kind == "Lookup":
        return None if SF_ID.match(value) else f"{value!r} is not a record id"
    return f"type {kind} is not understood by this test"


# --- well-formed metadata ----------------------------------------------------------------------

def test_sfdx_project_points_at_the_source() -> None:
    project = json.loads((ROOT / "sfdx-project.json").read_text("utf-8"))
    dirs = project["packageDirectories"]
    assert [d for d in dirs if d.get("default")], "one default package directory"
    for d in dirs:
        assert (ROOT / d["path"]).is_dir()
    assert re.match(r"^\d+\.0$", project["sourceApiVersion"])


def test_every_xml_file_is_well_formed_with_the_metadata_root_and_namespace() -> None:
    files = xml_files()
    assert len(files) >= 30
    for path in files:
        root = parse(path)
        suffix = next((s for s in ROOTS if path.name.endswith(s)), None)
        assert suffix, f"{path.name}: unexpected metadata file"
        assert root.tag == Q + ROOTS[suffix], f"{path.name}: root {root.tag}"
        assert path.read_text("utf-8").startswith('<?xml version="1.0" encoding="UTF-8"?>')


def test_field_files_name_themselves_and_have_a_label_and_type() -> None:
    for path in OBJECTS.glob("*/fields/*.field-meta.xml"):
        el = parse(path)
        assert text(el, "fullName") == path.name.removesuffix(".field-meta.xml")
        assert text(el, "label") and text(el, "type"), path.name


def test_escalation_object_definition() -> None:
    obj = parse(OBJECTS / "Escalation__c" / "Escalation__c.object-meta.xml")
    assert text(obj, "label") == "Escalation" and text(obj, "pluralLabel") == "Escalations"
    name = obj.find(Q + "nameField")
    assert name is not None
    assert text(name, "type") == "AutoNumber" and text(name, "displayFormat") == "ESC-{00000}"
    assert text(obj, "sharingModel") in ("ReadWrite", "Read", "Private")
    assert text(obj, "enableHistory") == "true" and text(obj, "enableSearch") == "true"
    assert text(obj, "deploymentStatus") == "Deployed"


# --- what the connector writes -----------------------------------------------------------------

def realistic() -> Escalation:
    r = replay([account("A", arr=600_000)],
               [ticket("SUP-1", at(), "We will cancel: production down", priority="Highest")])
    return only(r)


def extreme() -> Escalation:
    opened = datetime(2026, 11, 2, 9, 0, tzinfo=at().tzinfo)
    return Escalation(
        id=external_id("001000000000001AAA", opened), account="001000000000001AAA",
        account_name="A" * 300, opened=opened, severity=Severity.SEV1, tier=4,
        owner="cora@vendor.example", status="Closed", summary="S" * 400,
        stakeholders=tuple(f"person{i}@vendor.example" for i in range(40)),
        exec_sponsor=ExecSponsor(required=True, due=opened + timedelta(hours=24)),
        plan=(PlanStep(step="solution_design", owner="cora@vendor.example",
                       due=opened + timedelta(hours=1)),
              PlanStep(step="closure", owner=None, due=None)),
        timeline=tuple(TimelineEntry(at=opened + timedelta(minutes=i), text="x" * 500)
                       for i in range(400)),
        resolved_at=opened + timedelta(days=9), closed_at=opened + timedelta(days=10),
        root_cause="product_bug", concession_given=False, resolution_summary="R" * 20_000)


@pytest.mark.parametrize("esc", [realistic(), extreme()], ids=["realistic", "extreme"])
def test_every_written_field_exists_and_can_hold_its_value(esc: Escalation) -> None:
    record = record_fields(esc, "ESC-12345")
    assert "Jira_Epic_Key__c" in record
    problems = {name: cannot_hold(field("Escalation__c", name), value)
                for name, value in record.items()}
    assert {k: v for k, v in problems.items() if v} == {}


def test_picklists_hold_every_value_the_rules_produce() -> None:
    sev = field("Escalation__c", "Severity__c")
    assert picklist_values(sev) == [s.label for s in Severity] and restricted(sev)
    status = field("Escalation__c", "Status__c")
    rule_statuses = list(get_args(Escalation.model_fields["status"].annotation))
    assert set(rule_statuses) <= set(picklist_values(status)) and restricted(status)
    assert "Dismissed" in picklist_values(status), "people dismiss escalations (POLICY.md section 9)"
    cause = field("Escalation__c", "Root_Cause__c")
    assert set(default_config().learning.root_causes) <= set(picklist_values(cause))
    assert not restricted(cause), "admins add root causes in the rules file"
    role = field("User", "Escalation_Role__c")
    assert picklist_values(role) == [r.value for r in Role]
    assert picklist_values(field("Account", "Segment__c")) == list(get_args(Segment))


@pytest.mark.parametrize("tier", [1, 2, 3, 4])
def test_every_tier_fits(tier: int) -> None:
    assert cannot_hold(field("Escalation__c", "Tier__c"), tier) is None


def test_external_id_is_an_external_unique_case_insensitive_key() -> None:
    ext = field("Escalation__c", "External_Id__c")
    assert text(ext, "type") == "Text" and int(text(ext, "length") or 0) >= 255
    assert text(ext, "externalId") == "true" and text(ext, "unique") == "true"
    assert text(ext, "caseSensitive") == "false"


def test_account_lookup_and_resolution_days() -> None:
    acct = field("Escalation__c", "Account__c")
    assert text(acct, "type") == "Lookup" and text(acct, "referenceTo") == "Account"
    days = field("Escalation__c", "Resolution_Business_Days__c")
    assert [text(days, k) for k in ("type", "precision", "scale")] == ["Number", "6", "1"]


def test_account_and_user_fields_the_connector_reads_exist() -> None:
    source = (ROOT.parent / "connectors" / "salesforce.py").read_text("utf-8")
    for name in ACCOUNT_FIELDS:
        assert name in source, f"the connector no longer reads {name}: update this test"
        field("Account", name)
    assert text(field("Account", "Health_Score__c"), "trackHistory") == "true"
    assert text(field("Account", "ARR__c"), "type") == "Currency"
    assert "Escalation_Role__c" in source
    assert text(field("User", "Escalation_Role__c"), "type") == "Picklist"


# --- the permission set ------------------------------------------------------------------------

def test_permission_set_grants_what_the_integration_needs() -> None:
    ps = parse(SRC / "permissionsets" / "Escalation_Sync_Integration.permissionset-meta.xml")
    assert text(ps, "label")
    users = {text(p, "name"): text(p, "enabled") for p in ps.iterfind(Q + "userPermissions")}
    assert users.get("ApiEnabled") == "true"
    objects = {text(p, "object"): p for p in ps.iterfind(Q + "objectPermissions")}
    esc = objects["Escalation__c"]
    assert [text(esc, k) for k in ("allowRead", "allowCreate", "allowEdit", "allowDelete")] == \
        ["true", "true", "true", "false"]
    assert text(objects["Account"], "allowRead") == "true"
    fields = {text(p, "field"): (text(p, "readable"), text(p, "editable"))
              for p in ps.iterfind(Q + "fieldPermissions")}
    for path in OBJECTS.glob("*/fields/*.field-meta.xml"):
        obj, name = path.parts[-3], path.name.removesuffix(".field-meta.xml")
        assert fields.get(f"{obj}.{name}", ("?", "?"))[0] == "true", f"{obj}.{name} not readable"
        if parse(path).find(Q + "formula") is not None:
            assert fields[f"{obj}.{name}"][1] == "false", f"{obj}.{name}: a formula cannot be editable"
    for name in record_fields(realistic(), "ESC-1"):
        assert fields[f"Escalation__c.{name}"] == ("true", "true"), f"{name} not editable"


def test_the_checker_itself_rejects_values_that_do_not_fit() -> None:
    """Guards the guard: each kind of misfit is caught."""
    assert cannot_hold(field("Escalation__c", "Tier__c"), 10)
    assert cannot_hold(field("Escalation__c", "Severity__c"), "SEV-5")
    assert cannot_hold(field("Escalation__c", "Summary__c"), "x" * 256)
    assert cannot_hold(field("Escalation__c", "Opened_At__c"), "yesterday")
    assert cannot_hold(field("Escalation__c", "Exec_Sponsor_Required__c"), None)
    assert cannot_hold(field("Escalation__c", "Owner_Email__c"), "a queue")
    assert cannot_hold(field("Escalation__c", "Resolution_Business_Days__c"), 3.25)
    assert cannot_hold(field("Escalation__c", "Root_Cause__c"), "new_cause") is None
