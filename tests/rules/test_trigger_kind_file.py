"""Adding a trigger kind is one new module in ``rules/triggers/`` holding its class and its config
model: the fixture writes only that file (in a directory added to the package's path), and the
rules file, severity, tier, executive sponsor, the merge of repeated triggers, and the published
schema all take it up with no other change."""

from __future__ import annotations

import sys
import textwrap

import pytest

import rules.triggers
from rules.backtest import backtest
from rules.book import parse_book
from rules.config import json_schema, parse_config
from rules.errors import InputError

KIND_FILE = '''
"""``vip_ticket``: a ticket labelled ``vip`` (a kind added by a test, in one file)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from rules.config import RulesConfig, TriggerConfig
from rules.events import Event, TicketOpened
from rules.models import Escalation, Trigger
from rules.state import AccountState
from rules.triggers.base import Context, TriggerKindBase


class VipTicketConfig(TriggerConfig):
    min_tier: int = Field(default=3, ge=1, le=4)
    severity: str = "SEV-1"
    label: str = "vip"


class VipTicket(TriggerKindBase):
    kind = "vip_ticket"
    config_model = VipTicketConfig

    def detect(self, event: Event, state: AccountState, found: list[Trigger], ctx: Context) -> list[Trigger]:
        settings = self.settings(ctx.cfg)
        if not isinstance(event, TicketOpened) or settings.label not in event.ticket.labels:
            return []
        return [Trigger(id=f"{self.kind}:{event.ticket.key}", kind=self.kind, account=event.account,
                        at=event.at, tickets=(event.ticket.key,), issue="vip", reason="a VIP ticket")]

    def sponsor(self, trigger: Trigger, cfg: RulesConfig) -> tuple[datetime, str] | None:
        return trigger.at, "a VIP complained"

    def merge_into(self, existing: list[Trigger], trigger: Trigger) -> bool:
        same = [i for i, t in enumerate(existing) if t.kind == self.kind]
        if not same:
            return False
        old = existing[same[0]]
        existing[same[0]] = old.model_copy(update={"tickets": old.tickets + trigger.tickets})
        return True

    def adds_nothing(self, trigger: Trigger, esc: Escalation) -> bool:
        return False
'''

BOOK = {
    "now": "2026-11-20T12:00:00Z",
    "users": [{"email": "dana@vendor.example", "role": "csm", "manager": "lee@vendor.example"},
              {"email": "lee@vendor.example", "role": "cs_manager", "manager": "rosa@vendor.example"},
              {"email": "rosa@vendor.example", "role": "cs_director"}],
    "accounts": [{"id": "001000000000001AAA", "name": "Acme", "arr": 50000, "owner": "dana@vendor.example",
                  "domains": ["acme.example"]}],
    "tickets": [{"key": f"SUP-{i}", "created": f"2026-11-1{i}T10:00:00Z", "labels": ["vip"], "summary": "hello",
                 "reporter": {"email": "ops@acme.example", "customer": True}} for i in (1, 2)],
}


ONE_ACCOUNT = {"tiers": {"top_accounts": 0, "arr_share": 1}}  # the only account is not tier 4 by size


def rules_with(**triggers: dict) -> object:
    return parse_config({**ONE_ACCOUNT, "triggers": triggers})


@pytest.fixture
def vip_kind(tmp_path, monkeypatch):
    package = tmp_path / "more_triggers"
    package.mkdir()
    (package / "vip_ticket.py").write_text(textwrap.dedent(KIND_FILE))
    monkeypatch.setattr(rules.triggers, "__path__", [*rules.triggers.__path__, str(package)])
    rules.triggers.refresh()
    yield
    monkeypatch.undo()
    sys.modules.pop("rules.triggers.vip_ticket", None)
    rules.triggers.refresh()


def test_a_kind_in_one_file_opens_escalations_with_its_own_severity_tier_and_sponsor(vip_kind):
    assert "vip_ticket" in [k.kind for k in rules.triggers.REGISTRY]
    assert rules.triggers.REGISTRY[-1].kind == "repeat"  # still last: it reads what the others found
    [esc] = backtest(parse_book(BOOK), rules_with())["escalations"]
    assert esc["severity"] == "SEV-1" and esc["tier"] == 3
    assert esc["exec_sponsor"] == {"required": True, "due": "2026-11-11T10:00:00Z"}
    [trigger] = esc["triggers"]  # the second VIP ticket grew the first trigger (its merge rule)
    assert trigger["kind"] == "vip_ticket" and trigger["tickets"] == ["SUP-1", "SUP-2"]


def test_the_rules_file_configures_the_added_kind_and_the_schema_publishes_it(vip_kind):
    assert backtest(parse_book(BOOK), rules_with(vip_ticket={"enabled": False})) == {
        "escalations": [], "unmatched_tickets": []}
    [esc] = backtest(parse_book(BOOK), rules_with(vip_ticket={"severity": "SEV-3"}))[
        "escalations"]
    assert esc["severity"] == "SEV-3"
    branch = json_schema()["$defs"]["TriggersConfig"]["properties"]["vip_ticket"]
    assert set(branch["properties"]) >= {"enabled", "label", "min_tier", "severity"}


def test_without_the_file_the_section_is_an_unknown_key():
    with pytest.raises(InputError) as err:
        parse_config({"triggers": {"vip_ticket": {"enabled": False}}})
    assert "triggers.vip_ticket: unknown key" in err.value.problems
