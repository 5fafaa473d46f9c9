"""The deployment files hold together: docker-compose.yml, Dockerfile, .dockerignore and
.env.example. Docker itself is not needed (nor run): the files are parsed and cross-checked
against the code they deploy (settings, Celery app, sandbox flags)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from dotenv import dotenv_values

from connectors.notify import NotifyConfig
from sync.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
VAR = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:[:?+-][^}]*)?\}"  # ${VAR}, ${VAR:-x}
                 r"|(?<!\$)\$([A-Za-z_][A-Za-z0-9_]*)")  # $VAR; $$VAR is a literal $


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text("utf-8"))
    assert isinstance(data, dict)
    return data


def argv(service: dict[str, Any]) -> list[str]:
    """The service's full command line (entrypoint + command), as a list."""
    out: list[str] = []
    for key in ("entrypoint", "command"):
        value = service.get(key) or []
        out += value.split() if isinstance(value, str) else [str(v) for v in value]
    return out


def documented() -> dict[str, bool]:
    """Names in .env.example -> set (True) or only shown commented out (False)."""
    names: dict[str, bool] = {}
    for line in ENV_EXAMPLE.read_text("utf-8").splitlines():
        m = re.match(r"^(#\s*)?([A-Z][A-Z0-9_]*)=", line)
        if m:
            names[m.group(2)] = names.get(m.group(2), False) or not m.group(1)
    return names


# --- docker-compose.yml ------------------------------------------------------------------------

def test_services_and_profiles(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"redis", "worker", "beat", "flower", "sandbox"} <= set(services)
    for always in ("redis", "worker", "beat"):
        assert not services[always].get("profiles"), f"{always} must start by default"
    assert services["flower"]["profiles"] == ["monitoring"]
    assert services["sandbox"]["profiles"] == ["sandbox"]


def test_redis_is_durable_and_checked(compose: dict[str, Any]) -> None:
    redis = compose["services"]["redis"]
    assert redis["image"].startswith("redis:7")
    cmd = argv(redis)
    assert "--appendonly" in cmd and cmd[cmd.index("--appendonly") + 1] == "yes"
    assert any(str(v).endswith(":/data") for v in redis["volumes"])
    volume = next(str(v).split(":")[0] for v in redis["volumes"] if str(v).endswith(":/data"))
    assert volume in (compose.get("volumes") or {}), "a named volume, declared"
    assert "redis-cli" in " ".join(redis["healthcheck"]["test"])


def test_worker_runs_the_celery_app_and_can_scale(compose: dict[str, Any]) -> None:
    worker = compose["services"]["worker"]
    cmd = " ".join(argv(worker))
    assert cmd.startswith("celery -A sync.app worker")
    assert "--loglevel=INFO" in cmd and "--concurrency=2" in cmd
    assert "container_name" not in worker and "ports" not in worker  # --scale worker=3 works
    assert worker["depends_on"]["redis"]["condition"] == "service_healthy"


def test_one_beat_is_documented(compose: dict[str, Any]) -> None:
    beat = compose["services"]["beat"]
    assert " ".join(argv(beat)).startswith("celery -A sync.app beat")
    text = COMPOSE.read_text("utf-8")
    assert re.search(r"exactly ONE beat", text) and "lock" in text


def test_settings_come_from_env_file(compose: dict[str, Any]) -> None:
    for name in ("worker", "beat"):
        env_file = compose["services"][name]["env_file"]
        assert env_file == ".env" or ".env" in env_file


def test_sandbox_uses_flags_the_sandbox_command_has(compose: dict[str, Any]) -> None:
    from sandbox import cli

    script = " ".join(argv(compose["services"]["sandbox"]))
    line = re.search(r"escalation-sync sandbox ([^&>\n]*)", script)
    assert line, "the sandbox service runs `escalation-sync sandbox`"
    parser = argparse.ArgumentParser()
    cli.configure(parser)
    args = parser.parse_args(line.group(1).split())  # exits (fails) on an unknown flag
    assert args.port == 8443 and args.print_env
    from sync.commands import run

    connector = re.search(r"escalation-sync run ([^\n]*)", script)
    assert connector, "and the connector against it"
    parser = argparse.ArgumentParser()
    run.configure(parser)
    assert parser.parse_args(connector.group(1).split()).concurrency == 2
    assert "env_file" not in compose["services"]["sandbox"], "never real credentials"


