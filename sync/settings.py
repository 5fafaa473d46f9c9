"""Settings from the environment or a ``.env`` file (ARCHITECTURE.md, "Settings").

Secrets are ``SecretStr``: they print as ``**********`` in logs, errors and reprs. A setting
that cannot work (no Salesforce credentials of either kind, say) is refused at start.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from connectors.notify import NotifyConfig


def _state_dir() -> Path:
    """``$XDG_STATE_HOME/escalation-sync`` (``~/.local/state/escalation-sync``): never the cwd."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "escalation-sync"


class ServiceSettings(BaseSettings):
    """The shell's own settings: what Celery's configuration needs, with no credentials (so the
    worker's config loads even where the credentials live elsewhere)."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore",
                                      secrets_dir=None)

    redis_url: str = "redis://127.0.0.1:6379/0"
    poll_interval_seconds: float = 60.0
    flush_interval_seconds: float = Field(default=30.0, description="how often the beat fans the outbox out")
    sla_watch_interval_seconds: float = 60.0
    task_time_limit_seconds: int = Field(default=900, gt=60)
    state_dir: Path = Field(default_factory=_state_dir, description="the beat's schedule file lives here")
    metrics_port: int = Field(default=0, ge=0, le=65535, description="a worker serves Prometheus metrics here; 0: off")
    log_level: str = Field(default="INFO", pattern=r"(?i)^(DEBUG|INFO|WARNING|ERROR|CRITICAL)$")

    # The write path (sync/executor.py, sync/limiter.py)
    jira_max_in_flight: int = Field(default=10, ge=1, description="concurrent Jira calls per worker")
    salesforce_max_in_flight: int = Field(default=5, ge=1, description="concurrent Salesforce calls per worker")
    jira_max_calls_per_second: float = Field(default=100.0, ge=0, description="all workers together; 0: no pacing")
    jira_endpoint_calls_per_second: float = Field(
        default=0.0, ge=0, description="per method+endpoint, all workers together (Jira's burst limit); 0: off")
    salesforce_max_calls_per_second: float = Field(default=25.0, ge=0, description="all workers together")
    flush_batch: int = Field(default=50, ge=1, description="escalations per flush task (claimed together)")
    flush_claim_seconds: float = Field(default=15.0, gt=1, description="a dead flush's claims free within this")
    # Locks, beat and housekeeping (sync/tasks.py, sync/beat.py, sync/housekeeping.py)
    cycle_lock_seconds: float = Field(default=20.0, gt=1, description="a task's lock, renewed by its holder; "
                                                                        "a dead worker's frees within this")
    beat_lock_seconds: float = Field(default=10.0, gt=1, description="only the holding beat schedules")
    beat_retry_max_seconds: float = Field(default=5.0, gt=0, description="the beat's back-off cap in a Redis outage")
    housekeeping_interval_seconds: float = Field(default=600.0, gt=0)
    unmatched_keep_days: float = Field(default=30.0, gt=0, description="how long unmatched tickets are listed")
    poll_flush_seconds: float | None = Field(
        default=None, description="how long a poll task writes what it decided before it hands the rest to "
                                  "flush tasks (default: half the poll interval)")


class Settings(ServiceSettings):

    # Salesforce
    salesforce_instance_url: str = Field(description="https://yourorg.my.salesforce.com")
    salesforce_login_url: str = Field(default="https://login.salesforce.com",
                                      description="My Domain or login host for the token endpoint")
    salesforce_client_id: str | None = None
    salesforce_client_secret: SecretStr | None = None
    salesforce_username: str | None = None
    salesforce_private_key_file: Path | None = None
    salesforce_api_version: str = "59.0"
    salesforce_health_field: str = "Health_Score__c"
    salesforce_health_history: Literal["auto", "history", "samples"] = "auto"

    # Jira
    jira_url: str
    jira_email: str | None = None
    jira_api_token: SecretStr | None = None
    jira_pat: SecretStr | None = None
    jira_support_jql: str = "project = SUP"
    jira_escalation_project: str = "ESC"
    jira_epic_type: str = "Epic"
    jira_plan_issue_type: str = "Task"
    jira_link_type: str = "Relates"
    jira_channel_field: str = "Channel"
    jira_account_field: str = "Salesforce Account Id"
    jira_title_field: str = "Reporter Title"
    # i15: explicit e-mail -> Jira account id mapping for people Jira's user search cannot tell (hidden e-mails)
    jira_people_file: str | None = Field(default=None, description="JSON object or CSV email,account_id")
    salesforce_jira_account_field: str = Field(default="Jira_Account_Id__c",
                                               description="User field holding the Jira account id ('' = none)")
    jira_learning_project: str = Field(default="OPS", description="where learning-loop action items go")
    jira_search_settle_seconds: float = Field(
        default=30.0, description="how long a Jira write may stay invisible to search after it landed")

    # TLS: a CA bundle for both APIs (corporate proxies, the sandbox); default: the system's
    requests_ca_bundle: str | None = None

    # Notifications: Slack-compatible incoming webhooks by route (JSON; the URLs are secrets)
    notify_webhooks: NotifyConfig = Field(default_factory=NotifyConfig)

    # Shell
    escalation_rules: Path | None = None
    backfill_days: float = 30.0
    cursor_overlap_seconds: float = 120.0
    http_timeout_seconds: float = 30.0
    dry_run: bool = False
    jira_dismiss_resolutions: str = Field(
        default="Won't Do", description="comma-separated epic resolutions meaning 'not an escalation'")
    jira_dismiss_labels: str = Field(
        default="not-an-escalation", description="comma-separated epic labels meaning 'not an escalation'")
    go_live: Literal["quiet", "skip", "notify"] = Field(
        default="quiet", description="what escalations found in the first backfill get (README, Going live)")

    @property
    def write_settle_seconds(self) -> float:
        """How long after a Jira create was *attempted* the writer waits before concluding it did
        not land (and creating again): the HTTP timeout plus the search's settle time (i16).

        The attempt is recorded just before the request. The write can land at any moment while
        the request is in flight: a slow server applies it at the very end, as the client times out
        and loses the answer. So it may become visible as late as timeout + settle after the
        attempt; a window of the settle time alone (30 s, equal to the 30 s timeout) closed just as
        the client gave up, and the retry created a duplicate. A lost answer to a write applied at
        once (``drop`` in the sandbox) is covered too: it shows in search after the settle time.
        """
        return self.jira_search_settle_seconds + self.http_timeout_seconds

    @model_validator(mode="after")
    def _credentials(self) -> Settings:
        cc = self.salesforce_client_id and self.salesforce_client_secret
        jwt = self.salesforce_client_id and self.salesforce_username and self.salesforce_private_key_file
        if not (cc or jwt):
            raise ValueError(
                "Salesforce credentials: set SALESFORCE_CLIENT_ID and SALESFORCE_CLIENT_SECRET "
                "(client credentials), or SALESFORCE_CLIENT_ID, SALESFORCE_USERNAME and "
                "SALESFORCE_PRIVATE_KEY_FILE (JWT bearer)")
        if not ((self.jira_email and self.jira_api_token) or self.jira_pat):
            raise ValueError("Jira credentials: set JIRA_EMAIL and JIRA_API_TOKEN (Cloud) or JIRA_PAT "
                             "(Data Center)")
        for name in ("salesforce_instance_url", "salesforce_login_url", "jira_url"):
            setattr(self, name, getattr(self, name).rstrip("/"))
        return self
