"""``escalation-sync run`` keeps its parts alive: a Celery worker and a beat, each its own process.

Never a live process that does nothing: when the worker or the beat exits, it is started again
(with a short back-off); when the beat is up but its liveness stamp (:mod:`sync.liveness`) goes
stale while Redis answers, or the worker finishes no task for longer than a task may run while
tasks wait in its queues, it is killed and started again; when parts keep dying
(``max_restarts`` within ``window`` seconds) ``run`` stops everything and exits non-zero, so the
supervisor above it (docker ``restart:``, systemd ``Restart=``) restarts the whole service.

Locks name their holder (``host:pid:start-time:random``), so a restarted service clears the
locks its own dead processes left behind at once instead of waiting for them to expire: a crash
loop faster than a lock's lifetime still makes progress. A lock of another host, or of a live
process, is never touched.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import redis

from sync.keys import QUEUES, Keys, queue_lists

log = logging.getLogger("escalation_sync.run")


# --- lock holders ----------------------------------------------------------------------------

def _start_time(pid: int) -> str | None:
    """The process's start time (clock ticks since boot): a reused pid has another one."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            return f.read().rpartition(")")[2].split()[19]
    except (OSError, IndexError):
        return None


def holder_token() -> str:
    """A lock token naming this process: ``host:pid:start-time:random``."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{_start_time(pid) or '?'}:{secrets.token_hex(6)}"


def holder_dead(token: str, host: str | None = None) -> bool:
    """True only if ``token`` names a process of this host that no longer runs."""
    parts = token.split(":")
    if len(parts) != 4 or parts[0] != (host or socket.gethostname()) or not parts[1].isdigit():
        return False
    started = _start_time(int(parts[1]))
    return started is None or (parts[2] != "?" and started != parts[2])


def clear_dead_locks(client: redis.Redis, keys: Keys | None = None) -> list[str]:
    """Delete the locks held by dead processes of this host (WATCH: a lock taken meanwhile stays)."""
    cleared = []
    for key in client.scan_iter(match=f"{(keys or Keys()).lock('*')}", count=100):
        def drop(pipe: redis.client.Pipeline, key: bytes = key) -> None:
            raw = pipe.get(key)
            if raw is not None and holder_dead(raw.decode(errors="replace")):
                pipe.multi()
                pipe.delete(key)
                cleared.append(key.decode())

        client.transaction(drop, key)
    for key in cleared:
        log.info("cleared %s: its holder on this host is gone", key)
    return cleared


# --- the supervisor ----------------------------------------------------------------------------

def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """A part never outlives ``run`` (SIGKILLed, OOM-killed): Linux sends it SIGTERM then."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class Part:
    name: str
    argv: list[str]
    proc: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    restarts: deque[float] = field(default_factory=deque)


