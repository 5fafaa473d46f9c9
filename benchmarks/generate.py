"""A seeded generator of large books of business, for benchmarks and load tests.

    python -m benchmarks.generate --tickets 100000 --accounts 5000 > big.json
    python -m benchmarks.generate --tickets 100000 --accounts 5000 --components 20 --days 90 \
        --format jsonl --out big.jsonl

The shape is what a real support queue looks like to the rules: tickets spread evenly over
``days`` across ``accounts``, each on one of ``components`` product components, a health sample
every ``health_every`` days per account, and 0..``max_comments`` comments a ticket. Records are
produced one at a time (:func:`records`), so a JSONL book of a million tickets is written without
holding it in memory.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import IO, Any

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
COMPONENTS = [f"Component {i}" for i in range(40)]
CALM = ["export is slow", "cannot find the setting", "report totals look off", "login takes long",
        "question about billing", "integration retries", "dashboard widget empty", "API returns 500"]
HOT = ["we will cancel", "our legal team is asking", "this looks like a data breach", "production down",
       "considering cancellation", "outage for all users"]
PRIORITIES = ["Highest", "High", "Medium", "Medium", "Medium", "Low", "Lowest"]
CHANNELS = ["portal"] * 40 + ["email"] * 10 + ["phone"] * 5 + ["social", "executive_email"]


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def users(n_csm: int) -> list[dict[str, Any]]:
    v = "@vendor.example"
    out = [{"email": "ceo" + v, "role": "ceo"}, {"email": "cto" + v, "role": "cto", "manager": "ceo" + v},
           {"email": "cro" + v, "role": "cro", "manager": "ceo" + v},
           {"email": "vpcs" + v, "role": "vp_cs", "manager": "cro" + v},
           {"email": "vpeng" + v, "role": "vp_engineering", "manager": "cto" + v}]
    out += [{"email": f"director{d}{v}", "role": "cs_director", "manager": "vpcs" + v} for d in range(3)]
    managers = max(1, n_csm // 8)
    out += [{"email": f"manager{m}{v}", "role": "cs_manager", "manager": f"director{m % 3}{v}"}
            for m in range(managers)]
    out += [{"email": f"csm{c}{v}", "role": "csm", "manager": f"manager{c % managers}{v}"} for c in range(n_csm)]
    return out


def records(tickets: int, accounts: int, days: int = 90, seed: int = 1, components: int = 40,
            health_every: int = 7, max_comments: int = 3) -> Iterator[tuple[str, dict[str, Any]]]:
    """The book as ``(kind, record)`` pairs: users, then accounts, then tickets (in no time order).

    With the default shape this yields exactly what earlier versions generated for a seed.
    """
    rnd = random.Random(seed)
    n_csm = max(1, accounts // 40)
    start = NOW - timedelta(days=days)
    names = COMPONENTS if components == 40 else [f"Component {i}" for i in range(components)]
    for user in users(n_csm):
        yield "user", user
    for i in range(accounts):
        health, score = [], rnd.randint(60, 95)
        for step in range(days // health_every + 1):
            score = max(0, min(100, score + rnd.choice([-3, -1, 0, 1, 2, 3] + ([-35] if rnd.random() < 0.01 else []))))
            at = min(start + timedelta(days=health_every * step, hours=rnd.randint(0, 23)), NOW - timedelta(hours=1))
            health.append({"at": iso(at), "score": score})
        yield "account", {
            "id": f"001{i:012d}AAA", "name": f"Customer {i}", "arr": rnd.choice([20, 40, 80, 150, 300, 700]) * 1000,
            "segment": rnd.choice(["enterprise", "mid_market", "smb"]), "owner": f"csm{i % n_csm}@vendor.example",
            "renewal_date": (NOW + timedelta(days=rnd.randint(1, 365))).date().isoformat(),
            "domains": [f"customer{i}.example"], "health": health,
        }
    for k in range(tickets):
        a = rnd.randrange(accounts)
        created = start + timedelta(seconds=rnd.randint(0, days * 86400))
        hot = rnd.random() < 0.03
        text = rnd.choice(HOT if hot else CALM)
        comments = [{"at": iso(created + timedelta(hours=h + 1)),
                     "author": {"email": f"user@customer{a}.example", "customer": True} if rnd.random() < 0.6
                     else {"email": "agent@vendor.example"},
                     "body": rnd.choice(CALM + (HOT if rnd.random() < 0.02 else [])), "public": rnd.random() < 0.8}
                    for h in range(rnd.randint(0, max_comments))]
        yield "ticket", {
            "key": f"SUP-{k + 1}", "created": iso(created), "updated": iso(created), "summary": text,
            "description": text, "priority": rnd.choice(PRIORITIES), "components": [rnd.choice(names)],
            "labels": ["executive-escalation"] if rnd.random() < 0.002 else [], "channel": rnd.choice(CHANNELS),
            "reporter": {"email": f"user@customer{a}.example", "customer": True,
                         "title": rnd.choice(["Engineer", "Admin", "VP Operations", ""])},
            "comments": comments,
        }


def generate(tickets: int, accounts: int, days: int = 90, seed: int = 1, components: int = 40,
             health_every: int = 7, max_comments: int = 3) -> dict[str, Any]:
    """The whole book as one mapping (the YAML/JSON shape)."""
    book: dict[str, Any] = {"now": iso(NOW), "users": [], "accounts": [], "tickets": []}
    for kind, record in records(tickets, accounts, days, seed, components, health_every, max_comments):
        book[kind + "s"].append(record)
    return book


def write(out: IO[str], fmt: str, **shape: Any) -> None:
    """Write a generated book as ``json``, ``jsonl`` (streamed, one record a line) or ``yaml``."""
    if fmt == "jsonl":
        out.write(json.dumps({"kind": "now", "at": iso(NOW)}) + "\n")
        for kind, record in records(**shape):
            out.write(json.dumps({"kind": kind, **record}) + "\n")
    elif fmt == "yaml":
        import yaml

        dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
        yaml.dump(generate(**shape), out, Dumper=dumper, sort_keys=False)
    else:
        json.dump(generate(**shape), out)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tickets", type=int, default=100_000)
    p.add_argument("--accounts", type=int, default=5_000)
    p.add_argument("--days", type=int, default=90)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--components", type=int, default=40, help="product components tickets spread over")
    p.add_argument("--health-every", type=int, default=7, help="days between an account's health samples")
    p.add_argument("--max-comments", type=int, default=3, help="each ticket gets 0..N comments")
    p.add_argument("--format", choices=("json", "jsonl", "yaml"), default="json")
    p.add_argument("--out", help="file to write (default: stdout)")
    a = p.parse_args()
    shape = dict(tickets=a.tickets, accounts=a.accounts, days=a.days, seed=a.seed, components=a.components,
                 health_every=a.health_every, max_comments=a.max_comments)
    if a.out:
        with open(a.out, "w", encoding="utf-8") as out:
            write(out, a.format, **shape)
    else:
        write(sys.stdout, a.format, **shape)


if __name__ == "__main__":
    main()
