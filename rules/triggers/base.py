"""The shape every trigger kind shares (elastalert2's rule types, reduced to what we need)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import ClassVar

from rules.config import RulesConfig, TriggerConfig
from rules.directory import Directory
from rules.events import Event
from rules.models import Trigger, TriggerKind
from rules.state import AccountState


@dataclass(frozen=True)
class Context:
    """What a trigger may consult besides the account's own state: read-only, pure."""

    cfg: RulesConfig
    directory: Directory

    @cached_property
    def enabled(self) -> tuple[TriggerKindBase, ...]:
        """The registry's kinds this config enables, in registry order (asked once per event)."""
        from rules.triggers import REGISTRY

        return tuple(kind for kind in REGISTRY if kind.settings(self.cfg).enabled)


class TriggerKindBase:
    """One kind of trigger: reads one event against the account's state, returns triggers.

    ``state`` already holds the event's facts (the new ticket, the new health sample), so a kind
    only looks; it never changes state. ``found`` holds what earlier kinds found in the same
    event (``repeat`` reads it). Returned triggers carry deterministic ids; the engine drops
    those it has already acted on, which is what makes replays harmless.
    """

    kind: ClassVar[TriggerKind]

    def settings(self, cfg: RulesConfig) -> TriggerConfig:
        return getattr(cfg.triggers, self.kind)  # type: ignore[no-any-return]

    def detect(
        self, event: Event, state: AccountState, found: list[Trigger], ctx: Context
    ) -> list[Trigger]:
        raise NotImplementedError
