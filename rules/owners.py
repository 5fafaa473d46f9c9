"""Owner choice (POLICY.md section 5): exactly one named person, never a queue."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from rules.config import RulesConfig
from rules.directory import Directory
from rules.models import Account, Role, User


def choose_owner(
    account: Account, tier: int, directory: Directory, load: Mapping[str, int], cfg: RulesConfig
) -> tuple[str | None, list[str]]:
    """One named owner for the tier at opening, and the notes for the timeline.

    The manager chain above the account's CSM decides first; where it names nobody of the
    role, the person of the role with the fewest open escalations (ties: by email). A person
    who already owns ``fatigue_threshold`` open escalations is passed over for the least
    loaded person of the same role, and the skip is noted. A tier whose role nobody holds
    falls to the next tier up, and finally to the CSM.
    """
    notes: list[str] = []
    for level in range(tier, 5):
        role = cfg.tiers.owner_roles.get(level)
        if role is None:
            continue
        first = _first_choice(account, role, directory, load)
        if first is None:
            notes.append(f"nobody holds the tier-{level} owner role {role.value}")
            continue
        chosen = _rested(first, role, directory, load, cfg, notes)
        return chosen, notes
    notes.append("owner falls back to the account's CSM")
    return (account.owner.lower() if account.owner else None), notes


def _first_choice(
    account: Account, role: Role, directory: Directory, load: Mapping[str, int]
) -> str | None:
    if role is Role.CSM and account.owner:
        return account.owner.lower()
    for boss in directory.chain(account.owner):
        if boss.role is role:
            return boss.email.lower()
    peers = directory.people(role)
    return _least_loaded(peers, load) if peers else None


def _least_loaded(peers: Iterable[User], load: Mapping[str, int]) -> str:
    return min((load.get(u.email.lower(), 0), u.email.lower()) for u in peers)[1]


def _rested(
    first: str, role: Role, directory: Directory, load: Mapping[str, int], cfg: RulesConfig,
    notes: list[str],
) -> str:
    busy = load.get(first, 0)
    if busy < cfg.owner.fatigue_threshold:
        return first
    peers = directory.people(role)
    if not peers:
        return first
    chosen = _least_loaded(peers, load)
    if chosen != first:
        notes.append(
            f"escalation fatigue: {first} owns {busy} open escalations; "
            f"{chosen} ({load.get(chosen, 0)} open) owns this one"
        )
    return chosen
