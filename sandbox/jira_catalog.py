"""Jira's fixed configuration in the sandbox: projects, issue types, statuses, workflow,
priorities, fields, link types.

These are the names a connector finds at run time (``/field``, ``/project/{key}``,
``/issue/{key}/transitions``); the ids are stable so tests can use them directly.
"""

from __future__ import annotations

from dataclasses import dataclass

CATEGORIES = {
    "new": {"id": 2, "key": "new", "colorName": "blue-gray", "name": "To Do"},
    "indeterminate": {"id": 4, "key": "indeterminate", "colorName": "yellow",
                      "name": "In Progress"},
    "done": {"id": 3, "key": "done", "colorName": "green", "name": "Done"},
}


@dataclass(frozen=True)
class Status:
    id: str
    name: str
    category: str


STATUSES = [
    Status("1", "Open", "new"),
    Status("10000", "To Do", "new"),
    Status("3", "In Progress", "indeterminate"),
    Status("10002", "Waiting for customer", "indeterminate"),
    Status("5", "Resolved", "done"),
    Status("10001", "Done", "done"),
    Status("6", "Closed", "done"),
]


@dataclass(frozen=True)
class IssueType:
    id: str
    name: str
    hierarchy: int
    description: str

    @property
    def subtask(self) -> bool:
        return self.hierarchy < 0


ISSUE_TYPES = [
    IssueType("10000", "Epic", 1, "A big piece of work, such as an escalation."),
    IssueType("10001", "Task", 0, "A small, distinct piece of work."),
    IssueType("10002", "Sub-task", -1, "A piece of work within another issue."),
    IssueType("10003", "Support Request", 0, "A customer's request for help."),
]


@dataclass(frozen=True)
class Project:
    id: str
    key: str
    name: str
    type_key: str
    issue_types: tuple[str, ...]
    initial_status: str
    done_status: str


PROJECTS = [
    Project("10000", "SUP", "Customer Support", "service_desk", ("Support Request", "Task"),
            "Open", "Resolved"),
    Project("10001", "ESC", "Escalations", "software", ("Epic", "Task", "Sub-task"),
            "To Do", "Done"),
    Project("10002", "OPS", "Operations", "business", ("Task", "Sub-task"), "To Do", "Done"),
]


@dataclass(frozen=True)
class Transition:
    id: str
    name: str
    from_categories: tuple[str, ...]
    to: str  # "initial", "done" or a status name


TRANSITIONS = [
    Transition("11", "Start work", ("new",), "In Progress"),
    Transition("21", "Stop work", ("indeterminate",), "initial"),
    Transition("31", "Resolve", ("new", "indeterminate"), "done"),
    Transition("41", "Reopen", ("done",), "initial"),
]

PRIORITIES = [("1", "Highest", "#d04437"), ("2", "High", "#f15C75"), ("3", "Medium", "#f79232"),
              ("4", "Low", "#707070"), ("5", "Lowest", "#999999")]
DEFAULT_PRIORITY = "Medium"

LINK_TYPES = [("10000", "Blocks", "is blocked by", "blocks"),
              ("10001", "Cloners", "is cloned by", "clones"),
              ("10002", "Duplicate", "is duplicated by", "duplicates"),
              ("10003", "Relates", "relates to", "relates to")]

CHANNELS = ("portal", "email", "phone", "social", "executive_email")


@dataclass(frozen=True)
class CustomField:
    id: str  # customfield_NNNNN
    name: str
    kind: str  # select | text | textarea | epiclink | epicname
    options: tuple[str, ...] = ()
    datacenter_only: bool = False

    @property
    def number(self) -> int:
        return int(self.id.split("_")[1])

    def schema(self) -> dict[str, object]:
        custom = {
            "select": ("option", "com.atlassian.jira.plugin.system.customfieldtypes:select"),
            "text": ("string", "com.atlassian.jira.plugin.system.customfieldtypes:textfield"),
            "textarea": ("string", "com.atlassian.jira.plugin.system.customfieldtypes:textarea"),
            "epiclink": ("any", "com.pyxis.greenhopper.jira:gh-epic-link"),
            "epicname": ("string", "com.pyxis.greenhopper.jira:gh-epic-label"),
        }[self.kind]
        return {"type": custom[0], "custom": custom[1], "customId": self.number}


CUSTOM_FIELDS = [
    CustomField("customfield_10010", "Channel", "select", CHANNELS),
    CustomField("customfield_10011", "Salesforce Account Id", "text"),
    CustomField("customfield_10012", "Reporter Title", "text"),
    CustomField("customfield_10013", "Escalation External Id", "text"),
    CustomField("customfield_10014", "Epic Link", "epiclink", datacenter_only=True),
    CustomField("customfield_10015", "Epic Name", "epicname", datacenter_only=True),
    CustomField("customfield_10016", "Root Cause", "textarea"),
    CustomField("customfield_10017", "Concession Given", "select", ("Yes", "No")),
    CustomField("customfield_10018", "Resolution Summary", "textarea"),
]

# (id, name, schema type, system name, searchable clause names)
SYSTEM_FIELDS = [
    ("summary", "Summary", "string", ["summary"]),
    ("description", "Description", "string", ["description"]),
    ("issuetype", "Issue Type", "issuetype", ["issuetype", "type"]),
    ("project", "Project", "project", ["project"]),
    ("status", "Status", "status", ["status"]),
    ("priority", "Priority", "priority", ["priority"]),
    ("labels", "Labels", "array", ["labels"]),
    ("components", "Components", "array", ["component"]),
    ("assignee", "Assignee", "user", ["assignee"]),
    ("reporter", "Reporter", "user", ["reporter"]),
    ("creator", "Creator", "user", ["creator"]),
    ("created", "Created", "datetime", ["created", "createdDate"]),
    ("updated", "Updated", "datetime", ["updated", "updatedDate"]),
    ("duedate", "Due date", "date", ["due", "duedate"]),
    ("resolution", "Resolution", "resolution", ["resolution"]),
    ("resolutiondate", "Resolved", "datetime", ["resolved", "resolutiondate"]),
    ("parent", "Parent", "issuelink", ["parent"]),
    ("subtasks", "Sub-tasks", "array", ["subtasks"]),
    ("issuelinks", "Linked Issues", "array", ["issueLink"]),
    ("comment", "Comment", "comments-page", ["comment"]),
    ("watches", "Watchers", "watches", ["watchers"]),
    ("statuscategorychangedate", "Status Category Changed", "datetime",
     ["statusCategoryChangedDate"]),
]
NAVIGABLE_IDS = [f[0] for f in SYSTEM_FIELDS]


def status(name_or_id: str) -> Status | None:
    for s in STATUSES:
        if s.name.lower() == name_or_id.lower() or s.id == name_or_id:
            return s
    return None


def issue_type(name_or_id: str) -> IssueType | None:
    for t in ISSUE_TYPES:
        if t.name.lower() == str(name_or_id).lower() or t.id == str(name_or_id):
            return t
    return None


def priority(name_or_id: str) -> tuple[str, str, str] | None:
    for p in PRIORITIES:
        if p[1].lower() == str(name_or_id).lower() or p[0] == str(name_or_id):
            return p
    return None
