"""The jira client's own retries, made safe for writes (issue 16, lost answers).

``jira.ResilientSession`` retries a request that ended in a ``ConnectionError`` whatever its
method. For a POST that is a blind repeat of a write that may have landed (the server applied
it, then the connection broke before the answer came back): a second epic, a second comment.
So a POST that ended in a connection error is not retried by the client; the error goes up and
the writer's own retry looks the issue up first (its intent, then a label search). A POST that
never reached the server (the connection was refused or timed out while connecting) is still
retried: nothing can have been applied. 429 and 503 answers are retried as before: Jira says
it did not do the work.
"""

from __future__ import annotations

from typing import Any

from requests.exceptions import ConnectionError as RequestsConnectionError
from requests.exceptions import ConnectTimeout
from urllib3.exceptions import NewConnectionError


def never_sent(exc: BaseException) -> bool:
    """True when the request cannot have reached the server (refused, or no connection made)."""
    if isinstance(exc, ConnectTimeout):
        return True
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, NewConnectionError | ConnectionRefusedError):
            return True
        reason = getattr(cause, "reason", None)
        cause = reason if isinstance(reason, BaseException) else (cause.__cause__ or cause.__context__)
        if cause is None and exc.args and isinstance(exc.args[0], BaseException):
            cause = exc.args[0]
    return False


def no_blind_write_retries(session: Any) -> None:
    """Make ``session`` (a ``jira.ResilientSession``) not repeat a POST whose answer was lost."""
    name = "_ResilientSession__recoverable"
    recoverable = getattr(session, name, None)
    if recoverable is None:  # another jira version: nothing to adapt
        return

    def safe(response: Any, url: Any, request_method: str, counter: int = 1) -> bool:
        if isinstance(response, RequestsConnectionError) and request_method.upper() == "POST" \
                and not never_sent(response):
            return False
        return bool(recoverable(response, url, request_method, counter))

    setattr(session, name, safe)
