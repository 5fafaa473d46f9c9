"""Escalations and contexts for lifecycle tests: built directly, or opened through a replay."""

from __future__ import annotations

from datetime import datetime, timedelta

from rules.config import RulesConfig, default_config
from rules.directory import Directory
from rules.models import Escalation, Severity, SeverityChange, external_id
from rules.triggers import Context
from tests.rules.builders import BALLAST, T0, USERS, account, only, replay, ticket

V = "@vendor.example"
LEE, DANA = "lee" + V, "dana" + V
TIER3 = ("eli" + V, "omar" + V, "rosa" + V, "vic" + V)  # cs_director x2, vp_cs, vp_engineering
TIER4 = ("cora" + V, "max" + V, "tess" + V)              # cro, ceo, cto


def at(days: float = 0, hours: float = 0, minutes: float = 0) -> datetime:
    return T0 + timedelta(days=days, hours=hours, minutes=minutes)


def ctx(cfg: RulesConfig | None = None, accounts=None) -> Context:
    cfg = cfg or default_config()
    accounts = tuple(accounts or (account("A"), account("B", owner="sam"))) + BALLAST
    return Context(cfg=cfg, directory=Directory.build(USERS, accounts, cfg.tiers.top_accounts))


def esc(severity: Severity = Severity.SEV2, opened: datetime = T0, acct: str = "A",
        tier: int = 2, owner: str | None = LEE, stakeholders=(DANA,), **kw) -> Escalation:
    """An escalation as the engine would have opened it (tier 2, owned by Dana's manager)."""
    kw.setdefault("severity_history", (SeverityChange(at=opened, severity=severity),))
    return Escalation(id=external_id(acct, opened), account=acct, account_name=f"Account {acct}",
                      opened=opened, severity=severity, tier=tier, owner=owner,
                      stakeholders=tuple(stakeholders), **kw)


def opened_by_replay(priority: str = "High", when: datetime = T0, **account_kw):
    """A real escalation opened by the engine from one ticket saying "cancel"."""
    r = replay([account(**account_kw)], [ticket("T-1", when, "we will cancel", priority=priority)])
    return only(r), r.ctx
