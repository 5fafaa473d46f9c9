"""The SFDX project converts with Salesforce's own library, and what it deploys is usable.

``@salesforce/source-deploy-retrieve`` (the library under ``sf project deploy start``) converts
``salesforce/`` to Metadata API format here (``convert.js``); the test then reads the converted
package: every component an admin expects (tab, layouts, list views, report type, reports, both
permission sets), every field the connector writes present with a type that holds its value, and
every field a layout, list view, report type or report names actually defined.

Node and ``npm ci`` (in this folder) are installed by ``.ci/run``. Locally, without node, the
test skips and says so; in CI (``CI`` set) a missing node is a failure, never a skip.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path

import pytest

from sync.writes import record_fields
from tests.test_salesforce_metadata import ROOT, Q, cannot_hold, extreme, realistic

HERE = Path(__file__).resolve().parent
LIST_VIEWS = {"All", "My_Open_Escalations", "Open_By_Tier", "SEV1_SEV2_Open", "Breached", "Dismissed"}


def _node_or_skip() -> str:
    node = shutil.which("node")
    ready = (HERE / "node_modules" / "@salesforce" / "source-deploy-retrieve").is_dir()
    if node and ready:
        return node
    why = ("node is not installed" if not node else
           "the npm packages are not installed (run `npm ci` in tests/salesforce)")
    if os.environ.get("CI"):
        pytest.fail(f"{why}: .ci/run must install node and run npm ci before the tests")
    pytest.skip(f"{why}; .ci/run installs both")


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, set[str]], Path]:
    node = _node_or_skip()
    out = tmp_path_factory.mktemp("mdapi")
    done = subprocess.run([node, str(HERE / "convert.js"), str(ROOT), str(out)], capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    package = ET.fromstring(json.loads(done.stdout)["package"])
    members: dict[str, set[str]] = {}
    for types in package.iterfind(Q + "types"):
        members.setdefault(types.findtext(Q + "name") or "", set()).update(
            m.text or "" for m in types.iterfind(Q + "members"))
    return members, out


@cache
def _object(out: Path, name: str) -> ET.Element:
    return ET.parse(out / "objects" / f"{name}.object").getroot()


def _fields(out: Path, name: str) -> dict[str, ET.Element]:
    return {f.findtext(Q + "fullName") or "": f for f in _object(out, name).iterfind(Q + "fields")}


def test_the_project_converts_to_every_component_an_admin_needs(converted) -> None:
    members, out = converted
    assert members["CustomObject"] == {"Escalation__c"}, "standard objects ship fields only"
    assert {"Account.ARR__c", "User.Escalation_Role__c", "User.Jira_Account_Id__c",
            "Escalation__c.Communication_Log__c"} <= members["CustomField"]
    assert members["CustomTab"] == {"Escalation__c"}
    assert members["Layout"] == {"Escalation__c-Escalation Layout"}
    assert members["CompactLayout"] == {"Escalation__c.Escalation_Compact"}
    assert members["ListView"] == {f"Escalation__c.{v}" for v in LIST_VIEWS}
    assert members["ReportType"] == {"Accounts_with_Escalations"}
    reports = {m.rstrip("/") for m in members["Report"]}  # SDR lists the folder as "Escalation_Reports/"
    assert reports == {"Escalation_Reports", "Escalation_Reports/Escalations_Opened_per_Month",
                       "Escalation_Reports/Escalations_Resolved_per_Month",
                       "Escalation_Reports/Open_Escalations_per_Owner"}
    assert members["PermissionSet"] == {"Escalation_Sync_Integration", "Escalation_Viewer"}
    assert _object(out, "Escalation__c").findtext(Q + "compactLayoutAssignment") == "Escalation_Compact"
    assert not any(name.startswith("Account-") for name in members["Layout"]), "never ship an Account layout"


@pytest.mark.parametrize("esc", [realistic(), extreme()], ids=["realistic", "extreme"])
def test_every_field_the_connector_writes_converts_with_a_type_that_holds_its_value(converted, esc) -> None:
    _, out = converted
    fields = _fields(out, "Escalation__c")
    record = record_fields(esc, "ESC-12345")
    missing = sorted(set(record) - set(fields))
    assert missing == []
    problems = {n: cannot_hold(fields[n], v) for n, v in record.items()}
    assert {n: p for n, p in problems.items() if p} == {}


def test_layouts_list_views_and_reports_name_only_defined_fields(converted) -> None:
    _, out = converted
    defined = set(_fields(out, "Escalation__c")) | {"Name", "OwnerId", "CreatedById", "LastModifiedById"}
    layout = ET.parse(out / "layouts" / "Escalation__c-Escalation Layout.layout").getroot()
    used = {i.findtext(Q + "field") for i in layout.iter(Q + "layoutItems")}
    assert used - defined == set() and {"Severity__c", "Timeline__c", "Plan__c"} <= used
    obj = _object(out, "Escalation__c")
    compact = obj.find(Q + "compactLayouts")
    assert compact is not None and {f.text for f in compact.iterfind(Q + "fields")} - defined == set()
    for view in obj.iterfind(Q + "listViews"):
        cols = {c.text for c in view.iterfind(Q + "columns")} - {"NAME"}
        filt = {f.findtext(Q + "field") for f in view.iterfind(Q + "filters")}
        assert cols | filt <= defined, view.findtext(Q + "fullName")
    account = set(_fields(out, "Account")) | {"Name", "Owner"}
    rtype = ET.parse(out / "reportTypes" / "Accounts_with_Escalations.reportType").getroot()
    for col in rtype.iter(Q + "columns"):
        table, name = col.findtext(Q + "table"), col.findtext(Q + "field")
        assert name in (account if table == "Account" else defined), (table, name)
    for report in (out / "reports" / "Escalation_Reports").glob("*.report"):
        root = ET.parse(report).getroot()
        assert root.findtext(Q + "reportType") == "Accounts_with_Escalations__c"
        names = [e.text or "" for e in root.iter() if e.tag in (Q + "field", Q + "column", Q + "dateColumn")]
        for ref in names:
            table, _, name = ref.partition("$")
            assert name in (account if table == "Account" else defined), (report.name, ref)


def test_the_viewer_reads_everything_and_edits_nothing_the_integration_writes_all(converted) -> None:
    _, out = converted
    formulas = {n for n, f in _fields(out, "Escalation__c").items() if f.find(Q + "formula") is not None}
    assert {"Is_Mine__c", "Past_Target__c"} <= formulas

    def perms(name: str) -> dict[str, tuple[str | None, str | None]]:
        root = ET.parse(out / "permissionsets" / f"{name}.permissionset").getroot()
        return {p.findtext(Q + "field") or "": (p.findtext(Q + "readable"), p.findtext(Q + "editable"))
                for p in root.iterfind(Q + "fieldPermissions")}

    viewer, integration = perms("Escalation_Viewer"), perms("Escalation_Sync_Integration")
    for name in _fields(out, "Escalation__c"):
        assert viewer[f"Escalation__c.{name}"] == ("true", "false")
        editable = "false" if name in formulas else "true"  # Salesforce refuses an editable formula
        assert integration[f"Escalation__c.{name}"] == ("true", editable), name
    viewer_root = ET.parse(out / "permissionsets" / "Escalation_Viewer.permissionset").getroot()
    tab = viewer_root.find(Q + "tabSettings")
    assert tab is not None and tab.findtext(Q + "visibility") == "Visible"
