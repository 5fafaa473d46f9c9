"""``escalation-sync sync-once [--json]``: one full poll cycle, synchronously."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from pydantic import ValidationError

from connectors.errors import ConnectorError, FatalError
from rules.errors import InputError
from sync.commands.files import report
from sync.lock import LockHeld, RedisLock
from sync.observe import setup_logging
from sync.runtime import Runtime
from sync.settings import Settings


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--log-json", action="store_true", help="log JSON lines (default in containers)")


@contextmanager
def _progress(runtime: Runtime) -> Iterator[None]:
    """On a terminal, a live count of the tickets read (a first backfill can take minutes)."""
    if not sys.stderr.isatty():
        yield
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), transient=True) as bar:
        task = bar.add_task("reading tickets...", total=None)
        runtime.poller.progress = lambda n: bar.update(task, description=f"{n} tickets read")
        try:
            yield
        finally:
            runtime.poller.progress = None


def settings_or_exit() -> Settings | int:
    try:
        return Settings()  # type: ignore[call-arg]
    except ValidationError as exc:
        print("error: the settings are incomplete:", file=sys.stderr)
        for item in exc.errors(include_url=False):
            name = ".".join(str(x) for x in item["loc"]).upper() or "settings"
            print(f"  {name}: {item['msg']}", file=sys.stderr)
        return 2


def run(args: argparse.Namespace) -> int:
    setup_logging("INFO", as_json=True if args.log_json else None)
    settings = settings_or_exit()
    if isinstance(settings, int):
        return settings
    runtime = Runtime(settings)
    try:
        runtime.rules  # noqa: B018 - refuse a bad rules file before touching anything
        with RedisLock(runtime.redis, runtime.store.k.lock("cycle"), timeout=600), _progress(runtime):
            poll, flush = runtime.cycle()
    except InputError as exc:
        return report(exc)
    except LockHeld:
        print("another cycle is running; nothing done", file=sys.stderr)
        return 1
    except FatalError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ConnectorError as exc:
        print(f"temporary failure, try again: {exc}", file=sys.stderr)
        return 1
    result = {"poll": {k: v for k, v in poll.as_dict().items() if k != "decisions"},
              "decisions": poll.decisions, "write": flush.__dict__}
    if args.json:
        json.dump(result, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        p = result["poll"]
        print(f"cycle: {p['tickets_new']} new ticket versions, {p['health_samples']} health samples, "
              f"{p['events']} events -> {p['opened']} opened, {p['updated']} updated; "
              f"{len(p['unmatched'])} unmatched, {p['tickets_skipped']} skipped; "
              f"written {flush.written}, deferred {len(flush.deferred)} ({p['duration_s']} s)")
    return 0
