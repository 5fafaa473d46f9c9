"""A living sandbox for the demo: the world keeps changing the way a real org and site do.

A script of steps, each at an offset from the start: new tickets that escalate, a health score
that drops, an owner acknowledging an escalation on its epic, a tier-raising legal threat, a
director reassigning an epic, an epic resolved with a root cause, a false alarm dismissed.
Each step goes through the same paths the admin surface uses,
so the connector sees ordinary API data.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from rules.models import Comment, Person
from sandbox.server import Sandbox

log = logging.getLogger("escalation_sync.demo")


@dataclass
class Step:
    at: float  # seconds after start
    what: str
    do: Callable[[Sandbox], bool]  # False: not possible yet, try again next tick


def _ticket(key: str, reporter: str, summary: str, description: str, **extra: object) -> Callable[[Sandbox], bool]:
    def do(sb: Sandbox) -> bool:
        sb.add_ticket({"key": key, "summary": summary, "description": description,
                       "reporter": {"email": reporter, "customer": True}, **extra})
        return True
    return do


def _health_drop(account: str, score: float) -> Callable[[Sandbox], bool]:
    def do(sb: Sandbox) -> bool:
        sb.world.set_health(account, score)
        return True
    return do


def _epics(sb: Sandbox) -> list[dict]:
    return [e for e in sb.state("ESC")["jira"]["epics"] if "escalation-sync" in e["labels"]]


def _acknowledge(sb: Sandbox) -> bool:
    for epic in _epics(sb):
        if epic["assignee"] and epic["status"] in ("To Do", "Open") and not epic["comments"]:
            sb.world.add_comment(epic["key"], Comment(
                at=sb.clock.now(), author=Person(email=epic["assignee"]), public=True,
                body="I own this. Investigating with engineering; update by end of day."))
            return True
    return False


def _resolve(sb: Sandbox) -> bool:
    for epic in _epics(sb):
        if epic["status"] in ("To Do", "Open", "In Progress") and epic["comments"]:
            with sb.lock:
                issue = sb.site.issue(epic["key"])
                root = next((f.id for f in sb.site.custom_fields() if f.name == "Root Cause"), None)
                if root:
                    issue.custom[root] = "Product bug"
            sb.world.transition(epic["key"], "Done")
            return True
    return False


# --- a person working the epic (changes authored by that person, as Jira's changelog shows them) ---


def _user(sb: Sandbox, email: str):  # noqa: ANN202 - the site's user
    user = sb.site.find_user(email)
    if user is None:
        raise KeyError(f"no Jira user {email}")
    return user


def reassign_epic(sb: Sandbox, key: str, to: str, by: str) -> None:
    """``by`` assigns the issue to ``to`` in Jira's UI."""
    with sb.lock:
        iss, new, person = sb.site.issue(key), _user(sb, to), _user(sb, by)
        old = sb.site.users.get(iss.assignee) if iss.assignee else None
        change = {"field": "assignee", "fieldtype": "jira", "fieldId": "assignee",
                  "from": (old.account_id if sb.site.cloud else old.name) if old else None,
                  "fromString": old.display_name if old else None,
                  "to": new.account_id if sb.site.cloud else new.name, "toString": new.display_name}
        iss.assignee = new.account_id
        sb.site.touch(iss, [change], author=person.account_id)


def set_epic_priority(sb: Sandbox, key: str, priority: str, by: str) -> None:
    """``by`` changes the issue's priority."""
    with sb.lock:
        iss, person = sb.site.issue(key), _user(sb, by)
        change = {"field": "priority", "fieldtype": "jira", "fieldId": "priority",
                  "from": None, "fromString": iss.priority, "to": None, "toString": priority}
        iss.priority = priority
        sb.site.touch(iss, [change], author=person.account_id)


def dismiss_epic(sb: Sandbox, key: str, by: str, *, label: str | None = None,
                 resolution: str = "Won't Do", status: str = "Done") -> None:
    """``by`` closes the issue as not an escalation: a resolution (default) or a label."""
    with sb.lock:
        iss, person = sb.site.issue(key), _user(sb, by)
        if label:
            change = {"field": "labels", "fieldtype": "jira", "fieldId": "labels", "from": None,
                      "fromString": " ".join(iss.labels), "to": None, "toString": " ".join([*iss.labels, label])}
            iss.labels = [*iss.labels, label]
            sb.site.touch(iss, [change], author=person.account_id)
            return
        sb.site.set_status(iss, status, author=person.account_id)
        iss.resolution = resolution
        for item in iss.changelog[-1].items:
            if item.get("field") == "resolution":
                item["toString"] = resolution


