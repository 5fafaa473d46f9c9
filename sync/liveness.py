"""Liveness: when each part of the service last did its job, and whether that is too long ago.

A process that is up but does nothing is the failure nobody sees (the beat thread dead, the
worker waiting for tasks that never come). So every part stamps ``{ns}:alive`` when it has
*done* something: the beat on every tick, the worker when a poll, watch or flush completes
(a Celery ``task_success`` signal, so the tasks themselves stay as they are). ``status``,
``/metrics`` and ``escalation-sync health`` read the stamps; ``run`` restarts a part whose
stamp goes stale.

A part is stale when its stamp is older than ``STALE_FACTOR`` of its interval plus a slack:
one missed beat is normal (a long cycle, a retry), three are not.
"""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import redis

from sync.keys import Keys

ALIVE_BEAT = "beat"
ALIVE_WORKER = "worker"  # any task finished, whatever its outcome: the worker consumes
CYCLES = ("poll", "watch", "flush")
STALE_FACTOR = 3.0
SLACK_SECONDS = 30.0
BEAT_STALE_SECONDS = 60.0


def mark_alive(client: redis.Redis, part: str, at: float | None = None, keys: Keys | None = None) -> None:
    """Stamp ``part`` as having done its job now."""
    client.hset((keys or Keys()).alive, part, f"{time.time() if at is None else at:.3f}")


def read_alive(client: redis.Redis, keys: Keys | None = None) -> dict[str, float]:
    """Part -> epoch of its last success.

    A poll succeeded when its decisions and cursors were committed (the pipeline records that cycle
    in ``{ns}:cycle``), even if writing them failed afterwards (then the flush is what goes stale,
    and the poll task that raised never stamped): polling and writing are told apart.
    """
    k = keys or Keys()
    p = client.pipeline(transaction=False)
    p.hgetall(k.alive)
    p.hget(k.cycle, "poll")
    raw, cycle = p.execute()
    out = {name.decode(): float(v) for name, v in raw.items()}
    with contextlib.suppress(ValueError, TypeError, KeyError):
        info = json.loads(cycle) if cycle else {}
        if info.get("finished") and not info.get("error"):
            committed = datetime.fromisoformat(info["finished"]).timestamp()
            out["poll"] = max(out.get("poll", 0.0), committed)
    return out


def intervals_from_settings() -> dict[str, float]:
    """Each part's beat interval, from the settings ``celeryconfig`` reads (environment and ``.env``)."""
    from sync.settings import ServiceSettings

    s = ServiceSettings()
    return {"poll": s.poll_interval_seconds, "flush": s.flush_interval_seconds,
            "watch": s.sla_watch_interval_seconds}


@dataclass(frozen=True)
class PartHealth:
    part: str
    last: float | None  # epoch, None: never
    limit: float  # seconds
    age: float | None

    @property
    def ok(self) -> bool:
        return self.age is not None and self.age <= self.limit

    def line(self) -> str:
        when = "never" if self.age is None else f"{self.age:.0f} s ago"
        return f"{'ok   ' if self.ok else 'STALE'} {self.part:<7} last success {when} (limit {self.limit:.0f} s)"

    def as_dict(self) -> dict[str, Any]:
        return {"part": self.part, "ok": self.ok, "last": self.last, "age_seconds": self.age,
                "limit_seconds": self.limit}


def assess(alive: dict[str, float], now: float, role: str = "all",
           intervals: dict[str, float] | None = None) -> list[PartHealth]:
    """The health of the parts a role is responsible for (``worker``, ``beat`` or ``all``)."""
    intervals = intervals or intervals_from_settings()
    parts: list[tuple[str, float]] = []
    if role in ("beat", "all"):
        parts.append((ALIVE_BEAT, BEAT_STALE_SECONDS))
    if role in ("worker", "all"):
        parts += [(name, STALE_FACTOR * intervals[name] + SLACK_SECONDS) for name in CYCLES]
    out = []
    for part, limit in parts:
        last = alive.get(part)
        out.append(PartHealth(part, last, limit, None if last is None else max(0.0, now - last)))
    return out


# --- the worker's stamps, from Celery signals ------------------------------------------------

_client: redis.Redis | None = None


def _redis() -> redis.Redis:
    global _client
    if _client is None:
        from sync.app import app

        _client = redis.Redis.from_url(app.conf.broker_url, socket_timeout=5, socket_connect_timeout=5)
    return _client


def on_task_success(sender: Any = None, result: Any = None, **_: Any) -> None:
    """A cycle that returned its summary did its job ("busy" or an error recorded does not count)."""
    name = str(getattr(sender, "name", "")).rpartition(".")[2]
    if name in CYCLES and isinstance(result, dict) and "error" not in result:
        with contextlib.suppress(redis.RedisError):  # best effort; the next success stamps again
            mark_alive(_redis(), name)


def on_task_postrun(**_: Any) -> None:
    with contextlib.suppress(redis.RedisError):
        mark_alive(_redis(), ALIVE_WORKER)


def connect() -> None:
    """Hook the stamps into Celery (``sync.app`` calls this once)."""
    from celery.signals import task_postrun, task_success

    task_success.connect(on_task_success, weak=False)
    task_postrun.connect(on_task_postrun, weak=False)
