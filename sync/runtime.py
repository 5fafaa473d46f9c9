"""Building the connector from settings: clients, store, poller, writer. Nothing decides here."""

from __future__ import annotations

import dataclasses
import ssl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

import redis

from connectors.jira import JiraConnector
from connectors.jira_people import people_for
from connectors.notify import Notifier, NotifyEvent, RedisSentStore
from connectors.salesforce import SalesforceConnector
from connectors.salesforce_auth import TokenSource
from rules.config import RulesConfig
from rules.lifecycle.visible import became_visible
from rules.models import Escalation
from rules.triggers import Context
from sync.executor import Pools
from sync.golive import GoLiveGate, go_live_at
from sync.learning import open_action_items
from sync.lifecycle import Lifecycle, WatchSummary
from sync.limiter import Limiter
from sync.lock import RedisLock
from sync.observe import flush_counts, incr
from sync.pipeline import CycleSummary, Poller, utcnow
from sync.rules_file import RulesFile
from sync.settings import Settings
from sync.state import Store
from sync.writes import FlushSummary, JiraShape, Writer

DECIDE_WAIT_SECONDS = 120.0
WAITING_MS = 1000  # a poll waiting for the decide lock renews this every 50 ms


def _decided(made: list, hand_off: Callable[[list[list[str]]], None] | None) -> list[str] | None:
    """What a cycle or watch writes itself: the whole outbox, severest first, when it runs alone
    (``sync-once``, tests); with flush tasks to hand to (Celery), only what it decided just now,
    so a poll never spends its interval on an earlier burst's plan issues and watchers while
    new tickets wait (the tasks fan the rest of the outbox out)."""
    return None if hand_off is None else [d.escalation.id for d in made]


def _names(text: str) -> tuple[str, ...]:
    return tuple(n.strip() for n in text.split(",") if n.strip())


