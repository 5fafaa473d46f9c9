"""The counters count what happened: every open (counted when decided, whatever its first flush
did), every SLA breach (not one per decision), and each once."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from connectors.errors import RetriableError
from sandbox.faults import Fault
from sync.metrics import StoreCollector
from sync.runtime import Runtime
from tests.faults.support import drive, quick_jira_retries
from tests.sync.conftest import settings_for
from tests.sync.outcome import expected


def samples(rt: Runtime) -> dict[str, float]:
    registry = CollectorRegistry()
    registry.register(StoreCollector(rt.store))
    text = generate_latest(registry).decode()
    return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
            if line and not line.startswith("#")}


def total(rt: Runtime, name: str) -> float:
    return sum(v for k, v in samples(rt).items() if k.startswith(f"escalation_sync_{name}_total"))


def test_an_open_whose_first_flush_fails_is_counted_once(sandbox, redis_url):
    rt = Runtime(settings_for(sandbox, redis_url))
    quick_jira_retries(rt)
    sandbox.faults.add(Fault("jira", status=500, count=20, path_contains="/issue"))  # the creates fail
    with pytest.raises(RetriableError):
        rt.cycle()
    assert rt.store.outbox(), "decided and committed, not written"
    assert total(rt, "escalations_opened") == len(expected(sandbox))  # counted at the commit
    sandbox.faults.clear()
    drive(rt)
    assert total(rt, "escalations_opened") == len(expected(sandbox))  # and not again when written
    assert total(rt, "triggers") >= len(expected(sandbox))  # what opened each one, counted with the open


def test_every_sla_breach_is_counted(sandbox, redis_url):
    rt = Runtime(settings_for(sandbox, redis_url), clock=sandbox.clock.now)
    drive(rt)
    rt.watch()  # going live: no deadline has passed since the epics exist
    sandbox.clock.advance(3 * 86400)  # then nobody acknowledges or updates for three days
    summary, _ = rt.watch()
    breaches = sum(len(e.breaches) for e in rt.store.escalations().values())
    assert summary.breaches == breaches > len([d for d in summary.made if d.action == "breach"])  # several per decision
    assert total(rt, "sla_breaches") == breaches
    rt.watch()  # nothing new: nothing counted again
    assert total(rt, "sla_breaches") == breaches


def test_metrics_say_when_each_part_last_did_its_job(sandbox, redis_url):
    from sync.liveness import mark_alive

    rt = Runtime(settings_for(sandbox, redis_url))
    rt.cycle()  # the poll's commit counts as its success
    mark_alive(rt.redis, "beat", 1700000000.0)
    got = {k: v for k, v in samples(rt).items() if k.startswith("escalation_sync_last_success_timestamp_seconds")}
    assert got['escalation_sync_last_success_timestamp_seconds{part="beat"}'] == 1700000000.0
    assert got['escalation_sync_last_success_timestamp_seconds{part="poll"}'] > 1700000000.0