def test_every_variable_used_is_documented(compose: dict[str, Any]) -> None:
    used = {a or b for a, b in VAR.findall(COMPOSE.read_text("utf-8"))}
    assert used, "the test sees the variables"
    missing = used - set(documented())
    assert not missing, f"used in docker-compose.yml, missing from .env.example: {missing}"


def test_flower_is_published_on_localhost_only(compose: dict[str, Any]) -> None:
    for port in compose["services"]["flower"]["ports"]:
        assert str(port).startswith("127.0.0.1:")


# --- .env.example ------------------------------------------------------------------------------

def test_every_setting_is_documented_with_a_comment() -> None:
    names = documented()
    wanted = {name.upper() for name in Settings.model_fields}
    wanted |= {"NOTIFY_WEBHOOKS", "POLL_INTERVAL_SECONDS", "FLUSH_INTERVAL_SECONDS"}
    assert not wanted - set(names), f"undocumented: {sorted(wanted - set(names))}"
    lines = ENV_EXAMPLE.read_text("utf-8").splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^[A-Z][A-Z0-9_]*=", line):
            above = lines[i - 1] if i else ""
            assert above.startswith("#"), f"{line.split('=')[0]}: no comment above it"


def test_env_example_loads_into_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    settings = Settings(_env_file=ENV_EXAMPLE)  # type: ignore[call-arg]
    assert settings.jira_support_jql == "project = SUP"
    assert settings.jira_account_field == "Salesforce Account Id"
    assert settings.dry_run is True, "a copied example writes nothing until told to"
    values = dotenv_values(ENV_EXAMPLE)
    assert NotifyConfig.model_validate_json(values["NOTIFY_WEBHOOKS"] or "{}").routes == {}
    example = next(line for line in ENV_EXAMPLE.read_text("utf-8").splitlines()
                   if line.startswith("# NOTIFY_WEBHOOKS="))
    commented = example.removeprefix("# NOTIFY_WEBHOOKS=").strip("'")
    assert set(NotifyConfig.model_validate_json(commented).routes) == {"default", "tier:4"}


def test_env_example_holds_no_real_secret() -> None:
    values = dotenv_values(ENV_EXAMPLE)
    text = ENV_EXAMPLE.read_text("utf-8")
    for name, value in values.items():
        if re.search(r"SECRET|TOKEN|PAT$|PASSWORD|KEY$", name) and value:
            assert value in ("change-me", "your-consumer-key"), f"{name} looks real"
    assert not re.search(r"xox[abpr]-|-----BEGIN|AKIA[0-9A-Z]{16}", text)
    for url in re.findall(r"https://hooks\.slack\.com/services/([^\"'\s]+)", text):
        assert re.fullmatch(r"T0+/B0+/(X+|Y+)", url), "only Slack's placeholder webhook"


# --- Dockerfile and .dockerignore --------------------------------------------------------------

def test_dockerfile_builds_a_non_root_image_of_the_project() -> None:
    text = (ROOT / "Dockerfile").read_text("utf-8")
    froms = re.findall(r"^FROM\s+(\S+)", text, re.M)
    assert froms and all(f == "python:3.11-slim" for f in froms)
    users = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert users and users[-1] not in ("root", "0")
    assert re.search(r'^ENTRYPOINT \["escalation-sync"\]', text, re.M)
    assert "pip install" in text
    for package in ("rules", "connectors", "sync", "sandbox", "celeryconfig.py", "pyproject.toml"):
        assert re.search(rf"^COPY .*\b{re.escape(package)}\b", text, re.M), package


def test_dockerignore_keeps_secrets_out_of_the_image() -> None:
    lines = {line.strip() for line in (ROOT / ".dockerignore").read_text("utf-8").splitlines()}
    assert {".env", ".env.*", ".git", "*.pem", "*.key"} <= lines
