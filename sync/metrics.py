"""Prometheus metrics, read from Redis at scrape time (every worker's counts, one truth).

The decision counters (opened, updated, triggers, breaches) are counted where the decision
becomes durable: :func:`decision_counts` goes into the cycle's commit and is added to
``{ns}:metrics`` in the same MULTI/EXEC as the outbox (``CycleCommit.metrics``). So an open whose
first flush fails is counted once, when it is decided, and a cycle that crashes before its
commit counts nothing (its decisions are made again and counted then).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from sync.liveness import read_alive
from sync.state import Store

P = "escalation_sync"


def decision_counts(decisions: Iterable[Any]) -> Counter[str]:
    """The metric increments of decisions (the poll's and the lifecycle's): every open with its
    triggers, every update, and every SLA breach a decision acted on (not one per decision)."""
    counts: Counter[str] = Counter()
    for d in decisions:
        esc = d.escalation
        if d.action in ("open", "update"):
            counts[f"{'opened' if d.action == 'open' else 'updated'}|{esc.tier}|{esc.severity.label}"] += 1
        if d.action == "open":
            counts.update(f"triggers|{t.kind}" for t in esc.triggers)
        counts.update(f"breaches|{b.clock}" for b in getattr(d, "breaches", ()) or ())
    return counts


class StoreCollector(Collector):
    def __init__(self, store: Store):
        self.store = store

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        raw = {k.decode(): v.decode() for k, v in self.store.r.hgetall(self.store.k.metrics).items()}
        opened = CounterMetricFamily(f"{P}_escalations_opened", "Escalations opened", labels=["tier", "severity"])
        updated = CounterMetricFamily(f"{P}_escalations_updated", "Escalation updates", labels=["tier", "severity"])
        triggers = CounterMetricFamily(f"{P}_triggers", "Triggers that opened escalations, by kind", labels=["kind"])
        calls = CounterMetricFamily(f"{P}_api_calls", "API calls by system and HTTP status",
                                    labels=["system", "status"])
        breaches = CounterMetricFamily(f"{P}_sla_breaches", "SLA breaches acted on", labels=["clock"])
        duration = GaugeMetricFamily(f"{P}_cycle_duration_seconds", "Duration of the last cycle", labels=["source"])
        dismissed = CounterMetricFamily(f"{P}_dismissals", "Escalations people dismissed, by trigger kind that fired",
                                        labels=["kind"])  # i12
        for name, value in raw.items():
            parts = name.split("|")
            if parts[0] == "opened":
                opened.add_metric(parts[1:], float(value))
            elif parts[0] == "updated":
                updated.add_metric(parts[1:], float(value))
            elif parts[0] == "triggers":
                triggers.add_metric(parts[1:], float(value))
            elif parts[0] == "api_calls":
                calls.add_metric(parts[1:], float(value))
            elif parts[0] == "breaches":
                breaches.add_metric(parts[1:], float(value))
            elif parts[0] == "duration":
                duration.add_metric(parts[1:], float(value))
            elif parts[0] == "dismissed":
                dismissed.add_metric(parts[1:], float(value))
        yield from (opened, updated, triggers, calls, breaches, duration, dismissed)
        if "quota|total" in raw:
            quota = GaugeMetricFamily(f"{P}_salesforce_quota_remaining", "Salesforce daily API requests left")
            quota.add_metric([], float(raw["quota|total"]) - float(raw.get("quota|used", 0)))
            yield quota
        lag = GaugeMetricFamily(f"{P}_cursor_lag_seconds", "How far each source's cursor is behind now",
                                labels=["source"])
        now = datetime.now(UTC)
        for source, at in self.store.cursors().items():
            lag.add_metric([source], max(0.0, (now - at).total_seconds()))
        yield lag
        stats = self.store.stats()
        for name in ("unmatched", "skipped", "rules_reload_errors"):
            c = CounterMetricFamily(f"{P}_{name}", f"{name.replace('_', ' ').capitalize()}")
            c.add_metric([], float(stats.get(name, 0)))
            yield c
        open_by_tier = GaugeMetricFamily(f"{P}_open_escalations", "Open escalations by tier", labels=["tier"])
        tiers: dict[int, int] = {}
        for esc in self.store.escalations(self.store.open_ids()).values():
            tiers[esc.tier] = tiers.get(esc.tier, 0) + 1
        for tier, n in sorted(tiers.items()):
            open_by_tier.add_metric([str(tier)], n)
        yield open_by_tier
        last = GaugeMetricFamily(f"{P}_last_success_timestamp_seconds",
                                 "When each part last did its job (beat: tick; poll, watch, flush: completed)",
                                 labels=["part"])
        for part, at in sorted(read_alive(self.store.r, self.store.k).items()):
            last.add_metric([part], at)
        yield last
        up = GaugeMetricFamily(f"{P}_scrape_timestamp_seconds", "When these metrics were read")
        up.add_metric([], time.time())
        yield up


def serve(store: Store, port: int, addr: str = "0.0.0.0") -> None:
    """Expose ``/metrics`` on ``port`` in a background thread."""
    from prometheus_client import CollectorRegistry, start_http_server

    registry = CollectorRegistry()
    registry.register(StoreCollector(store))
    start_http_server(port, addr=addr, registry=registry)
