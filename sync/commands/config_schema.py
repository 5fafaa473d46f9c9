"""``escalation-sync config-schema``: the JSON Schema of a rules file, for editors."""

from __future__ import annotations

import argparse
import sys

from rules.config import json_schema_text


def configure(parser: argparse.ArgumentParser) -> None:
    del parser  # no options


def run(args: argparse.Namespace) -> int:
    sys.stdout.write(json_schema_text())
    return 0
