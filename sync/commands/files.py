"""Reading the files the commands are given; errors become one clear line and exit code 2."""

from __future__ import annotations

import sys
from pathlib import Path

from rules.book import parse_book
from rules.config import RulesConfig, parse_config
from rules.errors import InputError
from rules.models import Book

EXIT_BAD_INPUT = 2


def read_text(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(path, [f"cannot read the file: {exc.strerror or exc}"]) from exc


def load_book(path: str) -> Book:
    return parse_book(read_text(path), name=path)


def load_config(path: str | None) -> RulesConfig:
    return parse_config(read_text(path), name=path) if path else parse_config()


def report(error: InputError) -> int:
    """Print every problem on its own line to stderr; return the bad-input exit code."""
    print(f"error: {error.source}:", file=sys.stderr)
    for problem in error.problems:
        print(f"  {problem}", file=sys.stderr)
    return EXIT_BAD_INPUT
