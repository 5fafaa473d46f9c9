"""``health_drop``: the health score falls N points below the window's highest score."""

from __future__ import annotations

from operator import attrgetter

from rules.events import Event, HealthScored
from rules.models import HealthSample, Trigger
from rules.state import AccountState
from rules.triggers.base import Context, TriggerKindBase


class HealthDrop(TriggerKindBase):
    """One trigger per window: a slide over several days is one drop, not one per sample.

    A sample is checked as the low point (against the highest score of the window before it)
    and, when it arrives late, as the high point of samples already seen after it.
    """

    kind = "health_drop"
    events = (HealthScored,)
    detect_only = frozenset({"points", "window"})
    contact = False  # a score, not the customer reaching out

    def detect(
        self, event: Event, state: AccountState, found: list[Trigger], ctx: Context
    ) -> list[Trigger]:
        if not isinstance(event, HealthScored):
            return []
        cfg = ctx.cfg.triggers.health_drop
        samples = sorted(state.health, key=_AT)
        lows = [s for s in samples if event.at <= s.at <= event.at + cfg.window]
        for low in lows:
            before = [s for s in samples if low.at - cfg.window <= s.at < low.at]
            if not before:
                continue
            high = max(before, key=lambda s: (s.score, s.at))
            if high.score - low.score >= cfg.points and not self._recent(state, low, ctx):
                return [self._trigger(event.account, high, low)]
        return []

    def _recent(self, state: AccountState, low: HealthSample, ctx: Context) -> bool:
        window = ctx.cfg.triggers.health_drop.window
        return any(
            ident.startswith(f"{self.kind}:") and abs(low.at - at) < window
            for ident, at in state.fired.items()
        )

    def _trigger(self, account: str, high: HealthSample, low: HealthSample) -> Trigger:
        drop = high.score - low.score
        return Trigger(
            id=f"{self.kind}:{low.at.isoformat()}", kind=self.kind, account=account, at=low.at,
            reason=f"health {low.score:g} is {drop:g} points below {high.score:g} "
            f"({high.at:%Y-%m-%d %H:%M})",
        )


_AT = attrgetter("at")
