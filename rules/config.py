"""The rules configuration: every threshold, window, word list and map of POLICY.md.

The defaults live once, in ``rules/default.yaml`` (mirroring POLICY.md section by section). An
admin's rules file is laid over them: mappings merge key by key, lists and scalars replace. The
merged result is validated by :class:`RulesConfig`, whose JSON Schema is published for editors.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, time
from functools import cache
from importlib import resources
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

from rules.durations import Duration
from rules.errors import InputError, describe
from rules.models import Role, Severity

SeverityName = Literal["SEV-1", "SEV-2", "SEV-3", "SEV-4"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- 2. Triggers: one branch per kind ----------------------------------------------------------


class TriggerConfig(Section):
    enabled: bool = True
    min_tier: int = Field(ge=1, le=4, description="the tier this trigger engages at least")
    severity: SeverityName = Field(description="the trigger's default severity")

    @property
    def sev(self) -> Severity:
        return Severity.parse(self.severity)


class KeywordConfig(TriggerConfig):
    words: tuple[str, ...] = Field(description="watched words, matched at a word start")
    legal_words: tuple[str, ...] = Field(
        description="watched words that mean legal/compliance is involved (exec sponsor at once)"
    )

    @field_validator("words")
    @classmethod
    def _words_nonempty(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if any(not w.strip() for w in v):
            raise ValueError("a watched word cannot be empty")
        return v


class TicketBurstConfig(TriggerConfig):
    count: int = Field(ge=2, description="tickets on the same issue that make a burst")
    window: Duration
    same_issue: Literal["component", "label", "summary"]
    summary_similarity: float = Field(
        ge=0, le=1, description="word-set (Jaccard) similarity for same_issue: summary"
    )


class HealthDropConfig(TriggerConfig):
    points: float = Field(gt=0, description="drop below the highest score of the window")
    window: Duration


class ExecutiveFlagConfig(TriggerConfig):
    labels: tuple[str, ...]


class ChannelTriggerConfig(TriggerConfig):
    channels: tuple[str, ...]


class RepeatConfig(TriggerConfig):
    window: Duration = Field(description="how long after an escalation's closure a new one repeats it")


class TriggersConfig(Section):
    """One section per kind: the built-in ones here, kinds added in ``rules/triggers/`` in ``added``."""

    keyword: KeywordConfig
    ticket_burst: TicketBurstConfig
    health_drop: HealthDropConfig
    executive_flag: ExecutiveFlagConfig
    ceo_email: ChannelTriggerConfig
    social: ChannelTriggerConfig
    repeat: RepeatConfig
    added: SkipJsonSchema[dict[str, TriggerConfig]] = Field(
        default={}, description="filled from the sections of kinds added beside the built-in ones")

    @model_validator(mode="before")
    @classmethod
    def _added_kinds(cls, data: Any) -> Any:
        """Each added kind's section (or its defaults) is validated by that kind's own model."""
        from rules.triggers import added_kinds

        kinds = added_kinds()
        if not kinds or not isinstance(data, Mapping):
            return data
        data = dict(data)
        data["added"] = {name: model.model_validate(data.pop(name, None) or {}) for name, model in kinds.items()}
        return data


# --- 3. Severity ---------------------------------------------------------------------------------


class SlaConfig(Section):
    acknowledge: Duration
    action_plan: Duration
    update: Duration
    resolve: Duration | None = Field(
        default=None, description="unresolved this long, the executive sponsor is required within 24 h")
    business_hours: tuple[Literal["acknowledge", "action_plan", "update", "resolve"], ...] = Field(
        description="which of these clocks run on the business-hours calendar"
    )


class SeverityConfig(Section):
    priorities: dict[str, SeverityName] = Field(description="Jira priority name -> severity")
    impact_labels: tuple[str, ...]
    impact_phrases: tuple[str, ...]
    impact_severity: SeverityName
    sla: dict[SeverityName, SlaConfig]

    @field_validator("sla")
    @classmethod
    def _all_severities(cls, v: dict[str, SlaConfig]) -> dict[str, SlaConfig]:
        missing = {"SEV-1", "SEV-2", "SEV-3", "SEV-4"} - set(v)
        if missing:
            raise ValueError(f"an SLA is needed for every severity; missing {sorted(missing)}")
        return v

    def sla_for(self, severity: Severity) -> SlaConfig:
        return self.sla[severity.label]  # type: ignore[index]


# --- 4./5. Tiers, stakeholders, owners ------------------------------------------------------------


class MultiCustomerConfig(Section):
    accounts: int = Field(ge=2, description="distinct accounts reporting the same component")
    window: Duration
    tier: int = Field(ge=1, le=4)


class TiersConfig(Section):
    arr_tier3: float = Field(ge=0, description="ARR above which an escalation is tier 3")
    multi_customer: MultiCustomerConfig
    top_accounts: int = Field(ge=0, description="the top N accounts by ARR are tier 4")
    arr_share: float = Field(ge=0, le=1, description="share of total ARR above which tier 4")
    tier4_labels: tuple[str, ...]
    tier4_phrases: tuple[str, ...]
    owner_roles: dict[int, Role] = Field(description="tier -> the role that owns at that tier")
    stakeholder_roles: dict[int, tuple[str, ...]] = Field(
        description="tier -> roles engaged; 'csm_manager' means the account CSM's own manager"
    )

    @field_validator("owner_roles", "stakeholder_roles")
    @classmethod
    def _tiers_1_to_4(cls, v: dict[int, Any]) -> dict[int, Any]:
        bad = [k for k in v if k not in (1, 2, 3, 4)]
        if bad:
            raise ValueError(f"tiers are 1..4; got {bad}")
        return v

    @field_validator("stakeholder_roles")
    @classmethod
    def _known_roles(cls, v: dict[int, tuple[str, ...]]) -> dict[int, tuple[str, ...]]:
        known = {r.value for r in Role} | {"csm_manager"}
        for tier, roles in v.items():
            for role in roles:
                if role not in known:
                    raise ValueError(f"tier {tier}: unknown role {role!r}")
        return v


class OwnerConfig(Section):
    fatigue_threshold: int = Field(
        ge=1, description="open escalations at which a person is skipped for a less busy peer"
    )


# --- 6. Executive sponsor -----------------------------------------------------------------------


class ExecSponsorConfig(Section):
    arr_over: float = Field(ge=0)
    executive_titles: tuple[str, ...]
    renewal_within: Duration
    within: Duration = Field(description="due time of the 'within 24 h' conditions")


# --- 8. Plan, 9. calendar, 10. recovery, 11. learning -------------------------------------------


class PlanConfig(Section):
    investigation_after_ack: Duration
    customer_update_after_ack: Duration
    closure_after_resolution: Duration = Field(
        description="the closure message is due this long after the escalation is resolved"
    )
    follow_up_after_closure: Duration
    step_owners: dict[str, Literal["owner", "csm"]] = Field(
        description="who holds each step: the escalation owner or the account's CSM"
    )


class CalendarConfig(Section):
    timezone: str
    workdays: tuple[Weekday, ...]
    start: time
    end: time
    holidays: tuple[date, ...] = ()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {v!r}") from exc
        return v

    @model_validator(mode="after")
    def _day_has_hours(self) -> CalendarConfig:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        if not self.workdays:
            raise ValueError("at least one workday is needed")
        return self


class RecoveryStep(Section):
    step: str
    after: Duration = Field(description="due this long after resolution")


class LearningConfig(Section):
    root_causes: tuple[str, ...]
    pattern_threshold: int = Field(ge=1, description="closed escalations per root cause per quarter")
    routing: dict[str, str] = Field(description="root cause -> owning function")


class StatusConfig(Section):
    epic_to_record: dict[str, Literal["Open", "In Progress", "Resolved", "Closed"]]


class StateConfig(Section):
    horizon: Duration = Field(
        description="how long evidence is remembered; older replayed events change nothing"
    )


class RulesConfig(Section):
    """The whole rules file. Every field has its default in ``rules/default.yaml``."""

    triggers: TriggersConfig
    severity: SeverityConfig
    tiers: TiersConfig
    owner: OwnerConfig
    exec_sponsor: ExecSponsorConfig
    plan: PlanConfig
    calendar: CalendarConfig
    recovery: tuple[RecoveryStep, ...]
    learning: LearningConfig
    status: StatusConfig
    state: StateConfig


# --- Loading -----------------------------------------------------------------------------------


@cache
def default_data() -> dict[str, Any]:
    """The shipped defaults as plain data (package data; read once)."""
    text = resources.files("rules").joinpath("default.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """Lay ``over`` on ``base``: mappings merge key by key; anything else replaces."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def parse_config(source: str | Mapping[str, Any] | None = None, name: str = "rules") -> RulesConfig:
    """The defaults overlaid with an admin's rules (YAML text or a mapping).

    Raises:
        InputError: every bad field with its path (``triggers.ticket_burst.count: ...``).
    """
    if source is None:
        over: Any = {}
    elif isinstance(source, str):
        try:
            over = yaml.safe_load(source) or {}
        except yaml.YAMLError as exc:
            raise InputError(name, [f"not valid YAML: {exc}"]) from exc
    else:
        over = source
    if not isinstance(over, Mapping):
        raise InputError(name, ["(top level): a rules file is a mapping of sections"])
    try:
        return RulesConfig.model_validate(merge(default_data(), over))
    except ValidationError as exc:
        raise InputError(name, describe(exc)) from exc


@cache
def default_config() -> RulesConfig:
    return parse_config()


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a rules file. Nothing is required: every key has a default."""
    schema = RulesConfig.model_json_schema()

    def relax(node: Any) -> None:
        if isinstance(node, dict):
            node.pop("required", None)
            for value in node.values():
                relax(value)
        elif isinstance(node, list):
            for value in node:
                relax(value)

    relax(schema)
    from rules.triggers import added_kinds

    triggers = schema["$defs"]["TriggersConfig"]["properties"]
    for name, model in sorted(added_kinds().items()):  # a kind added in rules/triggers/ gets its branch
        branch = model.model_json_schema()
        relax(branch)
        schema["$defs"].update(branch.pop("$defs", {}))
        triggers[name] = branch
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "escalation-sync rules"
    return schema


def json_schema_text() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"
