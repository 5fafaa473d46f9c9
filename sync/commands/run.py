"""``escalation-sync run``: the background service on one machine (a worker with beat)."""

from __future__ import annotations

import argparse

from sync.commands.sync_once import settings_or_exit


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--loglevel", default="INFO")
    parser.add_argument("--log-json", action="store_true", help="log JSON lines (default in containers)")
    parser.add_argument("--metrics-port", type=int, default=9108, help="Prometheus /metrics port (0: off)")


def run(args: argparse.Namespace) -> int:
    settings = settings_or_exit()
    if isinstance(settings, int):
        return settings
    import os

    os.environ.setdefault("REDIS_URL", settings.redis_url)
    os.environ.setdefault("POLL_INTERVAL_SECONDS", str(settings.poll_interval_seconds))
    os.environ.setdefault("METRICS_PORT", str(args.metrics_port))
    if args.log_json:
        os.environ["LOG_JSON"] = "1"
    from sync.app import app

    app.conf.broker_url = app.conf.result_backend = settings.redis_url
    app.worker_main(["worker", "--beat", f"--concurrency={args.concurrency}", f"--loglevel={args.loglevel}",
                     "--without-gossip", "--without-mingle"])
    return 0
