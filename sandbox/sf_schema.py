"""The Salesforce objects the sandbox serves, their fields, and the ``describe`` bodies.

A field's ``type`` is the describe type (``id``, ``string``, ``double``, ``currency``,
``boolean``, ``date``, ``datetime``, ``picklist``, ``reference``, ``email``, ``textarea``,
``anyType``); SOQL type checks and DML validation read it, so a literal of the wrong type is
refused with the message real Salesforce gives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldDef:
    name: str
    type: str
    label: str = ""
    custom: bool = False
    nillable: bool = True
    createable: bool = True
    updateable: bool = True
    filterable: bool = True
    external_id: bool = False
    unique: bool = False
    case_sensitive: bool = False
    length: int = 0
    picklist: tuple[str, ...] = ()
    restricted_picklist: bool = False
    reference_to: str | None = None
    relationship_name: str | None = None
    auto_number: bool = False

    def describe(self) -> dict[str, Any]:
        """The field as ``/sobjects/<Obj>/describe/`` lists it (the keys clients read)."""
        soap = {
            "id": "tns:ID", "reference": "tns:ID", "boolean": "xsd:boolean",
            "double": "xsd:double", "currency": "xsd:double", "date": "xsd:date",
            "datetime": "xsd:dateTime", "anyType": "xsd:anyType",
        }.get(self.type, "xsd:string")
        return {
            "name": self.name,
            "label": self.label or self.name.removesuffix("__c").replace("_", " "),
            "type": self.type,
            "soapType": soap,
            "length": self.length,
            "custom": self.custom,
            "nillable": self.nillable,
            "createable": self.createable,
            "updateable": self.updateable,
            "filterable": self.filterable,
            "sortable": self.type not in ("textarea", "anyType") or self.length <= 255,
            "groupable": self.type not in ("double", "currency", "datetime", "anyType"),
            "externalId": self.external_id,
            "unique": self.unique,
            "caseSensitive": self.case_sensitive,
            "idLookup": self.name == "Id" or self.external_id,
            "autoNumber": self.auto_number,
            "calculated": False,
            "defaultedOnCreate": self.type == "boolean" or self.name in SYSTEM_FIELD_NAMES,
            "restrictedPicklist": self.restricted_picklist,
            "picklistValues": [
                {"active": True, "defaultValue": False, "label": v, "validFor": None, "value": v}
                for v in self.picklist
            ],
            "referenceTo": [self.reference_to] if self.reference_to else [],
            "relationshipName": self.relationship_name,
            "precision": 18 if self.type in ("double", "currency") else 0,
            "scale": 2 if self.type == "currency" else 0,
        }


SYSTEM_FIELD_NAMES = ("Id", "IsDeleted", "CreatedDate", "CreatedById", "LastModifiedDate",
                      "LastModifiedById", "SystemModstamp")


def _system(with_modstamps: bool = True) -> list[FieldDef]:
    ro: dict[str, Any] = {"createable": False, "updateable": False}
    out = [
        FieldDef("Id", "id", "Record ID", nillable=False, length=18, **ro),
        FieldDef("IsDeleted", "boolean", "Deleted", nillable=False, **ro),
        FieldDef("CreatedDate", "datetime", "Created Date", nillable=False, **ro),
        FieldDef("CreatedById", "reference", "Created By ID", nillable=False, reference_to="User",
                 relationship_name="CreatedBy", length=18, **ro),
    ]
    if with_modstamps:
        out += [
            FieldDef("LastModifiedDate", "datetime", "Last Modified Date", nillable=False, **ro),
            FieldDef("LastModifiedById", "reference", "Last Modified By ID", nillable=False,
                     reference_to="User", relationship_name="LastModifiedBy", length=18, **ro),
            FieldDef("SystemModstamp", "datetime", "System Modstamp", nillable=False, **ro),
        ]
    return out


def _c(name: str, type_: str, **kw: Any) -> FieldDef:
    return FieldDef(name, type_, custom=True, **kw)


SEVERITIES = ("SEV-1", "SEV-2", "SEV-3", "SEV-4")
ESCALATION_STATUSES = ("Open", "In Progress", "Resolved", "Closed", "Dismissed")
SEGMENTS = ("enterprise", "mid_market", "smb")
ROLES = ("support_agent", "csm", "cs_manager", "cs_director", "vp_cs", "vp_engineering", "cto",
         "cro", "ceo")
LONG = 131072


def default_objects() -> dict[str, dict[str, FieldDef]]:
    """Fresh field maps (name -> definition, in describe order) for every object served."""
    account = _system() + [
        FieldDef("Name", "string", "Account Name", nillable=False, length=255),
        FieldDef("OwnerId", "reference", "Owner ID", nillable=False, reference_to="User",
                 relationship_name="Owner", length=18),
        _c("ARR__c", "currency", label="ARR"),
        _c("Segment__c", "picklist", label="Segment", picklist=SEGMENTS, length=255),
        _c("Customer_Since__c", "date", label="Customer Since"),
        _c("Renewal_Date__c", "date", label="Renewal Date"),
        _c("Email_Domains__c", "string", label="Email Domains", length=255),
        _c("Health_Score__c", "double", label="Health Score"),
    ]
    user = _system() + [
        FieldDef("Username", "string", nillable=False, length=80),
        FieldDef("Email", "email", nillable=False, length=128),
        FieldDef("Name", "string", "Full Name", nillable=False, createable=False,
                 updateable=False, length=121),
        FieldDef("FirstName", "string", "First Name", length=40),
        FieldDef("LastName", "string", "Last Name", nillable=False, length=80),
        FieldDef("Title", "string", length=80),
        FieldDef("ManagerId", "reference", "Manager ID", reference_to="User",
                 relationship_name="Manager", length=18),
        FieldDef("IsActive", "boolean", "Active", nillable=False),
        FieldDef("TimeZoneSidKey", "picklist", "Time Zone", nillable=False, length=40),
        _c("Escalation_Role__c", "picklist", label="Escalation Role", picklist=ROLES, length=255),
        _c("Jira_Account_Id__c", "string", label="Jira Account Id", length=128),  # i15: people mapping
    ]
    history = _system(with_modstamps=False) + [
        FieldDef("AccountId", "reference", "Account ID", nillable=False, reference_to="Account",
                 relationship_name="Account", createable=False, updateable=False, length=18),
        FieldDef("Field", "picklist", "Changed Field", nillable=False, createable=False,
                 updateable=False, length=255),
        FieldDef("DataType", "picklist", "Data Type", createable=False, updateable=False,
                 length=255),
        FieldDef("OldValue", "anyType", "Old Value", createable=False, updateable=False,
                 filterable=False),
        FieldDef("NewValue", "anyType", "New Value", createable=False, updateable=False,
                 filterable=False),
    ]
    escalation = _system() + [
        FieldDef("Name", "string", "Escalation Name", nillable=False, createable=False,
                 updateable=False, auto_number=True, length=80),
        FieldDef("OwnerId", "reference", "Owner ID", nillable=False, reference_to="User",
                 relationship_name="Owner", length=18),
        _c("External_Id__c", "string", label="External Id", external_id=True, unique=True,
           length=255),
        _c("Account__c", "reference", label="Account", reference_to="Account",
           relationship_name="Account__r", length=18),
        _c("Severity__c", "picklist", label="Severity", picklist=SEVERITIES,
           restricted_picklist=True, length=255),
        _c("Tier__c", "double", label="Tier"),
        _c("Status__c", "picklist", label="Status", picklist=ESCALATION_STATUSES,
           restricted_picklist=True, length=255),
        _c("Owner_Email__c", "email", label="Owner Email", length=80),
        _c("Opened_At__c", "datetime", label="Opened At"),
        _c("Target_Resolution__c", "datetime", label="Target Resolution"),
        _c("Summary__c", "string", label="Summary", length=255),
        _c("Timeline__c", "textarea", label="Timeline", length=LONG, filterable=False),
        _c("Root_Cause__c", "textarea", label="Root Cause", length=LONG, filterable=False),
        _c("Jira_Epic_Key__c", "string", label="Jira Epic Key", length=50),
        _c("Exec_Sponsor_Required__c", "boolean", label="Exec Sponsor Required",
           nillable=False),
        _c("Exec_Sponsor_Due__c", "datetime", label="Exec Sponsor Due"),
        _c("Stakeholders__c", "textarea", label="Stakeholders", length=LONG, filterable=False),
        _c("Plan__c", "textarea", label="Plan", length=LONG, filterable=False),
        _c("Concession_Given__c", "boolean", label="Concession Given", nillable=False),
        _c("SLA_Breached__c", "boolean", label="SLA Breached", nillable=False),
        _c("Resolved_At__c", "datetime", label="Resolved At"),
        _c("Closed_At__c", "datetime", label="Closed At"),
        _c("Resolution_Summary__c", "textarea", label="Resolution Summary", length=LONG,
           filterable=False),
        _c("Resolution_Business_Days__c", "double", label="Resolution (business days)"),
        _c("Dismissed_Trigger_Kinds__c", "string", label="Dismissed Trigger Kinds", length=255),
        _c("Communication_Log__c", "textarea", label="Communication Log", length=32768, filterable=False),
    ]
    # system fields are never writable; everything else keeps its flags
    return {
        "Account": {f.name: f for f in account},
        "User": {f.name: f for f in user},
        "AccountHistory": {f.name: f for f in history},
        "Escalation__c": {f.name: f for f in escalation},
    }


OBJECT_LABELS = {
    "Account": ("Account", "Accounts", False),
    "User": ("User", "Users", False),
    "AccountHistory": ("Account History", "Account History", False),
    "Escalation__c": ("Escalation", "Escalations", True),
}

OBJECT_CAPS = {  # createable, updateable, deletable, queryable
    "Account": (True, True, True),
    "User": (False, True, False),
    "AccountHistory": (False, False, False),
    "Escalation__c": (True, True, True),
}


def sobject_summary(name: str, version: str) -> dict[str, Any]:
    """An entry of ``GET /sobjects/`` (and the ``objectDescribe`` of ``GET /sobjects/<Obj>/``)."""
    from sandbox.ids import KEY_PREFIXES

    label, plural, custom = OBJECT_LABELS[name]
    createable, updateable, deletable = OBJECT_CAPS[name]
    base = f"/services/data/v{version}/sobjects/{name}"
    return {
        "name": name, "label": label, "labelPlural": plural, "custom": custom,
        "keyPrefix": KEY_PREFIXES[name], "createable": createable, "updateable": updateable,
        "deletable": deletable, "queryable": True, "retrieveable": True, "searchable": True,
        "layoutable": name != "AccountHistory", "replicateable": True, "triggerable": True,
        "urls": {"sobject": base, "describe": f"{base}/describe", "rowTemplate": f"{base}/{{ID}}"},
    }


def describe_object(name: str, fields: dict[str, FieldDef], version: str) -> dict[str, Any]:
    """The body of ``GET /sobjects/<Obj>/describe/``."""
    body = sobject_summary(name, version)
    body["fields"] = [f.describe() for f in fields.values()]
    body["childRelationships"] = []
    body["recordTypeInfos"] = []
    return body


def without_field(fields: dict[str, FieldDef], name: str) -> dict[str, FieldDef]:
    """A copy of a field map with one field gone (to test ``doctor`` against a missing field)."""
    return {k: v for k, v in fields.items() if k.lower() != name.lower()}

