"""Observability: shared counters in Redis, structured (JSON) logs.

Counters live in Redis (``{ns}:metrics``), not in process memory, so every Celery worker
process adds to the same numbers and the exporter (:mod:`sync.metrics`) reads one truth.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, datetime
from typing import Any

import redis

from connectors.calls import drain


def flush_counts(client: redis.Redis, key: str) -> None:
    """Move this process's API-call counts into the shared Redis hash."""
    counts = drain()
    if counts:
        p = client.pipeline()
        for (system, status), n in counts.items():
            p.hincrby(key, f"api_calls|{system}|{status}", n)
        p.execute()


def incr(client: redis.Redis, key: str, values: dict[str, int]) -> None:
    if values:
        p = client.pipeline()
        for name, n in values.items():
            if n:
                p.hincrby(key, name, n)
        p.execute()


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and any ``extra`` fields."""

    _skip = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage(),
        }
        out.update({k: v for k, v in record.__dict__.items() if k not in self._skip})
        if record.exc_info:
            out["error"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


def setup_logging(level: str = "INFO", as_json: bool | None = None) -> None:
    """Plain lines on a terminal; JSON with ``--log-json``, ``LOG_JSON=1`` or in a container."""
    if as_json is None:
        as_json = os.environ.get("LOG_JSON", "").lower() in ("1", "true", "yes") or os.path.exists("/.dockerenv")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if as_json else logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
