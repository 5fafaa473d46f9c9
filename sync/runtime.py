"""Building the connector from settings: clients, store, poller, writer. Nothing decides here."""

from __future__ import annotations

import ssl
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property

import redis

from connectors.jira import JiraConnector
from connectors.notify import Notifier, NotifyEvent, RedisSentStore
from connectors.salesforce import SalesforceConnector
from connectors.salesforce_auth import TokenSource
from rules.config import RulesConfig
from rules.models import Escalation
from sync.golive import GoLiveGate
from sync.learning import open_action_items
from sync.lifecycle import Lifecycle, WatchSummary
from sync.notifications import events_for
from sync.observe import flush_counts, incr
from sync.pipeline import CycleSummary, Poller, utcnow
from sync.rules_file import RulesFile
from sync.settings import Settings
from sync.state import Store
from sync.writes import FlushSummary, JiraShape, Writer


def _names(text: str) -> tuple[str, ...]:
    return tuple(n.strip() for n in text.split(",") if n.strip())


@dataclass
class Runtime:
    settings: Settings
    clock: Callable[[], datetime] = utcnow

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
        return SalesforceConnector(tokens, api_version=s.salesforce_api_version,
                                   timeout=s.http_timeout_seconds, health_field=s.salesforce_health_field,
                                   ca_bundle=bundle)

    @cached_property
    def jira(self) -> JiraConnector:
        s = self.settings
        return JiraConnector(
            s.jira_url, email=s.jira_email,
            api_token=s.jira_api_token.get_secret_value() if s.jira_api_token else None,
            pat=s.jira_pat.get_secret_value() if s.jira_pat else None, timeout=s.http_timeout_seconds,
            ca_bundle=s.requests_ca_bundle,
            field_names={"channel": s.jira_channel_field, "account": s.jira_account_field,
                         "title": s.jira_title_field})

    @cached_property
    def poller(self) -> Poller:
        s = self.settings
        return Poller(self.store, self.salesforce, self.jira, self.rules, support_jql=s.jira_support_jql,
                      backfill=timedelta(days=s.backfill_days), overlap=timedelta(seconds=s.cursor_overlap_seconds),
                      health_mode=s.salesforce_health_history, clock=self.clock)

    @cached_property
    def writer(self) -> Writer:
        s = self.settings
        shape = JiraShape(project=s.jira_escalation_project, epic_type=s.jira_epic_type,
                          plan_type=s.jira_plan_issue_type, link_type=s.jira_link_type, cloud=self.jira.cloud)
        return Writer(self.store, self.salesforce, self.jira, shape,
                      settle_seconds=s.jira_search_settle_seconds, dry_run=s.dry_run,
                      clock=lambda: self.clock().timestamp(), calendar=self.rules.calendar)

    @cached_property
    def lifecycle(self) -> Lifecycle:
        s = self.settings
        return Lifecycle(self.store, self.jira, self.rules, project=s.jira_escalation_project,
                         salesforce=self.salesforce,
                         overlap=timedelta(seconds=s.cursor_overlap_seconds), clock=self.clock,
                         poll=timedelta(seconds=s.poll_interval_seconds),
                         dismiss=(_names(s.jira_dismiss_resolutions), _names(s.jira_dismiss_labels)))

    def learn(self) -> list:
        """The learning loop: open the action items systemic root causes call for."""
        s = self.settings
        return open_action_items(self.store, self.jira, self.rules, self.poller.directory(),
                                 project=s.jira_learning_project, settle_seconds=s.jira_search_settle_seconds)

    def watch(self, notify: Callable[[NotifyEvent], None] | None = None) -> tuple[WatchSummary, FlushSummary]:
        """The lifecycle beat: activity and the SLA watch, then write what was decided."""
        started = time.monotonic()
        self.lifecycle.cfg = self.rules
        try:
            summary = self.lifecycle.run(self.poller.directory())
            written = self.writer.flush()
        finally:
            self.observe()
        decided = [(d.action, d.escalation, d.reasons) for d in summary.made]
        for event in self.notifications(decided):
            (notify or self.notifier.send)(event)
        self.observe(decided, round(time.monotonic() - started, 3), "watch")
        return summary, written

    @cached_property
    def notifier(self) -> Notifier:
        s = self.settings
        return Notifier(s.notify_webhooks, sent=RedisSentStore(self.redis, namespace=self.store.k.ns),
                        jira_url=s.jira_url)

    def notifications(self, decided: list[tuple[str, Escalation, tuple[str, ...]]]) -> list[NotifyEvent]:
        """The notifications of written decisions (an escalation still deferred is told later)."""
        events = []
        for action, esc, reasons in decided:
            epic = self.store.index(esc.id).get("epic")
            events.extend(events_for(action, esc, reasons, self.rules, epic))
        return events

    def cycle(self, notify: Callable[[NotifyEvent], None] | None = None) -> tuple[CycleSummary, FlushSummary]:
        """One full cycle: poll and decide, write what was decided, then notify."""
        self.poller.cfg = self.rules
        gate = GoLiveGate(self.store, self.settings.go_live, timedelta(seconds=self.settings.poll_interval_seconds),
                          self.clock(), dry_run=self.settings.dry_run)  # i12: the go-live choice (sync/golive.py)
        try:
            summary = self.poller.cycle()
            gate.hold_back(summary.made)
            written = self.writer.flush()
        finally:
            self.observe()
        for event in gate.notifications(self.notifications([(d.action, d.escalation, d.reasons)
                                                            for d in summary.made])):
            (notify or self.notifier.send)(event)
        self.observe([(d.action, d.escalation, d.reasons) for d in summary.made], summary.duration_s, "poll")
        return summary, written

    def observe(self, decided: list[tuple[str, Escalation, tuple[str, ...]]] = (),  # type: ignore[assignment]
                duration: float | None = None, source: str | None = None) -> None:
        """Ship this process's counters to Redis: API calls, decisions, quota, cycle time."""
        key = self.store.k.metrics
        flush_counts(self.redis, key)
        counts: Counter[str] = Counter()
        for action, esc, _ in decided:
            if action in ("open", "update"):
                counts[f"{'opened' if action == 'open' else 'updated'}|{esc.tier}|{esc.severity.label}"] += 1
            if action == "open":
                counts.update(f"triggers|{t.kind}" for t in esc.triggers)
            if action == "breach":
                counts.update(f"breaches|{b.clock}" for b in esc.breaches[-1:])
        incr(self.redis, key, dict(counts))
        gauges: dict[str, str] = {}
        if "salesforce" in self.__dict__ and self.salesforce.api_usage:
            used, total = self.salesforce.api_usage
            gauges.update({"quota|used": str(used), "quota|total": str(total)})
        if duration is not None and source:
            gauges[f"duration|{source}"] = str(duration)
        if gauges:
            self.redis.hset(key, mapping=gauges)