@dataclass
class Runtime:
    settings: Settings
    clock: Callable[[], datetime] = utcnow
    _notify: Callable[[NotifyEvent], None] | None = field(default=None, repr=False)

    @cached_property
    def rules_file(self) -> RulesFile:
        return RulesFile(self.settings.escalation_rules,
                         on_error=lambda exc: incr(self.redis, self.store.k.stats, {"rules_reload_errors": 1}))

    @property
    def rules(self) -> RulesConfig:
        """The current rules: a changed file is reloaded; a bad edit keeps the last good rules."""
        return self.rules_file.current()

    @cached_property
    def redis(self) -> redis.Redis:
        return redis.Redis.from_url(self.settings.redis_url, socket_timeout=30, health_check_interval=30)

    @cached_property
    def store(self) -> Store:
        return Store(self.redis)

    @cached_property
    def salesforce(self) -> SalesforceConnector:
        s = self.settings
        bundle = s.requests_ca_bundle
        verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=bundle) if bundle else True
        tokens = TokenSource(
            s.salesforce_login_url, s.salesforce_client_id or "",
            client_secret=s.salesforce_client_secret.get_secret_value() if s.salesforce_client_secret else None,
            username=s.salesforce_username, private_key_file=s.salesforce_private_key_file,
            timeout=s.http_timeout_seconds, verify=verify)
        connector = SalesforceConnector(tokens, api_version=s.salesforce_api_version,
                                        timeout=s.http_timeout_seconds, health_field=s.salesforce_health_field,
                                        ca_bundle=bundle)
        self.limiters["salesforce"].wrap(connector.session)
        return connector

    @cached_property
    def limiters(self) -> dict[str, Limiter]:
        """The shared pacing of each system (every worker counts in the same Redis keys)."""
        s, ns = self.settings, self.store.k.ns
        return {"jira": Limiter(self.redis, ns, "jira", rate=s.jira_max_calls_per_second,
                                endpoint_rate=s.jira_endpoint_calls_per_second),
                "salesforce": Limiter(self.redis, ns, "salesforce", rate=s.salesforce_max_calls_per_second)}

    @cached_property
    def pools(self) -> Pools:
        s = self.settings
        return Pools.sized(s.jira_max_in_flight, s.salesforce_max_in_flight)

    @cached_property
    def jira(self) -> JiraConnector:
        s = self.settings
        jira = JiraConnector(
            s.jira_url, email=s.jira_email,
            api_token=s.jira_api_token.get_secret_value() if s.jira_api_token else None,
            pat=s.jira_pat.get_secret_value() if s.jira_pat else None, timeout=s.http_timeout_seconds,
            ca_bundle=s.requests_ca_bundle,
            field_names={"channel": s.jira_channel_field, "account": s.jira_account_field,
                         "title": s.jira_title_field},
            max_retries=0, gate=self.limiters["jira"].wrap)
        people_for(jira, mapping_file=s.jira_people_file, reset=True,  # who is who (hidden e-mails)
                   salesforce=self.salesforce if s.salesforce_jira_account_field else None,
                   salesforce_field=s.salesforce_jira_account_field or "Jira_Account_Id__c")
        return jira

    @cached_property
    def poller(self) -> Poller:
        s = self.settings
        poller = Poller(self.store, self.salesforce, self.jira, self.rules, support_jql=s.jira_support_jql,
                        backfill=timedelta(days=s.backfill_days), overlap=timedelta(seconds=s.cursor_overlap_seconds),
                        health_mode=s.salesforce_health_history, clock=self.clock)
        poller.guard = lambda: self.deciding(first=True)
        return poller

    @contextmanager
    def deciding(self, *, first: bool = False) -> Iterator[None]:
        """Held while the poll or the watch decides and commits (not while the poll reads or
        writes): the two decide on the same escalations, so one waits for the other's commit.

        The poll goes ``first``: while it waits it says so (``{ns}:decide:waiting``, expiring
        within a second if it dies), and a watch does not take the lock meanwhile. Without
        that, a worker running watch after watch re-took the lock within milliseconds of
        freeing it, and a poll waiting beside it (retrying every 50 ms) sat for 80 s after a
        10k burst with new tickets in hand.
        """
        # CYCLE_LOCK_SECONDS (renewed every third of it while held): a dead decider frees it within that
        lock = RedisLock(self.redis, self.store.k.lock("decide"), timeout=self.settings.cycle_lock_seconds)
        waiting = f"{self.store.k.ns}:decide:waiting"
        deadline = time.monotonic() + DECIDE_WAIT_SECONDS
        try:
            while (not first and self.redis.exists(waiting)) or not lock.acquire():
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{lock.key} held for over {DECIDE_WAIT_SECONDS:.0f} s")
                if first:
                    self.redis.set(waiting, "1", px=WAITING_MS)
                time.sleep(0.05)
        finally:
            if first:
                self.redis.delete(waiting)
        try:
            yield
        finally:
            lock.release()

    @cached_property
    def writer(self) -> Writer:
        s = self.settings
        shape = JiraShape(project=s.jira_escalation_project, epic_type=s.jira_epic_type,
                          plan_type=s.jira_plan_issue_type, link_type=s.jira_link_type, cloud=self.jira.cloud,
                          url=s.jira_url)
        return Writer(self.store, self.salesforce, self.jira, shape,
                      settle_seconds=s.write_settle_seconds, dry_run=s.dry_run,
                      clock=lambda: self.clock().timestamp(), calendar=self.rules.calendar,
                      pools=self.pools, send=self.send, batch=s.flush_batch, lease_seconds=s.flush_claim_seconds,
                      visible=self.shown_at_create)

    def shown_at_create(self, escalations: list[Escalation], at: datetime) -> list[Escalation]:
        """The escalations as the watch will record them once their epics exist at ``at``
        (:func:`rules.lifecycle.visible.became_visible`, same inputs), so the epic's create
        carries its clocks and "found in history" entry (sync/lifecycle.py reads ``at``)."""
        s = self.settings
        poll = timedelta(seconds=s.poll_interval_seconds)
        latency = poll + timedelta(seconds=s.cursor_overlap_seconds)
        go_live = go_live_at(self.store)
        ctx = Context(cfg=self.rules, directory=self.poller.directory())  # a late plan's CSM
        out = []
        for esc in escalations:
            decision = became_visible(esc, at, poll, ctx, go_live, latency=latency)
            out.append(esc if decision is None else decision.escalation)
        return out

    def send(self, event: NotifyEvent) -> bool:
        """Carry out a Notify intent: True once every webhook has it (deduplicated by key)."""
        owner = event.escalation.owner
        if owner and event.owner_name is None:  # the message names the owner as people know them
            names = {u.email: u.name for u in self.store.users() or []}
            event = dataclasses.replace(event, owner_name=names.get(owner) or None)
        if self._notify is not None:
            self._notify(event)
            return True
        return not self.notifier.send(event).failed

    @cached_property
    def lifecycle(self) -> Lifecycle:
        s = self.settings
        lifecycle = Lifecycle(self.store, self.jira, self.rules, project=s.jira_escalation_project,
                              salesforce=self.salesforce,
                              overlap=timedelta(seconds=s.cursor_overlap_seconds), clock=self.clock,
                              poll=timedelta(seconds=s.poll_interval_seconds),
                              dismiss=(_names(s.jira_dismiss_resolutions), _names(s.jira_dismiss_labels)))
        # reads activity outside the decide lock (a 10k burst's read is ~10 s), decides under it
        lifecycle.guard = self.deciding
        return lifecycle

    def learn(self) -> list:
        """The learning loop: open the action items systemic root causes call for."""
        s = self.settings
        return open_action_items(self.store, self.jira, self.rules, self.poller.directory(),
                                 project=s.jira_learning_project, settle_seconds=s.write_settle_seconds)

    def watch(self, notify: Callable[[NotifyEvent], None] | None = None, *, flush_seconds: float | None = None,
              hand_off: Callable[[list[list[str]]], None] | None = None) -> tuple[WatchSummary, FlushSummary]:
        """The lifecycle beat: activity and the SLA watch (read outside the decide lock, decided
        under it, so never at the same time as a poll's decisions), then write what it decided."""
        started = time.monotonic()
        self.lifecycle.cfg = self.rules
        self._notify = notify
        try:
            summary = self.lifecycle.run(self.poller.directory())  # decides under lifecycle.guard
            self.observe([(d.action, d.escalation, d.reasons) for d in summary.made],
                         round(time.monotonic() - started, 3), "watch")
            deadline = None if flush_seconds is None else time.monotonic() + flush_seconds
            written = self.writer.flush(_decided(summary.made, hand_off), deadline=deadline, hand_off=hand_off)
        finally:
            self._notify = None
            self.poller.before_commit = None
            self.observe()
        return summary, written

    @cached_property
    def notifier(self) -> Notifier:
        s = self.settings
        return Notifier(s.notify_webhooks, sent=RedisSentStore(self.redis, namespace=self.store.k.ns),
                        jira_url=s.jira_url, salesforce_url=s.salesforce_instance_url)

    def cycle(self, notify: Callable[[NotifyEvent], None] | None = None, *, flush_seconds: float | None = None,
              hand_off: Callable[[list[list[str]]], None] | None = None) -> tuple[CycleSummary, FlushSummary]:
        """One full cycle: poll and decide (committed with the intents), then write, severest
        first; with ``flush_seconds``, only for that long (the rest stays in the outbox); with
        ``hand_off``, only this cycle's decisions (:func:`_decided`)."""
        self.poller.cfg = self.rules
        gate = GoLiveGate(self.store, self.settings.go_live, timedelta(seconds=self.settings.poll_interval_seconds),
                          self.clock(), cfg=self.rules, dry_run=self.settings.dry_run)  # the go-live choice
        self._notify = notify
        self.poller.before_commit = gate.apply
        try:
            summary = self.poller.cycle()
            gate.hold_back_pending(summary.made)
            self.observe([(d.action, d.escalation, d.reasons) for d in summary.made], summary.duration_s, "poll")
            deadline = None if flush_seconds is None else time.monotonic() + flush_seconds
            written = self.writer.flush(_decided(summary.made, hand_off), deadline=deadline, hand_off=hand_off)
        finally:
            self._notify = None
            self.poller.before_commit = None
            self.observe()
        return summary, written

    def observe(self, decided: list[tuple[str, Escalation, tuple[str, ...]]] = (),  # type: ignore[assignment]
                duration: float | None = None, source: str | None = None) -> None:
        """Ship this process's counters to Redis: API calls, quota, cycle time."""
        key = self.store.k.metrics
        flush_counts(self.redis, key)  # decisions are counted at their commit (sync.metrics.decision_counts)
        gauges: dict[str, str] = {}
        if "salesforce" in self.__dict__ and self.salesforce.api_usage:
            used, total = self.salesforce.api_usage
            gauges.update({"quota|used": str(used), "quota|total": str(total)})
        if duration is not None and source:
            gauges[f"duration|{source}"] = str(duration)
        if gauges:
            self.redis.hset(key, mapping=gauges)
