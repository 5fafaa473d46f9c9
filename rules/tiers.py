"""Tier: who is engaged (POLICY.md section 4). Tiers only go up; the caller keeps the maximum."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from itertools import compress, count
from operator import attrgetter, not_

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
    # the candidates in order: the first of the highest wins and only its reason is written; the
    # tickets are read with C-level ``map`` (an escalation open for months links hundreds of them)
    best: tuple[int, str] = (1, "tier 1 by default")
    for name in dict.fromkeys(map(_KIND, triggers)):  # the first trigger of each kind, in order
        level = kind_of(name).settings(cfg).min_tier
        if level > best[0]:
            best = (level, f"{name} trigger")
    if account.arr > tiers.arr_tier3 and best[0] < 3:
        best = (3, f"ARR {account.arr:,.0f} exceeds {tiers.arr_tier3:,.0f}")
    facts = linked if isinstance(linked, list | tuple) else list(linked)
    if facts:
        # per ticket, in order: its multi-customer candidate, then its tier-4 one
        # the first ticket on a component with a finding, found lazily in C (it stops there)
        shared_at = (next(compress(count(), map(not_, map(multi.keys().isdisjoint, map(_COMPONENTS, facts)))), None)
                     if multi else None)
        tier4_at = next(compress(count(), map(_TIER4, facts)), None)
        fact_best: tuple[int, int, int] | None = None  # (tier, -position, -order within the ticket)
        if shared_at is not None:
            fact_best = (tiers.multi_customer.tier, -shared_at, 0)
        if tier4_at is not None and (fact_best is None or (4, -tier4_at, -1) > fact_best):
            fact_best = (4, -tier4_at, -1)
        if fact_best is not None and fact_best[0] > best[0]:
            hit = facts[-fact_best[1]]
            if fact_best[2] == 0:
                component = next(c for c in hit.components if c in multi)
                best = (fact_best[0], f"multi-customer issue on {component} ({hit.key})")
            else:
                best = (4, f"{hit.key}: {hit.tier4_reason}")
    if account.id in directory.top_accounts and best[0] < 4:
        best = (4, f"top {tiers.top_accounts} account by ARR")
    if directory.total_arr > 0 and account.arr / directory.total_arr > tiers.arr_share and best[0] < 4:
        share = account.arr / directory.total_arr
        best = (4, f"{share:.1%} of total ARR exceeds {tiers.arr_share:.0%}")
    return best


_KIND = attrgetter("kind")
_COMPONENTS = attrgetter("components")
_TIER4 = attrgetter("tier4_reason")


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
