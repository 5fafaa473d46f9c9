"""``escalation-sync run``: the background service on one machine: a Celery worker and a beat,
each its own process, supervised (:mod:`sync.supervise`): a part that dies or wedges is started
again; parts that keep dying make ``run`` exit 1, so the supervisor above restarts the service."""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile

from sync.commands.sync_once import settings_or_exit


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--loglevel", default="INFO")
    parser.add_argument("--log-json", action="store_true", help="log JSON lines (default in containers)")
    parser.add_argument("--metrics-port", type=int, default=9108, help="Prometheus /metrics port (0: off)")
    parser.add_argument("--max-restarts", type=int, default=5,
                        help="restarts of one part within --restart-window before run exits 1 (default 5)")
    parser.add_argument("--restart-window", type=float, default=300.0, help="seconds (default 300)")


def run(args: argparse.Namespace) -> int:
    settings = settings_or_exit()
    if isinstance(settings, int):
        return settings
    import redis

    from sync.observe import setup_logging
    from sync.supervise import Supervisor, celery_argv

    setup_logging(args.loglevel, as_json=True if args.log_json else None)
    env = dict(os.environ)
    env.setdefault("REDIS_URL", settings.redis_url)
    env.setdefault("POLL_INTERVAL_SECONDS", str(settings.poll_interval_seconds))
    env.setdefault("METRICS_PORT", str(args.metrics_port))
    if args.log_json:
        env["LOG_JSON"] = "1"
    home = tempfile.mkdtemp(prefix="escalation-sync-beat-")  # this run's beat schedule file
    parts = {
        "worker": celery_argv("worker", f"--concurrency={args.concurrency}", f"--loglevel={args.loglevel}",
                              "--without-gossip", "--without-mingle", "--hostname=escalation-sync@%h"),
        "beat": celery_argv("beat", f"--loglevel={args.loglevel}", f"--schedule={home}/celerybeat-schedule"),
    }
    client = redis.Redis.from_url(env["REDIS_URL"], socket_timeout=5, socket_connect_timeout=5)
    try:
        return Supervisor(parts, client, env=env, max_restarts=args.max_restarts,
                          window=args.restart_window).run()
    finally:
        shutil.rmtree(home, ignore_errors=True)
