"""``escalation-sync health``: exit 0 when the service is doing its job, 1 when it is not.

Made for container health checks (docker-compose.yml uses it for the worker and the beat) and
for monitoring: Redis must answer, and each part's last success (:mod:`sync.liveness`) must be
recent: the beat's last tick (``--role beat``), the last completed poll, watch and flush
(``--role worker``), or all of them (default). It reads Redis only; no API call.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--role", choices=("all", "worker", "beat"), default="all",
                        help="which parts to check (default: all)")
    parser.add_argument("--json", action="store_true", help="print the checks as JSON")


def run(args: argparse.Namespace) -> int:
    import redis

    from sync.liveness import assess, read_alive

    url = os.environ.get("REDIS_URL") or _settings_redis_url()
    try:
        alive = read_alive(redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5))
    except redis.RedisError as exc:
        print(f"STALE redis   not reachable at {url.split('@')[-1]}: {exc}", file=sys.stderr)
        return 1
    checks = assess(alive, time.time(), args.role)
    if args.json:
        json.dump({"ok": all(c.ok for c in checks), "checks": [c.as_dict() for c in checks]}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for check in checks:
            print(check.line())
    return 0 if all(c.ok for c in checks) else 1


def _settings_redis_url() -> str:
    """REDIS_URL from ``.env`` (as the settings read it) without requiring the API credentials."""
    from dotenv import dotenv_values

    from sync.settings import Settings

    return dotenv_values(".env").get("REDIS_URL") or str(Settings.model_fields["redis_url"].default)
