"""The rules file, reloaded when it changes: a bad edit is refused (logged and counted) and
the last good rules keep running, so an admin's typo never stops the service."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from rules.config import RulesConfig, parse_config
from rules.errors import InputError

log = logging.getLogger("escalation_sync.rules")


class RulesFile:
    def __init__(self, path: Path | None, on_error: Callable[[InputError], None] | None = None):
        self.path = path
        self.on_error = on_error
        self._stamp: tuple[float, int] | None = None
        self._good = self._read() if path else parse_config()  # a bad file at start is refused (raises)

    def _read(self) -> RulesConfig:
        assert self.path is not None
        stat = self.path.stat()
        config = parse_config(self.path.read_text(encoding="utf-8"), name=str(self.path))
        self._stamp = (stat.st_mtime, stat.st_size)
        return config

    def current(self) -> RulesConfig:
        """The rules to use now: re-read when the file changed; the last good ones otherwise."""
        if self.path is None:
            return self._good
        try:
            stat = self.path.stat()
        except OSError as exc:
            log.error("rules file %s unreadable (%s); keeping the last good rules", self.path, exc)
            return self._good
        if (stat.st_mtime, stat.st_size) == self._stamp:
            return self._good
        try:
            self._good = self._read()
            log.info("rules reloaded from %s", self.path)
        except InputError as exc:
            self._stamp = (stat.st_mtime, stat.st_size)  # refuse this version once, not every cycle
            log.error("rules file %s refused, keeping the last good rules: %s", self.path, exc)
            if self.on_error:
                self.on_error(exc)
        return self._good
