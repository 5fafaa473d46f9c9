"""Tiny worlds for rule tests: a few people, the accounts under test, and ballast accounts
large enough that the accounts under test are neither top-10 nor over 1% of total ARR."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rules.backtest import book_events
from rules.config import RulesConfig, default_config, parse_config
from rules.directory import Directory
from rules.models import Account, Book, Comment, HealthSample, Person, Ticket, User
from rules.replay import Replay
from rules.triggers import Context

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday
V = "@vendor.example"


def at(hours: float = 0, days: float = 0, minutes: float = 0) -> datetime:
    return T0 + timedelta(days=days, hours=hours, minutes=minutes)


def user(name: str, role: str, manager: str | None = None) -> User:
    return User(email=name + V, name=name.title(), role=role,
                manager=(manager + V) if manager else None)


USERS = (
    user("dana", "csm", "lee"), user("sam", "csm", "kai"),
    user("lee", "cs_manager", "rosa"), user("kai", "cs_manager", "rosa"),
    user("rosa", "cs_director", "vic"), user("omar", "cs_director", "vic"),
    user("vic", "vp_cs", "cora"), user("eli", "vp_engineering"),
    user("tess", "cto"), user("cora", "cro", "max"), user("max", "ceo"),
    user("ana", "support_agent", "lee"),
)

BALLAST = tuple(
    Account(id=f"BAL{k:02d}", name=f"Ballast {k}", arr=10_000_000, owner="sam" + V,
            domains=(f"ballast{k}.example",))
    for k in range(20)
)


def account(ident: str = "A", arr: float = 50_000, owner: str = "dana", **kw) -> Account:
    kw.setdefault("domains", (f"{ident.lower()}.example",))
    return Account(id=ident, name=f"Account {ident}", arr=arr, owner=owner + V, **kw)


def customer(acct: str = "A", title: str = "") -> Person:
    return Person(email=f"person@{acct.lower()}.example", name="Pat", title=title, customer=True)


AGENT = Person(email="ana" + V, name="Ana", customer=False)


def ticket(key: str, when: datetime, text: str = "", *, acct: str = "A", reporter: Person | None = None,
           priority: str | None = "Medium", components: tuple[str, ...] = (),
           labels: tuple[str, ...] = (), channel: str = "portal",
           comments: tuple[Comment, ...] = ()) -> Ticket:
    return Ticket(key=key, created=when, updated=when, summary=text[:40], description=text,
                  priority=priority, components=components, labels=labels, channel=channel,
                  reporter=reporter or customer(acct), comments=comments)


def comment(when: datetime, body: str, *, by: Person | None = None, public: bool = True) -> Comment:
    return Comment(at=when, author=by or customer(), body=body, public=public)


def health(*points: tuple[datetime, float]) -> tuple[HealthSample, ...]:
    return tuple(HealthSample(at=t, score=s) for t, s in points)


def config(**overrides) -> RulesConfig:
    return parse_config(overrides) if overrides else default_config()


def book(accounts, tickets=(), users=USERS, now: datetime | None = None) -> Book:
    accounts = tuple(accounts) + BALLAST
    return Book(now=now or at(days=60), users=users, accounts=accounts, tickets=tuple(tickets))


def replay(accounts, tickets=(), cfg: RulesConfig | None = None, users=USERS,
           load: dict[str, int] | None = None) -> Replay:
    cfg = cfg or default_config()
    b = book(accounts, tickets, users)
    directory = Directory.build(b.users, b.accounts, cfg.tiers.top_accounts)
    r = Replay(ctx=Context(cfg=cfg, directory=directory))
    if load:
        r.load.update(load)
    events, r.unmatched = book_events(b, directory, b.now)
    r.feed(events)
    return r


def only(r: Replay):
    escs = r.escalations()
    assert len(escs) == 1, [e.account for e in escs]
    return escs[0]


def kinds(r: Replay) -> list[str]:
    return [t.kind for e in r.escalations() for t in e.triggers]
