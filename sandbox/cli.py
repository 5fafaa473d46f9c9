"""``escalation-sync sandbox``: serve the emulated Salesforce and Jira until stopped.

With ``--print-env`` the settings come out on stdout as ``export NAME=value`` lines, so
``eval "$(escalation-sync sandbox --print-env &)"``-style wrappers or a copy-paste point the
connector at the sandbox; everything else goes to stderr.
"""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import threading

from rules.errors import InputError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--book", help="book of business (YAML/JSON); default: a bundled book")
    parser.add_argument("--port", type=int, default=0,
                        help="Salesforce port (Jira N+1, admin N+2); default: ephemeral ports")
    parser.add_argument("--print-env", action="store_true",
                        help="print eval-able `export NAME=value` lines for the connector")
    parser.add_argument("--flavour", choices=("cloud", "datacenter"), default="cloud",
                        help="Jira flavour to emulate (default: cloud)")
    parser.add_argument("--search-lag", type=float, default=0.0, metavar="SECONDS",
                        help="delay before Jira search sees a write (default: 0)")
    parser.add_argument("--latency-ms", default="0", metavar="MEAN[:JITTER]",
                        help="every API call of both systems takes MEAN +- JITTER ms, concurrent calls "
                        "overlapping as on a network (seeded; default 0; PUT /latency changes it)")
    parser.add_argument("--jira-limits", choices=("off", "cloud-2026"), default="off",
                        help="emulate Jira Cloud's 2026 burst and per-issue write limits (sandbox/jira_limits.py; "
                        "default off; PUT /jira-limits tunes them)")
    parser.add_argument("--jira-429-body", choices=("html", "json"), default="html",
                        help="body of a Jira 429: Jira Cloud's HTML page (default) or JSON errorMessages")
    parser.add_argument("--no-retry-after", action="store_true",
                        help="the Jira limits answer 429 without a Retry-After header")


def env_lines(env: dict[str, str]) -> str:
    return "".join(f"export {name}={shlex.quote(value)}\n" for name, value in env.items())


def run(args: argparse.Namespace) -> int:
    from sandbox.latency import parse_latency
    from sandbox.server import Sandbox

    try:
        latency, jitter = parse_latency(args.latency_ms)
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    limits: dict[str, object] = {"body": args.jira_429_body}
    if args.jira_limits != "off":
        limits["profile"] = args.jira_limits
    if args.no_retry_after:
        limits["retry_after"] = False
    try:
        sandbox = Sandbox(args.book, flavour=args.flavour, port=args.port,
                          search_lag_seconds=args.search_lag, latency_ms=latency, jitter_ms=jitter,
                          jira_limits=limits)
    except InputError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"cannot read the book: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    # Both signals stop it, whatever the parent left them as (a shell's background job
    # inherits SIGINT as ignored, and then Python raises no KeyboardInterrupt).
    previous = signal.signal(signal.SIGTERM, on_signal)
    previous_int = signal.signal(signal.SIGINT, on_signal)
    try:
        sandbox.start()
    except OSError as exc:
        print(f"cannot start the sandbox: {exc}", file=sys.stderr)
        return 1
    try:
        if args.print_env:
            sys.stdout.write(env_lines(sandbox.env()))
            sys.stdout.flush()
        extra = f", latency {latency:g}+-{jitter:g} ms" if latency or jitter else ""
        extra += f", Jira limits {args.jira_limits}" if args.jira_limits != "off" else ""
        print(f"sandbox up in {sandbox.startup_seconds:.2f}s: Salesforce {sandbox.salesforce_url}"
              f", Jira {sandbox.jira_url} ({args.flavour}), admin {sandbox.admin_url}{extra}; "
              "Ctrl-C to stop", file=sys.stderr, flush=True)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, previous_int)
        print("sandbox stopped", file=sys.stderr)
    return 0
