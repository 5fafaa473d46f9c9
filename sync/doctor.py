"""``doctor``: every check the connector needs to work, each failure saying what to change."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import redis

from connectors.errors import ConnectorError
from connectors.jira_errors import jql_problems
from rules.errors import InputError
from rules.models import Escalation
from sync.doctor_people import people_checks
from sync.runtime import Runtime
from sync.writes import record_fields

ACCOUNT_FIELDS = ("ARR__c", "Segment__c", "Customer_Since__c", "Renewal_Date__c", "Email_Domains__c")


@dataclass
class Check:
    area: str
    ok: bool
    what: str
    fix: str = ""
    warning: bool = False  # a degraded feature, not a broken connector

    @property
    def mark(self) -> str:
        return "ok  " if self.ok else ("warn" if self.warning else "FAIL")


def escalation_fields() -> list[str]:
    """The ``Escalation__c`` fields the connector writes (from the writer itself)."""
    sample = Escalation(id="ESC-X", account="001", account_name="X", opened=datetime.now(UTC),
                        severity=3, tier=2, owner=None)  # type: ignore[arg-type]
    return sorted(record_fields(sample, "ESC-1"))


def _guard(area: str, fn: Callable[[], Iterator[Check]]) -> Iterator[Check]:
    try:
        yield from fn()
    except (ConnectorError, OSError, redis.RedisError) as exc:
        yield Check(area, False, str(exc), "see the message; check the URL, credentials and network")


def run_checks(rt: Runtime) -> list[Check]:
    out: list[Check] = []
    out.extend(_guard("rules", lambda: _rules(rt)))
    out.extend(_guard("redis", lambda: _redis(rt)))
    out.extend(_guard("salesforce", lambda: _salesforce(rt)))
    out.extend(_guard("jira", lambda: _jira(rt)))
    out.extend(_guard("jira people", lambda: people_checks(rt)))  # i15: sync/doctor_people.py
    return out


def _rules(rt: Runtime) -> Iterator[Check]:
    path = rt.settings.escalation_rules
    try:
        rt.rules_file  # noqa: B018 - parsing is the check
    except InputError as exc:
        yield Check("rules", False, f"{path}: {'; '.join(exc.problems)}", "fix the named fields "
                    "(escalation-sync check-config FILE shows them)")
        return
    yield Check("rules", True, f"rules {'from ' + str(path) if path else 'defaults'} are valid")


def _redis(rt: Runtime) -> Iterator[Check]:
    info = rt.redis.info()
    yield Check("redis", True, f"Redis {info.get('redis_version', '?')} at {rt.settings.redis_url.split('@')[-1]}")
    if not info.get("aof_enabled") and info.get("redis_version"):
        yield Check("redis", False, "append-only file is off: a Redis restart could lose recent decisions",
                    "run redis-server with --appendonly yes", warning=True)


def _salesforce(rt: Runtime) -> Iterator[Check]:
    sf = rt.salesforce
    token = sf.tokens.token()
    yield Check("salesforce", True, f"{sf.tokens.flow} login to {token.instance_url}")
    versions = sf.call("versions", lambda c: c.session.get(f"{token.instance_url}/services/data/",
                                                           headers=c.headers).json())
    have = {v.get("version") for v in versions} if isinstance(versions, list) else set()
    if rt.settings.salesforce_api_version not in have:
        yield Check("salesforce", False, f"API version {rt.settings.salesforce_api_version} not offered "
                    f"(the org offers {', '.join(sorted(have)[-3:])})", "set SALESFORCE_API_VERSION")
    for obj, wanted, fix in (
        ("Escalation__c", escalation_fields(), "deploy salesforce/ (sf project deploy start) or add the field"),
        ("Account", [*ACCOUNT_FIELDS, rt.settings.salesforce_health_field], "deploy salesforce/ or add the field"),
        ("User", ["Escalation_Role__c"], "deploy salesforce/ or add the field"),
    ):
        try:
            described = sf.call(f"describe {obj}", lambda c, o=obj: getattr(c, o).describe())
        except ConnectorError as exc:
            yield Check("salesforce", False, f"{obj} is not readable: {exc}",
                        f"deploy salesforce/ and grant the integration user access to {obj}")
            continue
        fields = {f["name"]: f for f in described.get("fields", [])}
        missing = [f for f in wanted if f not in fields]
        if missing:
            for name in missing:
                yield Check("salesforce", False, f"{obj} has no field {name}", fix)
        else:
            yield Check("salesforce", True, f"{obj} has every field the connector uses ({len(wanted)})")
        if obj == "Escalation__c" and "External_Id__c" in fields and not fields["External_Id__c"].get("externalId"):
            yield Check("salesforce", False, "Escalation__c.External_Id__c is not an External ID",
                        "mark External_Id__c as External ID and Unique")
    try:
        list(sf.query("history check", "SELECT AccountId FROM AccountHistory LIMIT 1"))
        yield Check("salesforce", True, "AccountHistory is readable (health-score history)")
    except ConnectorError:
        yield Check("salesforce", False, "AccountHistory is not readable: health drops are seen from the "
                    "connector's own samples", "turn on field history tracking for Health_Score__c", warning=True)
    if sf.api_usage:
        used, total = sf.api_usage
        yield Check("salesforce", used < total * 0.9, f"API requests today: {used} of {total}",
                    "the daily limit is nearly reached; raise it or poll less often", warning=True)


def _support_jql(jira: Any, jql: str) -> Iterator[Check]:
    """JIRA_SUPPORT_JQL checked by Jira's own parser (Cloud), then run once."""
    if jira.cloud:
        errors, warnings = jql_problems(jira, jql)  # as written: Jira's positions are the setting's
        if errors:
            yield Check("jira", False, f"JIRA_SUPPORT_JQL is refused by Jira: {' '.join(errors)}",
                        "fix JIRA_SUPPORT_JQL (quote reserved words and values with spaces: project = \"SET\")")
            return
        for warning in warnings:
            yield Check("jira", False, f"JIRA_SUPPORT_JQL: {warning}", "check JIRA_SUPPORT_JQL", warning=True)
    try:
        next(iter(jira.search("support search check", f"({jql})", ["summary"])), None)
        yield Check("jira", True, f"support search works: {jql}")
    except ConnectorError as exc:
        yield Check("jira", False, f"JIRA_SUPPORT_JQL does not run: {exc}", "fix JIRA_SUPPORT_JQL")


