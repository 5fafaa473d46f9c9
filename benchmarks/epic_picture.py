"""The README's picture of the epic: the Acme Corp escalation, live, with a communication log.

Runs the connector against the sandbox (Cloud) and a private redis-server: the first cycle and
watch, then an agent's public reply, an internal note and the customer's answer on the linked
ticket, and the owner's comment on the epic; one more cycle and watch. Then it reads the epic's
description back on REST v3 and writes it as a page (``sandbox.adf_html``, what
``renderedFields`` gives) and, with ``--png``, a headless Chromium screenshot of it::

    python -m benchmarks.epic_picture --html /tmp/epic.html --png docs/images/epic-tracking-document.png
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from pathlib import Path

import requests

from rules.models import Comment, Person
from sandbox.adf_html import page
from sandbox.server import Sandbox
from sync.runtime import Runtime
from sync.settings import Settings
from tests.redis_server import RedisServer

BOOK = Path(__file__).resolve().parents[1] / "examples" / "small_book.yaml"
ACME = "001000000000001AAA"


def settings(sb: Sandbox, redis_url: str) -> Settings:
    env = sb.env()
    values = {k.lower(): v for k, v in env.items() if k.startswith(("SALESFORCE_", "JIRA_"))}
    values.update(requests_ca_bundle=env["REQUESTS_CA_BUNDLE"], redis_url=redis_url, poll_interval_seconds=20)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def build(html: Path) -> str:
    """Run the scenario; write the page; return the epic's key."""
    server = RedisServer()
    try:
        with Sandbox(BOOK) as sb:
            rt = Runtime(settings(sb, server.url), clock=sb.clock.now)
            rt.cycle()
            sb.clock.advance(20)
            rt.watch()
            esc = next(e for e in rt.store.escalations().values() if e.account == ACME)
            epic, ticket = rt.store.index(esc.id)["epic"], esc.tickets[0]
            agent = Person(email="ana@vendor.example", name="Ana Silva")
            said = [(ticket, agent, "Export job restarted; the backlog is draining. Next update by 16:00 UTC.", True),
                    (ticket, agent, "Internal: queue saturated again, engineering on INC-77.", False),
                    (ticket, Person(email="kim@acme.example", name="Kim Ops", customer=True),
                     "Thanks. Our board report is due Friday.", True)]
            for key, who, body, public in said:
                sb.clock.advance(60)
                sb.world.add_comment(key, Comment(at=sb.clock.now(), author=who, body=body, public=public))
            sb.clock.advance(60)
            call = "Called Kim Ops: fix confirmed for Friday, daily e-mail until then."
            sb.world.add_comment(epic, Comment(at=sb.clock.now(), author=Person(email=esc.owner or ""), body=call))
            for _ in range(2):
                sb.clock.advance(30)
                rt.cycle()
                rt.watch()
            env = sb.env()
            doc = requests.get(f"{sb.jira_url}/rest/api/3/issue/{epic}", params={"fields": "description,summary"},
                               auth=(env["JIRA_EMAIL"], env["JIRA_API_TOKEN"]), timeout=10).json()["fields"]
            html.write_text(page(doc["description"], f"{epic}: {doc['summary']}"), "utf-8")
            return epic
    finally:
        server.stop()


def screenshot(html: Path, png: Path, width: int = 1000, height: int = 2330) -> None:
    """Headless Chromium, the flags the project's brief names."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise SystemExit("chromium is not installed (apt-get install -y chromium)")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                        "--no-first-run", f"--user-data-dir={profile}", "--hide-scrollbars",
                        f"--window-size={width},{height}", f"--screenshot={png}", html.resolve().as_uri()],
                       check=True, capture_output=True, timeout=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html", type=Path, default=Path("epic.html"))
    parser.add_argument("--png", type=Path)
    parser.add_argument("--height", type=int, default=2330)
    args = parser.parse_args()
    epic = build(args.html)
    print(f"{epic}: {args.html}")
    if args.png:
        screenshot(args.html, args.png, height=args.height)
        print(args.png)


if __name__ == "__main__":
    main()
