"""Settings from the environment or a ``.env`` file (ARCHITECTURE.md, "Settings").

Secrets are ``SecretStr``: they print as ``**********`` in logs, errors and reprs. A setting
that cannot work (no Salesforce credentials of either kind, say) is refused at start.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from connectors.notify import NotifyConfig


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore",
                                      secrets_dir=None)

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
    jira_learning_project: str = Field(default="OPS", description="where learning-loop action items go")
    jira_search_settle_seconds: float = Field(
        default=30.0, description="how long a Jira write may stay invisible to search")

    # TLS: a CA bundle for both APIs (corporate proxies, the sandbox); default: the system's
    requests_ca_bundle: str | None = None

    # Notifications: Slack-compatible incoming webhooks by route (JSON; the URLs are secrets)
    notify_webhooks: NotifyConfig = Field(default_factory=NotifyConfig)

    # Shell
    redis_url: str = "redis://127.0.0.1:6379/0"
    escalation_rules: Path | None = None
    poll_interval_seconds: float = 60.0
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
