from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from tests.sync.conftest import redis_server, redis_url, sandbox, settings_for  # noqa: F401


def queries(sb: Any) -> list[tuple[str, str]]:
    """Every query the connector sent, as the server read it: ("soql", text), ("jql", text),
    ("user", text) for Jira user searches."""
    out = []
    for r in sb.requests(bodies=True):
        params = parse_qs(r.get("query") or "")
        body = r.get("body") if isinstance(r.get("body"), dict) else {}
        if r["system"] == "salesforce" and "q" in params:
            out += [("soql", q) for q in params["q"]]
        elif r["system"] == "jira" and r["path"].endswith("/user/search"):
            out += [("user", q) for q in params.get("query", [])]
        elif r["system"] == "jira" and "search" in r["path"]:
            out += [("jql", q) for q in params.get("jql", [])]
            if body.get("jql"):
                out.append(("jql", body["jql"]))
    return out
