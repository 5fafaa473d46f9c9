"""The backtest's plain attribute reads of the domain's models: faster reads, the same answers."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from pydantic import BaseModel, ValidationError

from rules.models import Escalation, Severity
from rules.state import AccountState, TicketFacts
from sync.commands.attribute_reads import OFF, plain_attribute_reads
from tests.paths import EXAMPLES, ROOT

AT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def reads(facts: TicketFacts) -> tuple[object, ...]:
    """What a caller sees of a model: fields, a missing name, a frozen field, a copy, a dump."""
    with pytest.raises(AttributeError) as missing:
        facts.no_such_field  # type: ignore[attr-defined]  # noqa: B018
    with pytest.raises(ValidationError):
        facts.key = "other"  # type: ignore[misc]
    copy = facts.model_copy(update={"severity": Severity.SEV1})
    return (facts.key, facts.created, facts.components, facts.severity, getattr(facts, "nope", "default"),
            hasattr(facts, "words"), hasattr(facts, "nope"), str(missing.value), copy.severity, copy == facts,
            facts.model_dump(), facts == TicketFacts(key="SUP-1", created=AT, components=("api",)))


def test_reads_give_the_same_answers_inside_and_outside_and_the_classes_are_put_back():
    facts = TicketFacts(key="SUP-1", created=AT, components=("api",))
    before = reads(facts)
    with plain_attribute_reads() as changed:
        assert changed >= 10  # the domain's models: tickets, facts, states, events, escalations, config
        inside = reads(facts)
        state = AccountState(account="acme", tickets={"SUP-1": facts})
        assert state.tickets["SUP-1"] is facts and state.escalation is None
        esc = Escalation(id="E-1", account="acme", account_name="Acme", opened=AT, severity=Severity.SEV2,
                         tier=1, owner=None)
        assert esc.is_open and esc.exec_sponsor.required is False
    assert inside == before
    assert reads(facts) == before
    with plain_attribute_reads() as again:  # put back as they were: the same classes are changed again
        assert again == changed


def test_it_changes_only_the_domains_models_without_private_attributes():
    class Other(BaseModel):  # not a ``rules`` model: left as it is
        x: int = 1

    from pydantic import PrivateAttr

    import rules.models

    class WithPrivate(rules.models.Frozen):  # a private attribute is read through pydantic's __getattr__
        _secret: int = PrivateAttr(default=7)

    WithPrivate.__module__ = "rules.fixture"  # a domain model in every other way
    with plain_attribute_reads():
        assert WithPrivate()._secret == 7
        assert Other().x == 1


def test_it_can_be_turned_off(monkeypatch):
    monkeypatch.setenv(OFF, "pydantic")
    with plain_attribute_reads() as changed:
        assert changed == 0


@pytest.mark.parametrize("name", ["small_book.yaml", "busy_owner.yaml"])
def test_the_backtest_prints_the_same_with_pydantics_reads(name):
    def run(**env: str) -> str:
        out = subprocess.run([sys.executable, "-m", "sync.cli", "backtest", str(EXAMPLES / name)],
                             capture_output=True, text=True, cwd=ROOT, timeout=120, env={**os.environ, **env})
        assert out.returncode == 0, out.stderr
        return out.stdout

    assert run() == run(**{OFF: "pydantic"})
