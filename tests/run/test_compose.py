"""docker-compose.yml parses and describes the production-like deployment."""

from __future__ import annotations

from typing import Any

import yaml

from cpd.names import SEARCH_ATTRIBUTES
from cpd.settings import PROJECT_ROOT
from run.worker import LANES


def compose() -> dict[str, Any]:
    return yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())


def test_compose_names_every_service() -> None:
    services = compose()["services"]
    assert {
        "temporal",
        "temporal-ui",
        "temporal-db",
        "app-db",
        "api",
        "worker",
        "inbound",
        "mailpit",
    } <= set(services)
    assert services["temporal"]["environment"]["DB"] == "postgres12"
    assert services["api"]["environment"]["CPD_DATABASE_URL"].startswith("postgresql+asyncpg://")
    # Workers scale horizontally: no fixed name or host port that would clash.
    assert "container_name" not in services["worker"] and "ports" not in services["worker"]


def test_compose_registers_our_search_attributes_and_requires_a_secret() -> None:
    services = compose()["services"]
    setup = " ".join(services["temporal-setup"]["command"])
    assert all(key.name in setup for key in SEARCH_ATTRIBUTES)
    assert ":?" in services["api"]["environment"]["CPD_SECRET_KEY"]
    assert services["api"]["environment"]["CPD_ENVIRONMENT"] == "production"


def test_compose_runs_every_worker_lane() -> None:
    # A lane nobody polls would leave events accepted but never fanned out.
    commands = [s.get("command") or [] for s in compose()["services"].values()]
    lanes = {c[c.index("--lane") + 1] for c in commands if "worker" in c and "--lane" in c}
    assert lanes == set(LANES)


def test_workers_stop_gracefully_before_docker_kills_them() -> None:
    services = compose()["services"]
    grace = float(services["api"]["environment"]["CPD_WORKER_SHUTDOWN_SECONDS"])
    workers = [s for s in services.values() if "worker" in (s.get("command") or [])]
    assert workers
    for worker in workers:
        assert float(worker["stop_grace_period"].removesuffix("s")) >= grace + 10
