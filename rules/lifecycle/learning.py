"""The learning loop (POLICY.md section 11): a root cause recurring in a quarter is systemic.

Per calendar quarter (of the closure time, in the business calendar's zone), when
``learning.pattern_threshold`` (5) or more *closed* escalations carry the same root cause,
one action item is opened for the owning function (``learning.routing``), with the ARR at
risk as its business case. An item's id is derived from (quarter, root cause) alone, so the
job can run any number of times - or crash halfway and rerun - and open exactly one item per
pattern: the shell passes the keys it has already opened (or finds them in Jira by the id)
and gets back only the rest.

ARR at risk is the sum of the ARR of the *distinct* accounts involved: an account that
escalated twice for the same cause puts its ARR at risk once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable

from rules.lifecycle.measures import quarter_of
from rules.models import Escalation, Frozen
from rules.triggers.base import Context

DEFAULT_FUNCTION = "vp_support"
"""Owner of a root cause ``learning.routing`` does not name: the VP of Support reviews the
escalation log monthly (the playbook's step 2), so an unrouted pattern lands there."""


class ActionItem(Frozen):
    """One systemic problem to open as a Jira issue in the learning project."""

    id: str
    quarter: str
    root_cause: str
    function: str
    title: str
    description: str
    arr_at_risk: float
    escalations: tuple[str, ...]
    accounts: tuple[str, ...]

    @property
    def key(self) -> tuple[str, str]:
        return (self.quarter, self.root_cause)


def item_id(quarter: str, root_cause: str) -> str:
    """The deterministic id of the action item for a pattern: ``LEARN-2026-Q4-product_bug``."""
    return f"LEARN-{quarter}-{root_cause}"


def closed_by_pattern(
    escalations: Iterable[Escalation], ctx: Context
) -> dict[tuple[str, str], list[Escalation]]:
    """Closed escalations with a root cause, grouped by (quarter of closure, root cause).

    An escalation listed twice (two versions of it) counts once: the last version wins.
    """
    latest = {e.id: e for e in escalations}
    groups: dict[tuple[str, str], list[Escalation]] = defaultdict(list)
    for esc in latest.values():
        if esc.status == "Closed" and esc.closed_at is not None and esc.root_cause:
            groups[(quarter_of(esc.closed_at, ctx.cfg.calendar), esc.root_cause)].append(esc)
    for members in groups.values():
        members.sort(key=lambda e: (e.closed_at, e.id))
    return dict(groups)


def _label(root_cause: str) -> str:
    return root_cause.replace("_", " ")


def _item(quarter: str, cause: str, members: list[Escalation], ctx: Context) -> ActionItem:
    cfg, accounts = ctx.cfg, ctx.directory.accounts
    function = cfg.learning.routing.get(cause, DEFAULT_FUNCTION)
    involved = tuple(dict.fromkeys(e.account for e in members))
    arr = sum(accounts[a].arr for a in involved if a in accounts)
    lines = [
        f"{len(members)} escalations closed in {quarter} had the root cause "
        f"\"{_label(cause)}\" (threshold {cfg.learning.pattern_threshold}): a systemic problem.",
        f"Owning function: {function}.",
        f"ARR at risk: ${arr:,.0f} across {len(involved)} account(s).",
        "",
        "Escalations:",
    ]
    for esc in members:
        account = accounts.get(esc.account)
        worth = f"ARR ${account.arr:,.0f}" if account else "account not in the directory"
        closed = f"{esc.closed_at:%Y-%m-%d}" if esc.closed_at else "?"
        lines.append(f"- {esc.id} {esc.account_name} ({worth}), {esc.severity.label}, "
                     f"closed {closed}")
    return ActionItem(
        id=item_id(quarter, cause), quarter=quarter, root_cause=cause, function=function,
        title=f"Systemic {_label(cause)}: {len(members)} escalations in {quarter}",
        description="\n".join(lines), arr_at_risk=arr,
        escalations=tuple(e.id for e in members), accounts=involved,
    )


def systemic_patterns(escalations: Iterable[Escalation], ctx: Context) -> tuple[ActionItem, ...]:
    """Every (quarter, root cause) at or over the threshold, as an action item, in order."""
    threshold = ctx.cfg.learning.pattern_threshold
    groups = closed_by_pattern(escalations, ctx)
    return tuple(
        _item(quarter, cause, members, ctx)
        for (quarter, cause), members in sorted(groups.items())
        if len(members) >= threshold
    )


def action_items_to_open(
    escalations: Iterable[Escalation],
    already_open: Collection[tuple[str, str] | str],
    ctx: Context,
) -> tuple[ActionItem, ...]:
    """The action items to open now: the systemic patterns not already opened.

    Args:
        escalations: escalations to consider (any status; only closed ones with a root cause
            count).
        already_open: items opened earlier, as ``(quarter, root_cause)`` keys or item ids.
        ctx: config (threshold, routing, calendar) and directory (ARR).

    Returns:
        Items in (quarter, root cause) order. The shell creates each as a Jira issue in the
        configured project with ``id`` as its external id (label or entity property), then
        records its key as opened; a rerun after a crash finds it by that id.
    """
    done = set(already_open)
    return tuple(i for i in systemic_patterns(escalations, ctx)
                 if i.key not in done and i.id not in done)
