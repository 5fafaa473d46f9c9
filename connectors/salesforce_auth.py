"""The connector's own Salesforce OAuth 2.0 (client credentials, JWT bearer) over httpx.

simple-salesforce's own logins hard-code ``*.salesforce.com`` hosts; we obtain the token from
``SALESFORCE_LOGIN_URL`` ourselves, cache it, and hand it to simple-salesforce as a session.
Tokens and secrets never appear in messages.
"""

from __future__ import annotations

import ssl
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import jwt

from connectors.errors import FatalError, RetriableError

_CREDENTIALS = {"jwt-bearer": "SALESFORCE_USERNAME/SALESFORCE_PRIVATE_KEY_FILE",
                "client-credentials": "SALESFORCE_CLIENT_SECRET"}


@dataclass(frozen=True)
class Token:
    access_token: str
    instance_url: str
    obtained_at: float


class TokenSource:
    """Fetches and caches one access token; ``refresh()`` replaces it (after a 401)."""

    def __init__(self, login_url: str, client_id: str, *, client_secret: str | None = None,
                 username: str | None = None, private_key_file: Path | None = None,
                 timeout: float = 30.0, verify: ssl.SSLContext | bool = True):
        self.login_url = login_url.rstrip("/")
        self.client_id = client_id
        self._secret = client_secret
        self.username = username
        self.private_key_file = private_key_file
        self.timeout, self.verify = timeout, verify
        self._token: Token | None = None
        self._lock = threading.Lock()
        self.fetches = 0

    @property
    def flow(self) -> str:
        return "jwt-bearer" if self.username and self.private_key_file else "client-credentials"

    def token(self) -> Token:
        with self._lock:
            if self._token is None:
                self._token = self._fetch()
            return self._token

    def refresh(self, stale: Token | None = None) -> Token:
        """A new token, unless another thread already replaced ``stale``."""
        with self._lock:
            if self._token is None or stale is None or self._token == stale:
                self._token = self._fetch()
            return self._token

    def _fetch(self) -> Token:
        url = f"{self.login_url}/services/oauth2/token"
        if self.flow == "jwt-bearer":
            assert self.private_key_file is not None
            key = Path(self.private_key_file).read_text()
            assertion = jwt.encode({"iss": self.client_id, "sub": self.username, "aud": self.login_url,
                                    "exp": int(time.time()) + 180}, key, algorithm="RS256")
            data = {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion}
            auth = None
        else:
            data = {"grant_type": "client_credentials"}
            auth = (self.client_id, self._secret or "")
        try:
            response = httpx.post(url, data=data, auth=auth, timeout=self.timeout, verify=self.verify)
        except httpx.TransportError as exc:
            raise RetriableError(f"Salesforce token endpoint {url} unreachable: {type(exc).__name__}") from exc
        self.fetches += 1
        if response.status_code >= 500 or response.status_code == 429:
            raise RetriableError(f"Salesforce token endpoint answered {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code != 200 or "access_token" not in body:
            error = body.get("error", response.status_code)
            raise FatalError(
                f"Salesforce refused the {self.flow} login ({error}: "
                f"{body.get('error_description', 'no description')}); check SALESFORCE_CLIENT_ID and "
                f"{_CREDENTIALS[self.flow]}"
                f" and that the connected app allows this flow")
        return Token(access_token=body["access_token"], instance_url=body["instance_url"].rstrip("/"),
                     obtained_at=time.time())
