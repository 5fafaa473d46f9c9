"""Identifiers that look like the real ones.

Salesforce: 15-character case-sensitive ids (3-character key prefix, 2-character pod, 10
characters of counter) plus the 3-character case-insensitive checksum that makes the 18-character
form the REST API returns. Jira Cloud: ``accountId`` strings (``712020:<uuid>`` for people with an
Atlassian account, ``qm:<uuid>`` for Service Management customers), derived from the e-mail so
they are the same on every run.
"""

from __future__ import annotations

import uuid

KEY_PREFIXES = {
    "Account": "001",
    "User": "005",
    "AccountHistory": "017",
    "Escalation__c": "a0X",
    "Organization": "00D",
    "QueryLocator": "01g",
}

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_CHECKSUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_NAMESPACE = uuid.UUID("6f1c3a52-4d1e-4b7a-9a51-0c2f5e8d7b11")


def checksum_suffix(id15: str) -> str:
    """The three characters that make a 15-character id case-insensitively unique."""
    out = []
    for chunk in range(3):
        bits = 0
        for i, ch in enumerate(id15[chunk * 5 : chunk * 5 + 5]):
            if "A" <= ch <= "Z":
                bits |= 1 << i
        out.append(_CHECKSUM[bits])
    return "".join(out)


def to18(record_id: str) -> str:
    """Return the 18-character form of a 15- or 18-character id."""
    if len(record_id) == 15:
        return record_id + checksum_suffix(record_id)
    return record_id


def make_id(prefix: str, counter: int, pod: str = "5g") -> str:
    """An 18-character Salesforce id: prefix, pod, base-62 counter, checksum."""
    digits = ""
    n = counter
    while n:
        n, r = divmod(n, 62)
        digits = _BASE62[r] + digits
    body = f"{prefix}{pod}{digits.rjust(10, '0')}"
    return to18(body)


def looks_like_id(value: str) -> bool:
    """True for strings shaped like a 15- or 18-character Salesforce id."""
    return len(value) in (15, 18) and value.isalnum()


def account_id_for(email: str, customer: bool = False) -> str:
    """A stable Jira Cloud accountId for a person, from their e-mail."""
    u = uuid.uuid5(_NAMESPACE, email.strip().lower())
    if customer:
        return f"qm:{u}:{uuid.uuid5(u, 'customer')}"
    return f"712020:{u}"
