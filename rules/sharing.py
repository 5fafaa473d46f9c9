"""Replaying several rule sets over one book without doing the same step twice.

``--compare`` and ``--sweep`` replay rule sets that usually differ in a few thresholds
(``triggers.ticket_burst.count``, ``triggers.health_drop.points``). Until an account's decisions
part ways, its state is the same under each, and most events read nothing the rule sets
disagree on: a comment is not counted by the burst rule, a ticket does not read health. So the
first rule set (the leader) replays every event, and each other one takes the leader's step
whenever it starts from the very same state and the step could not differ
(:func:`rules.engine.agrees`); the account's state then stays one shared value. Rule sets that
differ elsewhere (severity, tiers, owners) replay on their own.

Pure: replays and events in, the replays' states and counts out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rules import triggers
from rules.config import RulesConfig
from rules.events import Event
from rules.replay import Replay
from rules.triggers import TriggerKindBase


def _without(data: dict[str, Any], kind: TriggerKindBase) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in kind.detect_only}


def detect_only_difference(a: RulesConfig, b: RulesConfig) -> tuple[TriggerKindBase, ...] | None:
    """The kinds whose ``detect_only`` settings differ between ``a`` and ``b``, when the two
    differ in nothing else; None when they differ in anything else."""
    da, db = a.model_dump(), b.model_dump()
    ta, tb = da.pop("triggers"), db.pop("triggers")
    if da != db:
        return None
    added_a, added_b = ta.pop("added", {}), tb.pop("added", {})
    kinds = []
    for kind in triggers.REGISTRY:  # read now: a test may add a kind (``refresh``)
        sa = ta.pop(kind.kind, None) if kind.kind in ta else added_a.pop(kind.kind, None)
        sb = tb.pop(kind.kind, None) if kind.kind in tb else added_b.pop(kind.kind, None)
        if sa == sb:
            continue
        if sa is None or sb is None or _without(sa, kind) != _without(sb, kind):
            return None
        kinds.append(kind)
    if ta != tb or added_a != added_b:
        return None
    return tuple(kinds)


def share_scratch(cfgs: Sequence[RulesConfig]) -> list[dict[str, Any]]:
    """One ``Context.shared`` per group of rule sets that read a ticket alike: the same severity,
    tiers (multi-customer) and executive titles make the same facts and spans of each event."""
    groups: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    out = []
    for cfg in cfgs:
        reads = (cfg.severity, cfg.tiers, cfg.exec_sponsor)
        scratch = next((s for r, s in groups if r == reads), None)
        if scratch is None:
            scratch = {}
            groups.append((reads, scratch))
        out.append(scratch)
    return out


def feed_together(replays: Sequence[Replay], events: Iterable[Event]) -> None:
    """Feed every event to every replay, in turn, sharing the leader's steps where they agree."""
    leader, others = replays[0], replays[1:]
    follows = [(r, detect_only_difference(leader.ctx.cfg, r.ctx.cfg)) for r in others]
    if not follows:
        leader.feed_ordered(events)
        return
    for replay, _ in follows:
        if replay.ctx.shared is leader.ctx.shared and not replay.hits:
            # the same multi-customer settings: every event's spans are the leader's (``Context.shared``), and
            # every replay records every ticket's hits, so the leader's windows serve and it alone records them
            replay.hits, replay.records_hits = leader.hits, False
    leader.trace = True
    leader_one = leader.feed_one
    for event in events:
        leader_one(event)
        step = leader.last_step
        for replay, kinds in follows:
            replay.feed_one(event, (step, kinds, leader.states) if kinds is not None else None)
