"""``escalation-sync doctor``: checks settings, reachability, credentials, objects and fields."""

from __future__ import annotations

import argparse
import json
import sys

from sync.commands.sync_once import settings_or_exit


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the checks as JSON")


def run(args: argparse.Namespace) -> int:
    settings = settings_or_exit()
    if isinstance(settings, int):
        return settings
    from sync.doctor import run_checks
    from sync.runtime import Runtime

    checks = run_checks(Runtime(settings))
    failed = [c for c in checks if not c.ok and not c.warning]
    if args.json:
        json.dump([c.__dict__ for c in checks], sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for c in checks:
            line = f"{c.mark} {c.area:<10} {c.what}"
            print(line + (f"\n     {'':<10} -> {c.fix}" if not c.ok and c.fix else ""))
        print(f"\n{len(failed)} problem(s), {sum(c.warning and not c.ok for c in checks)} warning(s)")
    return 1 if failed else 0