def edit_record(sb: Sandbox, external_id: str, by: str, **fields: object) -> None:
    """``by`` (a Salesforce user's e-mail) edits an ``Escalation__c`` record in the UI."""
    with sb.lock:
        row = next(r for r in sb.org.records["Escalation__c"].values() if r.get("External_Id__c") == external_id)
        user = next((u for u in sb.org.records["User"].values() if str(u.get("Email", "")).lower() == by.lower()), None)
        row.update(fields)
        sb.org.touch("Escalation__c", row)
        row["LastModifiedById"] = user["Id"] if user else row["LastModifiedById"]


DIRECTOR = "rosa@vendor.example"


def _open_epics(sb: Sandbox) -> list[dict]:
    return [e for e in _epics(sb) if e["status"] in ("To Do", "Open", "In Progress") and e["assignee"]]


def _reassign(sb: Sandbox) -> bool:
    """The director hands an escalation to the other manager (the connector must follow)."""
    for epic in [e for e in _open_epics(sb) if not e["comments"]]:
        to = "kai@vendor.example" if epic["assignee"] != "kai@vendor.example" else "lee@vendor.example"
        reassign_epic(sb, epic["key"], to, by=DIRECTOR)
        return True
    return False


def _dismiss(sb: Sandbox) -> bool:
    """The director closes a false alarm as Won't Do (the connector must not reopen it)."""
    for epic in reversed(_open_epics(sb)):
        if not epic["comments"]:
            dismiss_epic(sb, epic["key"], by=DIRECTOR)
            return True
    return False


SCRIPT = [
    Step(12, "a customer threatens to cancel over an SSO outage",
         _ticket("SUP-9001", "ops@umbrella.example", "SSO login failing for everyone",
                 "Production down: nobody can sign in. If this is not fixed today we will cancel.",
                 priority="Highest", components=["SSO"])),
    Step(24, "a health score drops 35 points", _health_drop("001000000000200AAA", 40)),
    Step(36, "an owner acknowledges an escalation on its epic", _acknowledge),
    Step(48, "legal action threatened: the tier rises, the owner stays",
         _ticket("SUP-9002", "kim@acme.example", "Formal notice",
                 "Our counsel is preparing legal action over the failed exports.", priority="High",
                 components=["Reporting"])),
    Step(54, "a director reassigns an epic to the other manager: the owner follows", _reassign),
    Step(66, "an escalation is resolved with a root cause", _resolve),
    Step(76, "a director closes a false alarm as Won't Do: dismissed, never reopened", _dismiss),
    Step(84, "three tickets on one issue in a week",
         _ticket("SUP-9003", "it@bluthcompany.example", "Invoice export broken",
                 "The invoice export fails again.", components=["Billing"])),
    Step(88, "", _ticket("SUP-9004", "it@bluthcompany.example", "Invoice export still broken",
                         "Still failing.", components=["Billing"])),
    Step(92, "", _ticket("SUP-9005", "it@bluthcompany.example", "Invoices", "Third time.",
                         components=["Billing"])),
]


class Life:
    """Plays :data:`SCRIPT` against a sandbox in a thread; ``on_step`` hears each step."""

    def __init__(self, sb: Sandbox, on_step: Callable[[str], None], script: list[Step] | None = None,
                 speed: float = 1.0):
        self.sb, self.on_step, self.speed = sb, on_step, speed
        self.script = list(script or SCRIPT)
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name="sandbox-life", daemon=True)

    def start(self) -> Life:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(timeout=5)

    def _run(self) -> None:
        elapsed = 0.0
        pending = sorted(self.script, key=lambda s: s.at)
        while pending and not self.stop_event.wait(1.0):
            elapsed += self.speed
            while pending and pending[0].at <= elapsed:
                step = pending[0]
                try:
                    done = step.do(self.sb)
                except Exception as exc:  # the demo goes on: one failed step is reported, not fatal
                    log.warning("demo step %r failed: %s", step.what, exc)
                    done = True
                if not done:
                    break
                pending.pop(0)
                if step.what:
                    self.on_step(step.what)
