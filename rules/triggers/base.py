"""The shape every trigger kind shares (elastalert2's rule types, reduced to what we need).

A kind is one class in one module of this package: how it detects (``detect``), and what its
triggers do to an escalation (``sponsor``: whether and by when they require the executive
sponsor; ``merge_into``/``adds_nothing``: whether a new trigger grows an existing one; severity
and tier come from its config section). Nothing outside the class names the kind, so adding a
kind is one new module plus its config model (see ``rules/triggers/__init__.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, ClassVar

from rules.config import RulesConfig, TriggerConfig
from rules.directory import Directory
from rules.events import Event
from rules.models import Escalation, Trigger
from rules.state import AccountState


@dataclass(frozen=True)
class Context:
    """What a trigger may consult besides the account's own state: read-only, pure."""

    cfg: RulesConfig
    directory: Directory
    # what one event's step computes from the event and settings alone (its ticket's facts, its
    # multi-customer span), kept for the step of the same event under another rule set with the
    # same settings there (``rules.sharing``); one entry per kind of result, for the latest event
    shared: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    # scratch space for the rules' memos (the oldest evidence of an account, ...): each entry is checked
    # against the values it was computed from, so it never changes an answer. (Fields, not cached
    # properties: both are read on every event, and a plain attribute is the interpreter's fastest read.)
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)
    _kinds_by_type: dict[type, tuple[TriggerKindBase, ...]] = field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def enabled(self) -> tuple[TriggerKindBase, ...]:
        """The registry's kinds this config enables, in registry order (asked once per event)."""
        from rules.triggers import REGISTRY

        return tuple(kind for kind in REGISTRY if kind.settings(self.cfg).enabled)

    def kinds_for(self, event_type: type) -> tuple[TriggerKindBase, ...]:
        """The enabled kinds that read this type of event (``events``), in registry order: most
        events interest two or three kinds, and asking the others costs a call each."""
        known = self._kinds_by_type
        found = known.get(event_type)
        if found is None:
            found = known[event_type] = tuple(k for k in self.enabled if k.events is None
                                              or issubclass(event_type, k.events))
        return found


class TriggerKindBase:
    """One kind of trigger: reads one event against the account's state, returns triggers.

    ``state`` already holds the event's facts (the new ticket, the new health sample), so a kind
    only looks; it never changes state. ``found`` holds what earlier kinds found in the same
    event (``repeat`` reads it). Returned triggers carry deterministic ids; the engine drops
    those it has already acted on, which is what makes replays harmless.
    """

    kind: ClassVar[str]
    order: ClassVar[int] = 50  # detection order; a kind reading what others found goes later
    contact: ClassVar[bool] = True  # the customer reached out (``repeat`` counts these)
    config_model: ClassVar[type[TriggerConfig] | None] = None  # a kind beside the built-in sections
    events: ClassVar[tuple[type, ...] | None] = None  # the event types ``detect`` reads; None: every one
    # settings of this kind's section read only by ``detect`` (and not of ``found``): two rule sets
    # differing only in these decide alike wherever the kind finds the same (``rules.engine.agrees``)
    detect_only: ClassVar[frozenset[str]] = frozenset()

    def settings(self, cfg: RulesConfig) -> TriggerConfig:
        """This kind's config section: a built-in field of ``triggers``, else an added kind's."""
        built_in = getattr(cfg.triggers, self.kind, None)
        if isinstance(built_in, TriggerConfig):
            return built_in
        return cfg.triggers.added[self.kind]

    def detect(
        self, event: Event, state: AccountState, found: list[Trigger], ctx: Context
    ) -> list[Trigger]:
        raise NotImplementedError

    def sponsor(self, trigger: Trigger, cfg: RulesConfig) -> tuple[datetime, str] | None:
        """When this trigger makes the executive sponsor due, and why; None if it does not."""
        del trigger, cfg
        return None

    def merge_into(self, existing: list[Trigger], trigger: Trigger) -> bool:
        """Grow an existing trigger with a new one (in place); False to append it as its own."""
        del existing, trigger
        return False

    def adds_nothing(self, trigger: Trigger, esc: Escalation) -> bool:
        """The open escalation already holds all this trigger would add."""
        del trigger, esc
        return False
