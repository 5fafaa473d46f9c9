"""Measure the sandbox: start-up time and requests per second for simple calls.

``python -m sandbox.bench [--seconds 3] [--starts 5]`` pins the process to one CPU (when the
OS allows it), so the server thread and the client share one core, and prints JSON:
``{"startup_ms": {...}, "rps": {"jira_server_info": n, "salesforce_soql": n, ...}}``.
The clients are plain keep-alive ``requests`` sessions, as the connector's clients use.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import requests

from sandbox.server import Sandbox
from sandbox.testing import SandboxSession


def measure_startup(starts: int = 5) -> dict[str, float]:
    """Milliseconds from ``Sandbox()`` (book parsed and loaded) to serving, per start."""
    times = []
    for _ in range(starts):
        began = time.perf_counter()
        sb = Sandbox().start()
        times.append((time.perf_counter() - began) * 1000)
        sb.stop()
    return {"min": round(min(times), 1), "median": round(statistics.median(times), 1),
            "max": round(max(times), 1)}


def _rate(call: Callable[[], Any], seconds: float) -> float:
    call()  # warm the connection
    n, began = 0, time.perf_counter()
    while time.perf_counter() - began < seconds:
        call()
        n += 1
    return round(n / (time.perf_counter() - began), 1)


def measure_rps(sb: Sandbox, seconds: float = 3.0) -> dict[str, float]:
    env = sb.env()
    jira = requests.Session()
    jira.trust_env = False
    jira.auth = (env["JIRA_EMAIL"], env["JIRA_API_TOKEN"])
    sf = SandboxSession(sb, rewrite_login=False)
    sf.headers["Authorization"] = f"Bearer {sb.issue_token()}"
    soql = {"q": "SELECT Id, Name, Health_Score__c FROM Account WHERE Segment__c = 'enterprise'"}

    def ok(r: requests.Response) -> None:
        r.raise_for_status()

    out = {
        "jira_server_info": _rate(lambda: ok(jira.get(f"{sb.jira_url}/rest/api/2/serverInfo")),
                                  seconds),
        "jira_get_issue": _rate(lambda: ok(jira.get(f"{sb.jira_url}/rest/api/2/issue/SUP-101")),
                                seconds),
        "salesforce_soql": _rate(lambda: ok(sf.get(
            f"{sb.salesforce_url}/services/data/v59.0/query/", params=soql)), seconds),
    }
    sb.set_api_budget(used=0)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox.bench", description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--starts", type=int, default=5)
    args = parser.parse_args(argv)
    pinned = False
    if hasattr(os, "sched_setaffinity"):
        try:
            os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
            pinned = True
        except OSError:
            pass
    result: dict[str, Any] = {"one_core": pinned, "startup_ms": measure_startup(args.starts)}
    with Sandbox(daily_api_limit=10**9) as sb:
        result["rps"] = measure_rps(sb, args.seconds)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
