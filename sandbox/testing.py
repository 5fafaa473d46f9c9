"""Helpers for tests that drive the sandbox with the real clients.

``SandboxSession`` is a ``requests.Session`` that trusts only the sandbox CA and ignores
``REQUESTS_CA_BUNDLE``/proxy variables from the environment (requests lets those override
``session.verify``). With ``login_host`` it also sends ``https://<anything>.salesforce.com``
to the sandbox, so simple-salesforce's own login flows (client credentials, JWT) work unchanged.
The pytest fixtures in ``tests/sandbox/conftest.py`` are built from these.
"""

from __future__ import annotations

import re
from typing import Any

import requests

from sandbox.server import Sandbox

_LOGIN = re.compile(r"^https://[A-Za-z0-9.-]+\.salesforce\.com(:\d+)?")


class SandboxSession(requests.Session):
    """A session for simple-salesforce against the sandbox (TLS with the sandbox CA)."""

    def __init__(self, sandbox: Sandbox, rewrite_login: bool = True) -> None:
        super().__init__()
        self.verify = sandbox.ca_path
        self.trust_env = False
        self._target = sandbox.salesforce_url
        self._rewrite = rewrite_login

    def request(self, method: str | bytes, url: str | bytes, *args: Any,
                **kwargs: Any) -> requests.Response:
        text = url.decode() if isinstance(url, bytes) else url
        if self._rewrite:
            text = _LOGIN.sub(self._target, text)
        verb = method.decode() if isinstance(method, bytes) else method
        return super().request(verb, text, *args, **kwargs)


def salesforce(sandbox: Sandbox, **kwargs: Any) -> Any:
    """A simple_salesforce.Salesforce on a fresh session id (direct auth, no login call)."""
    from simple_salesforce.api import Salesforce

    return Salesforce(session_id=sandbox.issue_token(), instance_url=sandbox.salesforce_url,
                      session=SandboxSession(sandbox), **kwargs)


def salesforce_logged_in(sandbox: Sandbox, **kwargs: Any) -> Any:
    """A Salesforce client that logs itself in (client credentials) and so refreshes itself."""
    from simple_salesforce.api import Salesforce

    env = sandbox.env()
    return Salesforce(consumer_key=env["SALESFORCE_CLIENT_ID"],
                      consumer_secret=env["SALESFORCE_CLIENT_SECRET"], domain="sandbox.my",
                      session=SandboxSession(sandbox), **kwargs)


def jira(sandbox: Sandbox, **kwargs: Any) -> Any:
    """A jira.JIRA with the sandbox's credentials (Cloud basic auth, or a DC PAT)."""
    from jira import JIRA

    env = sandbox.env()
    kwargs.setdefault("timeout", 15)
    if sandbox.flavour == "datacenter":
        return JIRA(env["JIRA_URL"], token_auth=env["JIRA_PAT"], **kwargs)
    return JIRA(env["JIRA_URL"], basic_auth=(env["JIRA_EMAIL"], env["JIRA_API_TOKEN"]), **kwargs)
