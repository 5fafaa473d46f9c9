"""The learning loop in the shell: systemic root causes become one Jira action item each.

Idempotent like every write: the item's deterministic id (``LEARN-2026-Q4-product_bug``) is
its label in Jira; an intent is recorded before the create, and a rerun finds the item by
that label instead of opening a second one.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from rules.config import RulesConfig
from rules.directory import Directory
from rules.lifecycle import ActionItem, action_items_to_open
from rules.triggers import Context
from sync.state import Store

log = logging.getLogger("escalation_sync.learning")


def open_action_items(store: Store, jira: Any, cfg: RulesConfig, directory: Directory, *, project: str,
                      issue_type: str = "Task", settle_seconds: float = 30.0) -> list[tuple[ActionItem, str]]:
    """Open the action items the closed escalations call for; returns (item, Jira key) opened."""
    done = {k.decode(): v.decode() for k, v in store.r.hgetall(store.k.actions).items()}
    items = action_items_to_open(store.escalations().values(), set(done), Context(cfg=cfg, directory=directory))
    opened: list[tuple[ActionItem, str]] = []
    for item in items:
        intent = store.intent(item.id, "action")
        if intent is not None:
            found = jira.by_label(project, item.id, ["summary"])
            if found:
                store.r.hset(store.k.actions, item.id, found[0]["key"])
                continue
            if time.time() - intent < settle_seconds:
                continue  # an earlier attempt may not be searchable yet
        store.set_intent(item.id, "action", time.time(), ttl=int(settle_seconds * 10) + 60)
        keys = jira.create([{
            "project": {"key": project}, "issuetype": {"name": issue_type},
            "summary": item.title[:250], "description": item.description,
            "labels": ["escalation-sync", item.id, f"function-{item.function}"],
        }])
        if keys[0]:
            store.r.hset(store.k.actions, item.id, keys[0])
            opened.append((item, keys[0]))
            log.info("action item %s opened as %s for %s (ARR at risk %.0f)", item.id, keys[0],
                     item.function, item.arr_at_risk)
    return opened
