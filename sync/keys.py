"""Every Redis key the connector uses, in one place (STYLE.md, convention 12).

All keys start with the namespace (default ``esc``), so one Redis can serve several
installations. "Lives" means no expiry: losing it would lose or duplicate work.

| key | type | lives? | holds |
|---|---|---|---|
| ``{ns}:cursor`` | hash | yes | source -> ISO time up to which changes are processed |
| ``{ns}:state`` | hash | yes | account id -> the rules' AccountState (JSON) |
| ``{ns}:accounts`` | hash | yes | account id -> Account (JSON): the directory cache |
| ``{ns}:users`` | string | 1 h | the vendor's users (JSON list); refreshed when stale |
| ``{ns}:hits`` | hash | yes (pruned) | component -> recent ComponentHits (JSON list) |
| ``{ns}:load`` | hash | yes | owner email -> open escalations |
| ``{ns}:seen`` | zset | pruned | "ticket key|updated" already processed (score: epoch of updated) |
| ``{ns}:outbox`` | hash | yes | escalation id -> pending writes (JSON): decided, not yet written |
| ``{ns}:index`` | hash | yes | external id -> what exists in Salesforce and Jira (record id, epic, steps...) |
| ``{ns}:escalations`` | hash | yes | external id -> the escalation as last decided (JSON), open or not |
| ``{ns}:open`` | set | yes | external ids of open escalations (what the SLA watch walks) |
| ``{ns}:issues`` | hash | yes | Jira key -> {"ext", "step"} for epics and plan issues the connector made |
| ``{ns}:actions`` | hash | yes | learning-loop action item id -> Jira key |
| ``{ns}:recovering`` | set | yes | external ids of resolved escalations whose month-3 health check is pending |
| ``{ns}:activity`` | hash | pruned (1) | "<jira key>:status" -> last status, "<key>:comment:<id>" -> seen (1) |
| ``{ns}:intent:{ext}:{what}`` | string | settle x 10 | a Jira create (or comment) was attempted at (epoch) |
| ``{ns}:done:{ext}`` | hash | 30 d after last write | intent key -> result: the intents carried out |
| ``{ns}:claim:{ext}`` | string | lease (renewed) | the token of the flush writing this escalation now |
| ``{ns}:queued:{ext}`` | string | batch expiry + 1 s | a sent flush batch holds it (deleted as the batch starts) |
| ``{ns}:decide:waiting`` | string | 1 s (renewed) | a poll waits for the decide lock: a watch lets it go first |
| ``{ns}:watch:yielded`` | string | 2 watch intervals | a watch gave way to a starved poll (the next one runs) |
| ``{ns}:rate:{system}[:{endpoint}]:{second}`` | string | 2 s | calls started that second, all workers |
| ``{ns}:backoff:{system}:{scope}`` | string | Retry-After | a 429 pause: ``all``, ``endpoint:..``, ``issue:..`` |
| ``{ns}:lock:{name}`` | string | lock timeout | token "host:pid:start:rand" of ``cycle``, ``watch``, ``decide`` |
| ``{ns}:unmatched`` | zset | pruned (1) | tickets matching no account (score: epoch seen), kept 30 days |
| ``{ns}:stats`` | hash | yes | counters: cycles, events, decisions, unmatched, skipped, api calls |
| ``{ns}:cycle`` | hash | yes | the last cycle per source: finished at, duration, counts, error |
| ``{ns}:metrics`` | hash | yes | counters and gauges for the Prometheus exporter ("name|label|label") |
| ``{ns}:jira_users`` | hash | yes | email -> Jira account id ("" when none was found) |
| ``{ns}:alive`` | hash | yes (a few fields) | part (beat, worker, poll, watch, flush) -> epoch of its last success |
| ``{ns}:golive`` | hash | yes | ``at``: the first cycle's start (ISO; a restart is not a go-live), ``choice`` |
| ``{ns}:golive:skipped`` | hash | yes | external id -> summary (JSON): found in history, not written (GO_LIVE=skip) |
| ``{ns}:dismissed`` | hash | yes | trigger kind -> escalations people dismissed that it fired in |

The Celery queues are Redis lists too, not namespaced (one broker database per installation):
``escalation-sync`` (the beat's tasks) and ``escalation-sync-batches`` (write batches), see
:data:`QUEUES` and ``celeryconfig.py``.

(1) by :mod:`sync.housekeeping` (every 10 minutes): activity marks once their escalation is done.
"""

from __future__ import annotations

from dataclasses import dataclass

CONTROL_QUEUE = "escalation-sync"  # poll, watch, flush, learn, housekeeping, notify
BATCH_QUEUE = "escalation-sync-batches"  # flush_batch: the write batches a long flush fans out
QUEUES = (CONTROL_QUEUE, BATCH_QUEUE)  # a worker takes them in turn (celeryconfig)
LATER = 3  # the priority of every task but the poll (0, taken first); a Redis list per step
PRIORITY_SEPARATOR = "\x06\x16"  # the Redis transport's "{queue}{sep}{step}" lists (kombu)


def queue_lists(name: str) -> tuple[str, ...]:
    """The Redis lists a Celery queue's messages wait in: one per priority step used."""
    return (name, f"{name}{PRIORITY_SEPARATOR}{LATER}")


@dataclass(frozen=True)
class Keys:
    ns: str = "esc"

    @property
    def cursor(self) -> str:
        return f"{self.ns}:cursor"

    @property
    def state(self) -> str:
        return f"{self.ns}:state"

    @property
    def accounts(self) -> str:
        return f"{self.ns}:accounts"

    @property
    def users(self) -> str:
        return f"{self.ns}:users"

    @property
    def hits(self) -> str:
        return f"{self.ns}:hits"

    @property
    def load(self) -> str:
        return f"{self.ns}:load"

    @property
    def seen(self) -> str:
        return f"{self.ns}:seen"

    @property
    def outbox(self) -> str:
        return f"{self.ns}:outbox"

    @property
    def index(self) -> str:
        return f"{self.ns}:index"

    @property
    def unmatched(self) -> str:
        return f"{self.ns}:unmatched"

    @property
    def stats(self) -> str:
        return f"{self.ns}:stats"

    @property
    def cycle(self) -> str:
        return f"{self.ns}:cycle"

    @property
    def escalations(self) -> str:
        return f"{self.ns}:escalations"

    @property
    def open(self) -> str:
        return f"{self.ns}:open"

    @property
    def issues(self) -> str:
        return f"{self.ns}:issues"

    @property
    def actions(self) -> str:
        return f"{self.ns}:actions"

    @property
    def recovering(self) -> str:
        return f"{self.ns}:recovering"

    @property
    def activity(self) -> str:
        return f"{self.ns}:activity"

    @property
    def metrics(self) -> str:
        return f"{self.ns}:metrics"

    @property
    def jira_users(self) -> str:
        return f"{self.ns}:jira_users"

    def done(self, external_id: str) -> str:
        return f"{self.ns}:done:{external_id}"

    def claim(self, external_id: str) -> str:
        return f"{self.ns}:claim:{external_id}"

    def rate(self, system: str, second: int) -> str:
        return f"{self.ns}:rate:{system}:{second}"

    def backoff(self, system: str, scope: str) -> str:
        return f"{self.ns}:backoff:{system}:{scope}"

    @property
    def alive(self) -> str:
        return f"{self.ns}:alive"

    def intent(self, external_id: str, what: str) -> str:
        return f"{self.ns}:intent:{external_id}:{what}"

    def lock(self, name: str) -> str:
        return f"{self.ns}:lock:{name}"

