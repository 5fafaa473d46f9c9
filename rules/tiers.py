"""Tier: who is engaged (POLICY.md section 4). Tiers only go up; the caller keeps the maximum."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from rules.config import RulesConfig
from rules.directory import Directory
from rules.models import Account, Role, Trigger
from rules.state import TicketFacts
from rules.triggers import kind_of


def assess_tier(
    account: Account,
    triggers: Iterable[Trigger],
    linked: Iterable[TicketFacts],
    multi: Mapping[str, datetime],
    directory: Directory,
    cfg: RulesConfig,
) -> tuple[int, str]:
    """The highest tier any rule asks for, with the rule that asked."""
    tiers = cfg.tiers
    candidates: list[tuple[int, str]] = [(1, "tier 1 by default")]
    for trigger in triggers:
        candidates.append((kind_of(trigger.kind).settings(cfg).min_tier, f"{trigger.kind} trigger"))
    if account.arr > tiers.arr_tier3:
        candidates.append((3, f"ARR {account.arr:,.0f} exceeds {tiers.arr_tier3:,.0f}"))
    linked = list(linked)
    for facts in linked:
        shared = [c for c in facts.components if c in multi]
        if shared:
            candidates.append((tiers.multi_customer.tier,
                               f"multi-customer issue on {shared[0]} ({facts.key})"))
        if facts.tier4_reason:
            candidates.append((4, f"{facts.key}: {facts.tier4_reason}"))
    if account.id in directory.top_accounts:
        candidates.append((4, f"top {tiers.top_accounts} account by ARR"))
    if directory.total_arr > 0 and account.arr / directory.total_arr > tiers.arr_share:
        share = account.arr / directory.total_arr
        candidates.append((4, f"{share:.1%} of total ARR exceeds {tiers.arr_share:.0%}"))
    return max(candidates, key=lambda c: c[0])


def stakeholders(
    account: Account, tier: int, owner: str | None, directory: Directory, cfg: RulesConfig
) -> set[str]:
    """The CSM plus the people of the engaged roles of every tier up to ``tier``; not the owner."""
    people: set[str] = {account.owner.lower()} if account.owner else set()
    for level in range(1, tier + 1):
        for role in cfg.tiers.stakeholder_roles.get(level, ()):
            if role == "csm_manager":
                boss = directory.manager_of(account.owner)
                if boss:
                    people.add(boss.email.lower())
            else:
                people.update(u.email.lower() for u in directory.people(Role(role)))
    people.discard((owner or "").lower())
    return people
