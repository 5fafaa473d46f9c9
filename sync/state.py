"""The connector's memory in Redis: cursors, rules state, the outbox and the escalation index.

A poll cycle reads what it needs in a few round trips (HMGET of the accounts it touches) and
writes everything it decided in **one** MULTI/EXEC transaction: new account states, the
escalations to write (the outbox), the processed-ticket keys and the advanced cursors. So the
cursor never moves past work that is not durable, and a crash leaves either all of a cycle's
decisions or none. Key names are documented in :mod:`sync.keys`.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import redis
from pydantic import TypeAdapter

from rules.intents import Comment, Intent, from_dict, intents_for, merge
from rules.models import Account, Escalation, User
from rules.state import AccountState, ComponentHit
from sync.keys import Keys

DONE_TTL_SECONDS = 30 * 86400  # what was carried out is remembered a month after its last write

_HITS = TypeAdapter(list[ComponentHit])
_USERS = TypeAdapter(list[User])


class OutboxEntry:
    """An escalation decided but not yet (fully) written: the escalation as last decided, the
    reasons (for the log) and the intents (:mod:`rules.intents`) still to carry out.

    ``version`` grows with every decision merged into the entry; the writer drops the entry
    only if no newer decision replaced it meanwhile. Which intents were carried out is kept
    apart (``{ns}:done:{ext}``), so a retry skips them.
    """

    def __init__(self, escalation: Escalation, reasons: list[str], version: int = 1,
                 intents: list[Intent] | None = None):
        self.escalation, self.reasons, self.version = escalation, reasons, version
        self.intents = intents if intents is not None else intents_for(None, escalation, reasons=reasons)

    def merged(self, escalation: Escalation, reasons: list[str], intents: list[Intent]) -> OutboxEntry:
        """This entry with one more decision: the newer escalation, every intent once."""
        return OutboxEntry(escalation, self.reasons + reasons, self.version + 1, merge(self.intents, intents))

    def to_json(self) -> str:
        return json.dumps({"escalation": self.escalation.model_dump(mode="json"), "reasons": self.reasons,
                           "version": self.version, "intents": [i.to_dict() for i in self.intents]})

    @classmethod
    def from_json(cls, raw: str | bytes) -> OutboxEntry:
        data = json.loads(raw)
        esc = Escalation.model_validate(data["escalation"])
        if "intents" in data:
            intents = [from_dict(i) for i in data["intents"]]
        else:  # an entry written before intents: everything, found or skipped where it exists
            intents = intents_for(None, esc, reasons=data["reasons"])
            intents += [Comment(esc.id, id=k, text=t) for k, t in data.get("comments") or []]
        return cls(esc, data["reasons"], data["version"], intents)


@dataclass
class CycleCommit:
    """Everything one cycle decided, written together."""

    accounts: dict[str, Account] = field(default_factory=dict)
    states: dict[str, AccountState] = field(default_factory=dict)
    hits: dict[str, list[ComponentHit]] = field(default_factory=dict)
    load: Counter[str] = field(default_factory=Counter)
    seen: dict[str, float] = field(default_factory=dict)
    outbox: dict[str, OutboxEntry] = field(default_factory=dict)
    withheld: dict[str, Escalation] = field(default_factory=dict)  # decided, never to be written (GO_LIVE=skip)
    cursors: dict[str, datetime] = field(default_factory=dict)
    unmatched: dict[str, float] = field(default_factory=dict)
    stats: Counter[str] = field(default_factory=Counter)
    metrics: Counter[str] = field(default_factory=Counter)  # {ns}:metrics increments (sync.metrics.decision_counts)
    seen_before: float | None = None  # prune processed keys older than this epoch


class Store:
    def __init__(self, client: redis.Redis, keys: Keys | None = None):
        self.r = client
        self.k = keys or Keys()

    # --- reads ---------------------------------------------------------------------------

    def cursor(self, source: str) -> datetime | None:
        raw = self.r.hget(self.k.cursor, source)
        return datetime.fromisoformat(raw.decode()) if raw else None

    def cursors(self) -> dict[str, datetime]:
        return {k.decode(): datetime.fromisoformat(v.decode())
                for k, v in self.r.hgetall(self.k.cursor).items()}

    def accounts(self) -> dict[str, Account]:
        return {k.decode(): Account.model_validate_json(v) for k, v in self.r.hgetall(self.k.accounts).items()}

    def users(self) -> list[User] | None:
        raw = self.r.get(self.k.users)
        return _USERS.validate_json(raw) if raw else None

    def save_users(self, users: list[User], ttl_seconds: int = 3600) -> None:
        self.r.set(self.k.users, _USERS.dump_json(users), ex=ttl_seconds)

    def states(self, accounts: Iterable[str]) -> dict[str, AccountState]:
        ids = list(dict.fromkeys(accounts))
        if not ids:
            return {}
        raws = self.r.hmget(self.k.state, ids)
        return {a: AccountState.model_validate_json(raw) if raw else AccountState(account=a)
                for a, raw in zip(ids, raws, strict=True)}

    def hits(self, components: Iterable[str]) -> dict[str, list[ComponentHit]]:
        names = list(dict.fromkeys(components))
        if not names:
            return {}
        raws = self.r.hmget(self.k.hits, names)
        return {c: _HITS.validate_json(raw) if raw else [] for c, raw in zip(names, raws, strict=True)}

    def load(self) -> dict[str, int]:
        return {k.decode(): int(v) for k, v in self.r.hgetall(self.k.load).items()}

    def seen(self, members: Iterable[str]) -> set[str]:
        names = list(dict.fromkeys(members))
        if not names:
            return set()
        scores = self.r.zmscore(self.k.seen, names)
        return {m for m, s in zip(names, scores, strict=True) if s is not None}

    def outbox(self) -> dict[str, OutboxEntry]:
        return {k.decode(): OutboxEntry.from_json(v) for k, v in self.r.hgetall(self.k.outbox).items()}

    def outbox_entries(self, escalation_ids: Iterable[str]) -> dict[str, OutboxEntry]:
        ids = list(dict.fromkeys(escalation_ids))
        if not ids:
            return {}
        raws = self.r.hmget(self.k.outbox, ids)
        return {a: OutboxEntry.from_json(raw) for a, raw in zip(ids, raws, strict=True) if raw}

    def escalations(self, ids: Iterable[str] | None = None) -> dict[str, Escalation]:
        """Escalations by external id: the given ones, or all ever decided."""
        if ids is None:
            raw = self.r.hgetall(self.k.escalations)
            return {k.decode(): Escalation.model_validate_json(v) for k, v in raw.items()}
        names = list(dict.fromkeys(ids))
        if not names:
            return {}
        raws = self.r.hmget(self.k.escalations, names)
        return {x: Escalation.model_validate_json(r) for x, r in zip(names, raws, strict=True) if r}

    def open_ids(self) -> set[str]:
        return {m.decode() for m in self.r.smembers(self.k.open)}

    def issue_refs(self, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        names = list(dict.fromkeys(keys))
        if not names:
            return {}
        raws = self.r.hmget(self.k.issues, names)
        return {k: json.loads(r) for k, r in zip(names, raws, strict=True) if r}

    def activity_marks(self) -> dict[str, str]:
        return {k.decode(): v.decode() for k, v in self.r.hgetall(self.k.activity).items()}

    def save_activity_marks(self, marks: Mapping[str, str]) -> None:
        if marks:
            self.r.hset(self.k.activity, mapping=dict(marks))

    def index(self, external_id: str) -> dict[str, Any]:
        raw = self.r.hget(self.k.index, external_id)
        return json.loads(raw) if raw else {}

    def stats(self) -> dict[str, int]:
        return {k.decode(): int(v) for k, v in self.r.hgetall(self.k.stats).items()}

    # --- writes --------------------------------------------------------------------------

    def commit(self, c: CycleCommit) -> None:
        """Write a cycle's decisions and advance its cursors in one transaction."""
        p = self.r.pipeline(transaction=True)
        if c.accounts:
            p.hset(self.k.accounts, mapping={a: v.model_dump_json() for a, v in c.accounts.items()})
        if c.states:
            p.hset(self.k.state, mapping={a: s.model_dump_json() for a, s in c.states.items()})
        if c.hits:
            p.hset(self.k.hits, mapping={comp: _HITS.dump_json(h) for comp, h in c.hits.items()})
        for owner, delta in c.load.items():
            if delta:
                p.hincrby(self.k.load, owner, delta)
        if c.seen:
            p.zadd(self.k.seen, c.seen)
        if c.seen_before is not None:
            p.zremrangebyscore(self.k.seen, "-inf", c.seen_before)
        if c.outbox:
            p.hset(self.k.outbox, mapping={a: e.to_json() for a, e in c.outbox.items()})
            p.hset(self.k.escalations, mapping={x: e.escalation.model_dump_json() for x, e in c.outbox.items()})
            opened = [x for x, e in c.outbox.items() if e.escalation.is_open]
            done = [x for x, e in c.outbox.items() if not e.escalation.is_open]
            if opened:
                p.sadd(self.k.open, *opened)
            if done:
                p.srem(self.k.open, *done)
        if c.withheld:  # remembered as decided (status, preview), neither written nor watched
            p.hset(self.k.escalations, mapping={x: e.model_dump_json() for x, e in c.withheld.items()})
            p.srem(self.k.open, *c.withheld)
        if c.unmatched:
            p.zadd(self.k.unmatched, c.unmatched)
        for name, value in c.stats.items():
            p.hincrby(self.k.stats, name, value)
        for name, value in c.metrics.items():  # counted with the decision, not after its flush (i16)
            if value:
                p.hincrby(self.k.metrics, name, value)
        if c.cursors:
            p.hset(self.k.cursor, mapping={s: t.astimezone(UTC).isoformat()
                                           for s, t in c.cursors.items()})
        p.execute()

    def index_put(self, external_id: str, entry: Mapping[str, Any]) -> None:
        """Remember what exists for an escalation, and map its Jira issues back to it."""
        p = self.r.pipeline(transaction=True)
        p.hset(self.k.index, external_id, json.dumps(entry, sort_keys=True))
        refs = {}
        if entry.get("epic"):
            refs[entry["epic"]] = json.dumps({"ext": external_id, "step": None})
        for step, info in (entry.get("steps") or {}).items():
            refs[info["key"]] = json.dumps({"ext": external_id, "step": step})
        if refs:
            p.hset(self.k.issues, mapping=refs)
        p.execute()

    def finish(self, escalation_id: str, version: int) -> bool:
        """Drop an outbox entry once written, unless a newer decision replaced it meanwhile."""
        done = False

        def drop(pipe: redis.client.Pipeline) -> None:
            nonlocal done
            raw = pipe.hget(self.k.outbox, escalation_id)
            done = bool(raw) and json.loads(raw)["version"] == version
            if done:
                pipe.multi()
                pipe.hdel(self.k.outbox, escalation_id)

        self.r.transaction(drop, self.k.outbox)
        return done

    def done(self, external_ids: Iterable[str]) -> dict[str, dict[str, str]]:
        """Per escalation: the keys of the intents already carried out -> their result."""
        ids = list(dict.fromkeys(external_ids))
        p = self.r.pipeline(transaction=False)
        for ext in ids:
            p.hgetall(self.k.done(ext))
        return {ext: {k.decode(): v.decode() for k, v in raw.items()}
                for ext, raw in zip(ids, p.execute(), strict=True)}

    def mark_done(self, external_id: str, results: Mapping[str, str]) -> None:
        """Record intents as carried out (at once: a crash after this must not redo them)."""
        if not results:
            return
        p = self.r.pipeline(transaction=True)
        p.hset(self.k.done(external_id), mapping=dict(results))
        p.expire(self.k.done(external_id), DONE_TTL_SECONDS)
        p.execute()

    def claim(self, external_ids: Iterable[str], token: str, lease_ms: int) -> list[str]:
        """Claim escalations for writing (``SET NX PX``): the ones this token now holds."""
        ids = list(dict.fromkeys(external_ids))
        p = self.r.pipeline(transaction=False)
        for ext in ids:
            p.set(self.k.claim(ext), token, nx=True, px=lease_ms)
        return [ext for ext, ok in zip(ids, p.execute(), strict=True) if ok]

    def renew_claims(self, external_ids: Iterable[str], token: str, lease_ms: int) -> None:
        """Extend the lease of the claims this token still holds (WATCH/MULTI, no Lua)."""
        for ext in external_ids:
            key = self.k.claim(ext)

            def extend(pipe: redis.client.Pipeline, key: str = key) -> None:
                if pipe.get(key) == token.encode():
                    pipe.multi()
                    pipe.pexpire(key, lease_ms)

            self.r.transaction(extend, key)

    def release_claims(self, external_ids: Iterable[str], token: str) -> None:
        for ext in external_ids:
            key = self.k.claim(ext)

            def drop(pipe: redis.client.Pipeline, key: str = key) -> None:
                if pipe.get(key) == token.encode():
                    pipe.multi()
                    pipe.delete(key)

            self.r.transaction(drop, key)

    def set_intent(self, external_id: str, what: str, at: float, ttl: int) -> None:
        self.r.set(self.k.intent(external_id, what), at, ex=max(ttl, 1))

    def intent(self, external_id: str, what: str) -> float | None:
        raw = self.r.get(self.k.intent(external_id, what))
        return float(raw) if raw else None

    def jira_user_ids(self, emails: Iterable[str]) -> dict[str, str | None]:
        """Known Jira account ids; an email looked up before and not found maps to None."""
        names = list(dict.fromkeys(emails))
        if not names:
            return {}
        raws = self.r.hmget(self.k.jira_users, names)
        return {e: (r.decode() or None) for e, r in zip(names, raws, strict=True) if r is not None}

    def save_jira_user_ids(self, ids: Mapping[str, str | None]) -> None:
        if ids:
            self.r.hset(self.k.jira_users, mapping={e: v or "" for e, v in ids.items()})

    def record_cycle(self, source: str, info: Mapping[str, Any]) -> None:
        self.r.hset(self.k.cycle, source, json.dumps(info, default=str))

    def last_cycles(self) -> dict[str, dict[str, Any]]:
        return {k.decode(): json.loads(v) for k, v in self.r.hgetall(self.k.cycle).items()}
