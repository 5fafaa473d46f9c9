"""``escalation-sync check-config RULES.yaml``: refuse a bad rules file, naming the field."""

from __future__ import annotations

import argparse

from rules.errors import InputError
from sync.commands.files import load_config, report


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("rules", metavar="RULES.yaml", help="the rules file to check")


def run(args: argparse.Namespace) -> int:
    try:
        load_config(args.rules)
    except InputError as exc:
        return report(exc)
    print(f"{args.rules}: ok")
    return 0
