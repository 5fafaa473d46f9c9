"""Counting API calls per system and HTTP status, in this process (the shell ships the counts
to Redis, where every worker's counts add up)."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import requests

_calls: Counter[tuple[str, int]] = Counter()
_lock = threading.Lock()


def count_call(system: str, status: int) -> None:
    with _lock:
        _calls[(system, status)] += 1


def response_hook(system: str) -> Any:
    """A requests response hook counting each answer of ``system`` by status."""
    def hook(response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        count_call(system, response.status_code)
        return response
    return hook


def drain() -> dict[tuple[str, int], int]:
    """The counts since the last drain, and reset them."""
    with _lock:
        out = dict(_calls)
        _calls.clear()
    return out