def _jira(rt: Runtime) -> Iterator[Check]:
    jira = rt.jira
    me: dict[str, Any] = jira.call("myself", jira.client.myself)
    yield Check("jira", True, f"{'Cloud' if jira.cloud else 'Data Center'} site, API user "
                f"{me.get('emailAddress') or me.get('name')} (time zone {me.get('timeZone', '?')})")
    s = rt.settings
    for key, types in ((s.jira_escalation_project, (s.jira_epic_type, s.jira_plan_issue_type)),
                       (s.jira_learning_project, ("Task",))):
        try:
            project = jira.call(f"project {key}", lambda k=key: jira.client.project(k))
        except ConnectorError:
            yield Check("jira", False, f"project {key} not found or not visible to the API user",
                        f"create project {key} or set the setting naming it; give the API user Browse")
            continue
        names = {t.name for t in getattr(project, "issueTypes", [])}
        for wanted in types:
            if wanted not in names:
                yield Check("jira", False, f"project {key} has no issue type {wanted!r} (it has {sorted(names)})",
                            f"add the {wanted} issue type to {key}'s scheme")
        if all(t in names for t in types):
            yield Check("jira", True, f"project {key} has {', '.join(types)}")
    yield from _support_jql(jira, s.jira_support_jql)
    for name, needed in ((s.jira_channel_field, False), (s.jira_account_field, False), (s.jira_title_field, False),
                         ("Root Cause", False), ("Concession Given", False)):
        if jira.field_id(name) is None:
            yield Check("jira", False, f"no field named {name!r}: what it carries is read as empty",
                        f"add the custom field {name!r} (docs/jira-setup.md)", warning=not needed)
    yield Check("jira", True, "custom fields checked")
