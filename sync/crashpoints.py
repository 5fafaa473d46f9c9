"""Named points on the poll-and-write path where a test can kill the process, or act.

The pipeline and the writer call :func:`crashpoint` at every step whose interruption leaves a
different state behind (decided but not committed, committed but not written, an intent but no
issue, an issue but no recorded key, ...). In production the call is one environment lookup.

- ``ESCALATION_SYNC_CRASH_AT=<name>`` makes the process ``SIGKILL`` itself at that point: no
  ``finally``, no ``atexit``, no flushed buffers, as a power cut or the OOM killer would.
- ``ESCALATION_SYNC_CRASH_ONCE=<dir>`` makes that a one-shot: the first process to reach the
  point creates ``<dir>/<name>`` (atomically) and dies; every later one finds the marker and
  goes on, so a redelivered task or a fresh worker recovers instead of dying again.
- In process, :func:`hooked` runs a function at a point (tests: expire the Salesforce tokens
  between the Jira and the Salesforce writes, restart Redis between commit and flush, ...).

``POINTS`` lists every point in the order a full cycle reaches them.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager

CRASH_AT = "ESCALATION_SYNC_CRASH_AT"
CRASH_ONCE = "ESCALATION_SYNC_CRASH_ONCE"

POINTS = (
    "pipeline.after_decide",           # decisions made in memory, nothing committed
    "pipeline.after_commit",           # decisions, intents, outbox and cursors committed; nothing written
    "writes.after_intents",            # epic create marks recorded, no epic created
    "writes.after_epic_create",        # epics exist in Jira (links inside), their keys recorded nowhere
    "writes.after_epics_recorded",     # epic keys in the index, no record yet
    "writes.after_salesforce_upsert",  # Escalation__c records upserted; no notification, no plan task
    "writes.after_step_intents",       # plan-task create marks recorded, no task created
    "writes.after_step_create",        # plan tasks exist in Jira, their keys recorded nowhere
    "writes.after_jira_updates",       # epic fields, comments, watchers, links done; outbox not finished
    "writes.before_finish",            # the first escalation's index saved, its outbox entry kept
)

_hooks: dict[str, list[Callable[[], None]]] = {}


def crashpoint(name: str) -> None:
    """Run the hooks of ``name``, then die here if the environment asks for it."""
    for hook in list(_hooks.get(name, ())):
        hook()
    if os.environ.get(CRASH_AT) != name:
        return
    once = os.environ.get(CRASH_ONCE)
    if once:
        try:
            fd = os.open(os.path.join(once, name), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return
        os.write(fd, str(os.getpid()).encode())
        os.fsync(fd)
        os.close(fd)
    os.kill(os.getpid(), signal.SIGKILL)


@contextmanager
def hooked(name: str, fn: Callable[[], None]) -> Iterator[None]:
    """Call ``fn`` whenever ``name`` is reached inside the ``with`` block (this process only)."""
    if name not in POINTS:
        raise ValueError(f"unknown crash point {name!r}; known: {', '.join(POINTS)}")
    _hooks.setdefault(name, []).append(fn)
    try:
        yield
    finally:
        _hooks[name].remove(fn)
