"""docker-compose.yml parses and keeps the production deployment's rules (no Docker engine
here, so these read the file as compose would)."""

from __future__ import annotations

import re
from typing import Any

import yaml

from cpd.names import SEARCH_ATTRIBUTES
from cpd.settings import PROJECT_ROOT
from run.worker import LANES

PUBLIC = {"api": ["8000:8000"], "inbound": ["2525:2525"]}


def compose() -> dict[str, Any]:
    return yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())


def long_running(services: dict[str, Any]) -> dict[str, Any]:
    return {name: s for name, s in services.items() if s.get("restart") != "no"}


def test_compose_names_every_service() -> None:
    services = compose()["services"]
    assert {
        "temporal",
        "temporal-schema",
        "temporal-ui",
        "temporal-db",
        "app-db",
        "migrate",
        "api",
        "worker",
        "fanout-worker",
        "inbound",
        "mailpit",
    } <= set(services)
    assert services["api"]["environment"]["CPD_DATABASE_URL"].startswith("postgresql+asyncpg://")
    # Workers scale horizontally: no fixed name or host port that would clash.
    assert "container_name" not in services["worker"] and "ports" not in services["worker"]


def test_temporal_is_the_server_image_with_its_schema_applied_by_a_job() -> None:
    services = compose()["services"]
    images = {s.get("image", "").split(":")[0] for s in services.values()}
    assert "temporalio/auto-setup" not in images
    temporal = services["temporal"]
    assert temporal["image"].startswith("temporalio/server:")
    assert temporal["environment"]["DB"] == "postgres12"
    schema = services["temporal-schema"]
    assert schema["image"].startswith("temporalio/admin-tools:")
    job = " ".join(schema["command"])
    assert "setup-schema" in job and "update-schema" in job and "visibility" in job
    assert temporal["depends_on"]["temporal-schema"] == {
        "condition": "service_completed_successfully"
    }
    setup = " ".join(services["temporal-setup"]["command"])
    assert all(key.name in setup for key in SEARCH_ATTRIBUTES)


def test_only_the_api_and_the_reply_port_are_published() -> None:
    for name, service in compose()["services"].items():
        ports = service.get("ports", [])
        if name in PUBLIC:
            assert ports == PUBLIC[name], name
            continue
        # Anything else with a port is a staging tool, on loopback only.
        for port in ports:
            assert port.startswith("127.0.0.1:"), (name, port)
            assert service.get("profiles") == ["staging"], name


def test_secrets_have_no_defaults() -> None:
    text = (PROJECT_ROOT / "docker-compose.yml").read_text()
    for secret in ("CPD_SECRET_KEY", "APP_DB_PASSWORD", "TEMPORAL_DB_PASSWORD"):
        uses = re.findall(r"\$\{" + secret + r"([^}]*)\}", text)
        assert uses and all(u.startswith(":?") for u in uses), secret
    services = compose()["services"]
    assert services["api"]["environment"]["CPD_ENVIRONMENT"] == "production"
    assert ":?" in services["api"]["environment"]["CPD_SMTP_HOST"]


def test_every_long_running_service_has_a_health_check_and_restarts() -> None:
    services = compose()["services"]
    for name, service in long_running(services).items():
        assert service.get("restart") == "unless-stopped", name
        assert "healthcheck" in service, name
    jobs = set(services) - set(long_running(services))
    assert jobs == {"temporal-schema", "temporal-setup", "migrate"}


def test_migrations_run_once_before_anything_that_uses_the_database() -> None:
    services = compose()["services"]
    assert services["migrate"]["command"] == ["cpd", "migrate"]
    users = [name for name, s in services.items() if "CPD_DATABASE_URL" in s.get("environment", {})]
    assert set(users) >= {"api", "worker", "fanout-worker", "inbound", "migrate"}
    for name in set(users) - {"migrate"}:
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }, name


def test_compose_runs_every_worker_lane() -> None:
    # A lane nobody polls would leave events accepted but never fanned out.
    commands = [s.get("command") or [] for s in compose()["services"].values()]
    lanes = {c[c.index("--lane") + 1] for c in commands if "worker" in c and "--lane" in c}
    assert lanes == set(LANES)


def test_workers_stop_gracefully_and_expose_metrics() -> None:
    services = compose()["services"]
    for name in ("worker", "fanout-worker"):
        assert services[name]["stop_grace_period"] == "60s"
        assert services[name]["environment"]["CPD_METRICS_PORT"] == "9464"
        assert "9464" in " ".join(services[name]["healthcheck"]["test"])


def test_workers_stop_gracefully_before_docker_kills_them() -> None:
    services = compose()["services"]
    grace = float(services["api"]["environment"]["CPD_WORKER_SHUTDOWN_SECONDS"])
    workers = [s for s in services.values() if "worker" in (s.get("command") or [])]
    assert workers
    for worker in workers:
        assert float(worker["stop_grace_period"].removesuffix("s")) >= grace + 10
