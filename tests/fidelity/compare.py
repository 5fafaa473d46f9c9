"""Compare the sandbox's answers with responses recorded from real Jira Cloud and Salesforce.

Each entry of ``samples.json`` names its source (a vendor documentation example, a maintained
connector's test data, a body pasted into a public issue) and says how to ask the sandbox for
the same thing. Kinds of comparison:

- ``shape``: every key of the sample is in the answer, recursively, with a value of the same
  JSON type (the sample's values are the real site's; the sandbox's differ, as ids and names do);
  lists compare their first items; ``absent`` names dotted paths the answer must not have (an
  e-mail the profile hides); ``patterns`` holds regular expressions for dotted paths (URL forms).
- ``subset``: every key of the sample is in the answer with the very same value.
- ``equal``: the answer is the sample.

Only the standard library and ``sandbox`` are imported, so the same file can score another
checkout's sandbox (``PYTHONPATH=<checkout> python tests/fidelity/compare.py``): that is how the
"before" count in the report was taken, against main's sandbox.
"""

from __future__ import annotations

import base64
import json
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SAMPLES = Path(__file__).with_name("samples.json")
BOOK = Path(__file__).resolve().parents[2] / "examples" / "small_book.yaml"


@dataclass
class Result:
    name: str
    ok: bool
    problems: list[str]


def _type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


def shape_problems(sample: Any, got: Any, path: str = "") -> list[str]:
    """Where ``got`` lacks a key of ``sample`` or holds another JSON type."""
    if sample is None:
        return []
    if _type(sample) != _type(got):
        return [f"{path or '.'}: {_type(got)} where the real answer has {_type(sample)}"]
    if isinstance(sample, dict):
        out = []
        for key, value in sample.items():
            if key not in got:
                out.append(f"{path}{key}: missing")
            else:
                out.extend(shape_problems(value, got[key], f"{path}{key}."))
        return out
    if isinstance(sample, list) and sample:
        return shape_problems(sample[0], got[0], f"{path}0.") if got else [f"{path or '.'}: empty list"]
    return []


def dig(value: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if isinstance(value, list):
            value = value[int(part)] if part.isdigit() and int(part) < len(value) else KeyError
        elif isinstance(value, dict):
            value = value.get(part, KeyError)
        else:
            return KeyError
        if value is KeyError:
            return KeyError
    return value


def pick(body: Any, how: Any) -> Any:
    if how is None:
        return body
    if isinstance(how, int):
        return body[how] if isinstance(body, list) and len(body) > how else None
    if isinstance(how, dict):
        return next((b for b in body if all(b.get(k) == v for k, v in how.items())), None)
    found = dig(body, str(how))
    return None if found is KeyError else found


def compare(entry: dict[str, Any], got: Any) -> list[str]:
    sample, kind = entry["sample"], entry["compare"]
    if got is None:
        return ["no answer to compare"]
    if kind == "equal":
        return [] if got == sample else [f"answer {json.dumps(got)[:300]}"]
    if kind == "subset":
        if not isinstance(got, dict):
            return [f"answer {json.dumps(got)[:300]}"]
        return [f"{k}: {json.dumps(got.get(k))[:200]}" for k, v in sample.items() if got.get(k) != v]
    problems = shape_problems(sample, got)
    for dotted in entry.get("absent", []):
        if dig(got, dotted) is not KeyError:
            problems.append(f"{dotted}: present, the real answer leaves it out")
    for dotted, pattern in (entry.get("patterns") or {}).items():
        value = dig(got, dotted)
        if value is KeyError or not re.search(pattern, str(value)):
            problems.append(f"{dotted}: {value!r} does not match {pattern}")
    return problems


class Asker:
    """Asks one running sandbox, over HTTP, what a sample's request gets."""

    def __init__(self, sb: Any) -> None:
        self.sb = sb
        self.values = self._placeholders()

    def _placeholders(self) -> dict[str, str]:
        sb = self.sb
        site = sb.site
        hidden = sorted(u.email for u in site.users.values()
                        if u.account_type == "atlassian" and getattr(u, "email_hidden", False))
        email = hidden[0] if hidden else "dana@vendor.example"
        author = site.user_by_email(email)
        issue = next(i for i in site.issues.values() if i.comments)
        mine = next((c for i in site.issues.values() for c in i.comments if author and c.author == author.account_id),
                    None)
        if mine is None:  # nobody hidden has commented: comment as that person
            with sb.lock:
                mine = site.add_comment(issue, author.account_id, "On it.")
        holder = next(i for i in site.issues.values() if mine in i.comments)
        return {"hidden_email": email, "hidden_comment_issue": holder.key, "hidden_comment_id": str(mine.id),
                "client_id": sb.creds["client_id"], "client_secret": sb.creds["client_secret"]}

    def fill(self, value: Any) -> Any:
        if isinstance(value, str):
            return re.sub(r"\{(\w+)\}", lambda m: self.values.get(m.group(1), m.group(0)), value)
        if isinstance(value, dict):
            return {k: self.fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.fill(v) for v in value]
        return value

    def ask(self, request: dict[str, Any]) -> Any:
        sb, req = self.sb, self.fill(request)
        saved = {key: getattr(sb.site, key, None) for key in (req.get("setup") or {})}
        for key, value in (req.get("setup") or {}).items():
            setattr(sb.site, key, value)
        base = sb.jira_url if req["system"] == "jira" else sb.salesforce_url
        url = base + req["path"]
        if req.get("params"):
            url += "?" + urllib.parse.urlencode(req["params"])
        headers = {"Accept": "application/json"}  # as the clients send
        data = None
        if "json" in req:
            data, headers["Content-Type"] = json.dumps(req["json"]).encode(), "application/json"
        if "form" in req:
            data = urllib.parse.urlencode(req["form"]).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if req["system"] == "jira":
            user, secret = sb.creds["jira_email"], sb.creds["jira_api_token"]
            if req.get("auth") == "bad":
                secret = "wrong-token"
            headers["Authorization"] = "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()
        elif "/oauth2/" not in req["path"]:
            headers["Authorization"] = "Bearer " + sb.issue_token()
        import ssl

        context = ssl.create_default_context(cafile=sb.ca_path)
        request_ = urllib.request.Request(url, data=data, headers=headers, method=req["method"])
        try:
            with urllib.request.urlopen(request_, timeout=10, context=context) as r:  # noqa: S310 - loopback
                raw = r.read()
        except urllib.error.HTTPError as err:
            raw = err.read()
        try:
            body = json.loads(raw) if raw.strip() else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        for key, value in saved.items():
            setattr(sb.site, key, value)
        return pick(body, req.get("pick"))


def run(sb: Any, samples: Path = SAMPLES) -> list[Result]:
    asker = Asker(sb)
    out = []
    for entry in json.loads(samples.read_text("utf-8")):
        try:
            problems = compare(entry, asker.ask(entry["request"]))
        except Exception as exc:  # noqa: BLE001 - a sandbox without the endpoint scores a miss
            problems = [f"{type(exc).__name__}: {exc}"]
        out.append(Result(entry["name"], not problems, problems))
    return out


def main() -> int:
    from sandbox.server import Sandbox

    with Sandbox(BOOK) as sb:
        results = run(sb)
    for r in results:
        print(("match " if r.ok else "MISS  ") + r.name + ("" if r.ok else ": " + "; ".join(r.problems)))
    print(f"{sum(r.ok for r in results)} of {len(results)} comparisons match")
    return 0


if __name__ == "__main__":
    sys.exit(main())
