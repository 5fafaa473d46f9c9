"""Network latency for the sandbox's API calls: a mean and a seeded jitter per system.

The sandbox answers in about a millisecond, which hides what a writer does at a real
cloud-to-cloud round trip (~100 ms): one call at a time costs 100 ms a call. With a latency
set, every API call of a system waits half of a sampled delay on the way in (before the
service sees the request, so the state changes mid-call, as on a real network) and half on the
way out. The waits are ``asyncio.sleep`` on the servers' event loop, so concurrent calls overlap
as they would on a network: N parallel calls take about one delay, not N.

Set with ``escalation-sync sandbox --latency-ms MEAN[:JITTER]``, ``Sandbox(latency_ms=...,
jitter_ms=...)``, or at run time ``PUT /latency`` / ``PUT /faults`` with
``{"latency_ms": 100, "jitter_ms": 20}`` (optionally ``"system": "jira"``).
"""

from __future__ import annotations

import random
import threading
from typing import Any

SYSTEMS = ("salesforce", "jira")


def parse_latency(text: str) -> tuple[float, float]:
    """``"100"`` -> (100, 0); ``"100:20"`` -> (100, 20); a clear error naming the flag otherwise."""
    mean, _, jitter = str(text).partition(":")
    try:
        values = float(mean), float(jitter or 0)
    except ValueError:
        raise ValueError(f"--latency-ms: expected MEAN[:JITTER] in milliseconds, got {text!r}") from None
    if values[0] < 0 or values[1] < 0:
        raise ValueError(f"--latency-ms: milliseconds cannot be negative, got {text!r}")
    return values


class Latency:
    """The delay in force per system; thread-safe (the admin thread sets, the loop samples).

    A delay is drawn uniformly from ``[mean - jitter, mean + jitter]`` (never below 0) by one
    seeded generator, so a run with the same seed and the same call order sees the same delays.
    """

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self._by_system: dict[str, tuple[float, float]] = {}

    def set(self, mean_ms: float, jitter_ms: float = 0.0, system: str | None = None) -> None:
        if system is not None and system not in SYSTEMS:
            raise ValueError(f"system: must be one of {', '.join(SYSTEMS)}")
        mean, jitter = float(mean_ms), float(jitter_ms)
        if mean < 0 or jitter < 0:
            raise ValueError("latency_ms and jitter_ms: cannot be negative")
        with self._lock:
            for name in (system,) if system else SYSTEMS:
                if mean == 0 and jitter == 0:
                    self._by_system.pop(name, None)
                else:
                    self._by_system[name] = (mean, jitter)

    def set_from_json(self, data: dict[str, Any]) -> None:
        """``{"latency_ms", "jitter_ms"?, "system"?}``; errors name the field."""
        try:
            mean = float(data.get("latency_ms", 0))
            jitter = float(data.get("jitter_ms", 0))
        except (TypeError, ValueError):
            raise ValueError("latency_ms and jitter_ms: must be numbers of milliseconds") from None
        self.set(mean, jitter, data.get("system"))

    def seconds(self, system: str) -> float:
        """One sampled round-trip delay for a call to ``system``, in seconds."""
        with self._lock:
            found = self._by_system.get(system)
            if found is None:
                return 0.0
            mean, jitter = found
            ms = mean + (self._random.uniform(-jitter, jitter) if jitter else 0.0)
        return max(0.0, ms) / 1000

    def to_json(self) -> dict[str, Any]:
        with self._lock:
            return {name: {"latency_ms": self._by_system.get(name, (0.0, 0.0))[0],
                           "jitter_ms": self._by_system.get(name, (0.0, 0.0))[1]} for name in SYSTEMS}
