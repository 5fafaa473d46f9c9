"""One error hierarchy for every outside call (STYLE.md, convention 8).

Every HTTP outcome maps to exactly one of these, so the shell decides uniformly: retry later,
stop and say what to fix, or log the one bad record and go on.
"""

from __future__ import annotations


class ConnectorError(Exception):
    """Base of the connector errors. Messages never contain a secret."""


class RetriableError(ConnectorError):
    """Transient: 429, 5xx, timeouts, a daily limit reached, search not yet consistent.

    ``retry_after`` is the earliest useful retry in seconds, when the service said so.
    """

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class FatalError(ConnectorError):
    """Needs a person: bad credentials, missing permission, object, field or issue type.

    The message says what to change.
    """


class SkippableRecordError(ConnectorError):
    """One bad record (a malformed ticket, an unknown value): log it with its id, count, go on."""

    def __init__(self, record_id: str, message: str):
        super().__init__(f"{record_id}: {message}")
        self.record_id = record_id