class Supervisor:
    """Runs the parts, restarts a dead or stale one, gives up (exit 1) when they keep dying."""

    def __init__(self, parts: Mapping[str, list[str]], client: redis.Redis, *, env: Mapping[str, str] | None = None,
                 max_restarts: int = 5, window: float = 300.0, beat_stale: float | None = None,
                 worker_stale: float | None = None, queues: tuple[str, ...] = QUEUES,
                 keys: Keys | None = None, clock: Callable[[], float] = time.monotonic):
        from sync.liveness import BEAT_STALE_SECONDS

        self.parts = {name: Part(name, list(argv)) for name, argv in parts.items()}
        self.client, self.env, self.keys, self.clock = client, dict(env or os.environ), keys or Keys(), clock
        self.max_restarts, self.window = max_restarts, window
        self.beat_stale = BEAT_STALE_SECONDS if beat_stale is None else beat_stale
        # a task may run up to its time limit; past that plus two minutes with tasks waiting, it is wedged
        limit = float(self.env.get("TASK_TIME_LIMIT_SECONDS") or 900)
        self.worker_stale = limit + 120 if worker_stale is None else worker_stale
        self.queues = queues
        self.redis_up_since: float | None = None
        self.stopping = False

    def _spawn(self, part: Part) -> None:
        with contextlib.suppress(redis.RedisError):
            clear_dead_locks(self.client, self.keys)
        part.proc = subprocess.Popen(part.argv, env=self.env, preexec_fn=_die_with_parent)  # noqa: PLW1509
        part.started = self.clock()
        log.info("started %s (pid %d)", part.name, part.proc.pid)

    def start(self) -> None:
        for part in self.parts.values():
            self._spawn(part)

    def _redis_up(self) -> bool:
        try:
            self.client.ping()
        except redis.RedisError:
            self.redis_up_since = None
            return False
        if self.redis_up_since is None:
            self.redis_up_since = self.clock()
        return True

    def _beat_stale(self, part: Part) -> bool:
        """The beat runs but has not ticked for ``beat_stale`` s although Redis answers (wedged)."""
        from sync.liveness import ALIVE_BEAT, read_alive

        now = self.clock()
        if (not self._redis_up() or self.redis_up_since is None or now - self.redis_up_since < self.beat_stale
                or now - part.started < self.beat_stale):
            return False
        try:
            last = read_alive(self.client, self.keys).get(ALIVE_BEAT)
        except redis.RedisError:
            return False
        return last is None or time.time() - last > self.beat_stale

    def _worker_stale(self, part: Part) -> bool:
        """The worker runs but has finished no task for ``worker_stale`` s while tasks wait for it."""
        from sync.liveness import ALIVE_WORKER, read_alive

        now = self.clock()
        if (not self._redis_up() or self.redis_up_since is None or now - self.redis_up_since < self.worker_stale
                or now - part.started < self.worker_stale):
            return False
        try:
            if not any(self.client.llen(key) for q in self.queues for key in queue_lists(q)):
                return False
            last = read_alive(self.client, self.keys).get(ALIVE_WORKER)
        except redis.RedisError:
            return False
        return last is None or time.time() - last > self.worker_stale

    def step(self) -> int | None:
        """One pass: restart what died or wedged; an exit code when ``run`` must give up."""
        now = self.clock()
        for part in self.parts.values():
            assert part.proc is not None
            code = part.proc.poll()
            why = f"exited with {code}" if code is not None else None
            if why is None and part.name == "beat" and self._beat_stale(part):
                why = f"stale: no tick for more than {self.beat_stale:.0f} s"
            elif why is None and part.name == "worker" and self._worker_stale(part):
                why = f"stale: tasks waiting and none finished for more than {self.worker_stale:.0f} s"
            if why is not None and code is None:
                part.proc.kill()
                part.proc.wait(10)
            if why is None:
                continue
            while part.restarts and now - part.restarts[0] > self.window:
                part.restarts.popleft()
            if len(part.restarts) >= self.max_restarts:
                log.error("%s %s; %d restarts in %.0f s: giving up so the service is restarted whole",
                          part.name, why, len(part.restarts), self.window)
                return 1
            part.restarts.append(now)
            log.error("%s %s; starting it again (restart %d)", part.name, why, len(part.restarts))
            time.sleep(min(2 ** (len(part.restarts) - 1) * 0.5, 10))
            self._spawn(part)
        return None

    def stop(self, grace: float = 120.0) -> None:
        """SIGTERM to every part (the worker finishes its task, the beat gives its lock up), then SIGKILL."""
        self.stopping = True
        live = [p.proc for p in self.parts.values() if p.proc is not None and p.proc.poll() is None]
        for proc in live:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for proc in live:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)

    def run(self, every: float = 1.0, grace: float = 120.0) -> int:
        """Supervise until SIGTERM/SIGINT (exit 0) or until the parts keep dying (exit 1)."""
        def on_signal(signum: int, _: object) -> None:
            self.stopping = True

        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, on_signal)
        self.start()
        code = 0
        try:
            while not self.stopping:
                result = self.step()
                if result is not None:
                    code = result
                    break
                time.sleep(every)
        finally:
            self.stop(grace)
        return code


def celery_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "sync.app", *args]
