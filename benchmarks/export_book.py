"""``export-book`` against the sandbox with network latency: calls made, time, each process's CPU.

    python benchmarks/export_book.py --tickets 100000 --accounts 5000 --latency-ms 100

Measures what a user runs, in two processes as in life: the sandbox (``escalation-sync sandbox
--book FILE --latency-ms N``, standing in for Salesforce and Jira) serves a generated book
(benchmarks/generate.py's shape, seed 3), and ``escalation-sync export-book --since DAYS+1d
--out FILE`` reads it through the real connectors. Every API call of both systems takes
``--latency-ms``. Printed as JSON: the calls by system and kind (from the sandbox's request log),
the export's wall time, the CPU seconds of the export process and of the sandbox process while
the export ran, when each system's calls began and ended (seconds from the first call), the
export's peak memory, and the load average before and after. ``--code DIR``
runs another checkout's code (both processes), for before/after figures on the same machine.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from collections import Counter
from typing import Any
from urllib.parse import parse_qs

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from benchmarks.generate import generate  # noqa: E402

KINDS = (  # (system, path pattern, kind), first match wins
    ("jira", r"/search/jql$|/search$", "search page"),
    ("jira", r"/field$", "field list"),
    ("jira", r"/issue/[^/]+/comment$", "comment page"),
    ("jira", r"/issue/[^/]+/changelog$", "changelog page"),
    ("jira", r"/myself$|/serverInfo$", "whoami"),
    ("salesforce", r"/oauth2/token$", "token"),
    ("salesforce", r"/query/?$", "query"),
    ("salesforce", r"/query/[^/]+$", "query more"),
    ("salesforce", r"/sobjects/", "describe"),
)


def kind_of(entry: dict[str, Any]) -> str:
    for system, pattern, kind in KINDS:
        if entry["system"] == system and re.search(pattern, entry["path"]):
            if kind == "query":
                soql = " ".join(parse_qs(entry.get("query") or "").get("q", []))
                sobject = re.search(r"\bFROM\s+(\w+)", soql, re.I)
                return f"query {sobject.group(1) if sobject else '?'}"
            return kind
    return f"{entry['method']} {entry['path']}"


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a running process (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_sandbox(book: str, latency_ms: float, code: str) -> tuple[subprocess.Popen[str], dict[str, str]]:
    proc = subprocess.Popen([sys.executable, "-m", "sync.cli", "sandbox", "--book", book, "--print-env",
                             "--latency-ms", f"{latency_ms:g}"], cwd=code, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env={**os.environ, "PYTHONPATH": code})
    env: dict[str, str] = {}
    assert proc.stdout is not None
    for line in proc.stdout:
        name, _, value = line.removeprefix("export ").strip().partition("=")
        env[name] = shlex.split(value)[0] if value else ""
        if name == "SANDBOX_ADMIN_URL":
            break
    if "SANDBOX_ADMIN_URL" not in env:
        proc.kill()
        raise SystemExit("the sandbox did not start")
    return proc, env


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tickets", type=int, default=100_000)
    p.add_argument("--accounts", type=int, default=5_000)
    p.add_argument("--components", type=int, default=20)
    p.add_argument("--days", type=int, default=90)
    p.add_argument("--latency-ms", type=float, default=100)
    p.add_argument("--format", choices=("json", "jsonl"), default="jsonl")
    p.add_argument("--code", default=ROOT, help="checkout whose code both processes run (default: this one)")
    a = p.parse_args()
    code = os.path.abspath(a.code)
    with tempfile.TemporaryDirectory() as tmp:
        book = os.path.join(tmp, "book.json")
        with open(book, "w") as f:
            json.dump(generate(a.tickets, a.accounts, days=a.days, components=a.components, seed=3), f)
        sandbox, env = start_sandbox(book, a.latency_ms, code)
        try:
            admin = env["SANDBOX_ADMIN_URL"]
            http = requests.Session()
            http.trust_env = False
            http.delete(f"{admin}/requests", timeout=30).raise_for_status()
            out = os.path.join(tmp, f"out.{a.format}")
            run_env = {**os.environ, **env, "PYTHONPATH": code, "REDIS_URL": "redis://127.0.0.1:1/0",
                       "JIRA_SEARCH_SETTLE_SECONDS": "0", "HTTP_TIMEOUT_SECONDS": "60"}
            load_before = os.getloadavg()
            sandbox_cpu = cpu_seconds(sandbox.pid)
            started = time.perf_counter()
            export = subprocess.Popen([sys.executable, "-m", "sync.cli", "export-book", "--since", f"{a.days + 1}d",
                                       "--out", out], cwd=code, env=run_env, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.PIPE, text=True)
            _, status, usage = os.wait4(export.pid, 0)
            took = time.perf_counter() - started
            sandbox_cpu = cpu_seconds(sandbox.pid) - sandbox_cpu
            load_after = os.getloadavg()
            assert export.stderr is not None
            said = export.stderr.read().strip().splitlines()
            if os.waitstatus_to_exitcode(status) != 0:
                raise SystemExit("export-book failed:\n" + "\n".join(said[-20:]))
            log = http.get(f"{admin}/requests", params={"bodies": "0"}, timeout=60).json()
            size = os.path.getsize(out)
        finally:
            sandbox.terminate()
            sandbox.wait(timeout=30)
    by_system = Counter(e["system"] for e in log)
    origin = min((e["start_s"] for e in log), default=0.0)
    spans = {}
    for system in by_system:
        calls = [e for e in log if e["system"] == system]
        spans[system] = [round(min(e["start_s"] for e in calls) - origin, 1),
                         round(max(e["start_s"] + e["duration_ms"] / 1000 for e in calls) - origin, 1)]
    by_kind = Counter(f"{e['system']} {kind_of(e)}" for e in log)
    print(json.dumps({
        "tickets": a.tickets, "accounts": a.accounts, "latency_ms": a.latency_ms, "code": code,
        "exported": said[-1] if said else "", "calls": sum(by_system.values()), "by_system": dict(by_system),
        "by_kind": dict(sorted(by_kind.items())), "seconds": round(took, 1),
        "latency_seconds": round(len(log) * a.latency_ms / 1000, 1), "calls_span_s": spans,
        "export_cpu_s": round(usage.ru_utime + usage.ru_stime, 1), "export_peak_mb": round(usage.ru_maxrss / 1024),
        "sandbox_cpu_s": round(sandbox_cpu, 1), "mb_written": round(size / 2**20),
        "load": [round(x, 1) for x in (*load_before[:1], *load_after[:1])]}, indent=2))


if __name__ == "__main__":
    main()
