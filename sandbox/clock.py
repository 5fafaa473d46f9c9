"""The sandbox's clock: wall time plus an offset that tests and the admin surface can move.

Every timestamp the emulated services write or compare (record modstamps, token expiry, Jira
``updated``, search visibility, ``TODAY`` in SOQL) comes from one :class:`Clock`, so moving it
moves the whole world consistently.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class Clock:
    """Wall-clock UTC time shifted by an adjustable offset."""

    def __init__(self) -> None:
        self._offset = timedelta(0)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The sandbox's present as an aware UTC datetime."""
        with self._lock:
            offset = self._offset
        return datetime.now(UTC) + offset

    def advance(self, seconds: float) -> datetime:
        """Move the present forward (or back, with a negative number)."""
        with self._lock:
            self._offset += timedelta(seconds=seconds)
        return self.now()

    def set(self, when: datetime) -> datetime:
        """Make ``when`` the present; time keeps flowing from there."""
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        with self._lock:
            self._offset = when - datetime.now(UTC)
        return self.now()
