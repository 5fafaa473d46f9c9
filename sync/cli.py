"""The ``escalation-sync`` command (ARCHITECTURE.md, "The command line").

Each sub-command is a module exposing ``configure(parser)`` and ``run(args) -> int``; this file
only wires them, so adding a command never touches another's code.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

COMMANDS: dict[str, tuple[str, str]] = {
    "backtest": ("sync.commands.backtest", "replay a book through the rules and print the escalations as JSON"),
    "export-book": ("sync.commands.export_book", "write your history as a book for backtest (read-only)"),
    "check-config": ("sync.commands.check_config", "validate a rules file; errors name the field path"),
    "config-schema": ("sync.commands.config_schema", "print the JSON Schema of the rules file"),
    "sandbox": ("sandbox.cli", "serve the emulated Salesforce and Jira on 127.0.0.1"),
    "sync-once": ("sync.commands.sync_once", "run one full poll cycle synchronously and print a summary"),
    "run": ("sync.commands.run", "run the background service (worker and beat) on this machine"),
    "demo": ("sync.commands.demo", "run the whole service on a bundled example, with nothing configured"),
    "preview": ("sync.commands.preview", "what going live would open, notify and call, read-only (writes nothing)"),
    "doctor": ("sync.commands.doctor", "check settings, credentials, objects, fields and issue types; say what to fix"),
    "status": ("sync.commands.status", "last cycles, cursor lag, open escalations, quota, queue depth"),
    "health": ("sync.commands.health", "exit 1 when the service is not doing its job (Redis down, a part stale)"),
    "report": ("sync.commands.report", "print the monthly learning-loop review (Markdown; --html for a page)"),
}


def build_parser(selected: str | None = None) -> argparse.ArgumentParser:
    """The parser; only the selected command's module is imported (start-up stays fast and
    one command's heavy dependencies never slow another)."""
    parser = argparse.ArgumentParser(
        prog="escalation-sync",
        description="Turns the customer-success escalation playbook into automation beside "
        "Salesforce and Jira.",
    )
    subs = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module_name, help_text) in COMMANDS.items():
        sub = subs.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(_module=module_name)
        if name == selected:
            importlib.import_module(module_name).configure(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    selected = next((a for a in argv if not a.startswith("-")), None)
    args = build_parser(selected).parse_args(argv)
    module = importlib.import_module(args._module)
    return int(module.run(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
